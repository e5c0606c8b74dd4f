"""Demo companies and people: ~50 companies and ~150 people with Swedish, Hungarian, Finnish,
German and English names, spread over owners, teams, lookups and the unassigned pool.
Deterministic (fixed seed) and idempotent: records that exist are left alone."""

import random

from contacts import services
from contacts.models import (
    BusinessUnit,
    BuyingInfluence,
    Company,
    CompanyCategory,
    CompanyStatus,
    ContactType,
    LifeCycle,
    Market,
    Person,
    ResponseMode,
    Sector,
    Segment,
)

COMPANIES = [
    ("Nordlys Arkiv AB", "nordlysarkiv.se", "Sweden"), ("Göteborgs Hamnbolag", "hamnbolag.se", "Sweden"),
    ("Malmö Mediehus", "mediehus.se", "Sweden"), ("Uppsala Universitetsbibliotek", "ub.uu.se", "Sweden"),
    ("Kiruna Gruvdata AB", "gruvdata.se", "Sweden"), ("Västerås Energiarkiv", "energiarkiv.se", "Sweden"),
    ("Örebro Läns Landsarkiv", "landsarkiv-orebro.se", "Sweden"), ("Stockholms Filmfond", "filmfond.se", "Sweden"),
    ("Lunds Domkyrkoförsamling", "domkyrkan-lund.se", "Sweden"), ("Sundsvalls Tidning AB", "st.nu", "Sweden"),
    ("Jönköpings Rättsarkiv", "rattsarkiv.se", "Sweden"), ("Skåne Sjukvårdsdata", "sjukvardsdata.se", "Sweden"),
    ("Budapesti Levéltár Zrt.", "leveltar.hu", "Hungary"), ("Debreceni Könyvtár Kft.", "konyvtar-debrecen.hu", "Hungary"),
    ("Szegedi Filmarchívum", "filmarchivum.hu", "Hungary"), ("Pécsi Egyetemi Múzeum", "muzeum-pecs.hu", "Hungary"),
    ("Győri Hangarchívum Bt.", "hangarchivum.hu", "Hungary"), ("Miskolci Bírósági Iratok", "birosag-miskolc.hu", "Hungary"),
    ("Magyar Rádió Archívum", "radioarchivum.hu", "Hungary"), ("Egri Érseki Könyvtár", "ersekikonyvtar.hu", "Hungary"),
    ("Helsinki Sound Archive Oy", "soundarchive.fi", "Finland"), ("Tampereen Kaupunginarkisto", "tampere-arkisto.fi", "Finland"),
    ("Oulun Yliopisto", "oulu.fi", "Finland"), ("Bergen Sjøfartsmuseum", "sjofartsmuseum.no", "Norway"),
    ("Oslo Byarkiv", "byarkivet.oslo.no", "Norway"), ("Trondheim Kringkasting AS", "kringkasting.no", "Norway"),
    ("Aarhus Stadsarkiv", "stadsarkiv.aarhus.dk", "Denmark"), ("København Mediearkiv ApS", "mediearkiv.dk", "Denmark"),
    ("Münchner Filmmuseum GmbH", "filmmuseum-muenchen.de", "Germany"), ("Hamburger Hafenarchiv", "hafenarchiv.de", "Germany"),
    ("Berliner Staatsbibliothek", "staatsbibliothek.de", "Germany"), ("Kölner Domarchiv", "domarchiv-koeln.de", "Germany"),
    ("Edinburgh Legal Records Ltd", "legalrecords.co.uk", "United Kingdom"), ("Bristol Broadcast Archive", "bba.org.uk", "United Kingdom"),
    ("Manchester Medical Imaging plc", "mmi.co.uk", "United Kingdom"), ("York Minster Library", "yorkminster.org", "United Kingdom"),
    ("Madhya Pradesh High Court", "mphc.gov.in", "India"), ("Mumbai Film Heritage Trust", "filmheritage.in", "India"),
    ("Bengaluru Space Data Centre", "spacedata.in", "India"), ("Tallinn Legal Documents OÜ", "legaldocs.ee", "Other"),
    ("Riga Radio Archive", "radioarchive.lv", "Other"), ("Vilnius Seimas Records", "seimas-records.lt", "Other"),
    ("Reykjavík Þjóðskjalasafn", "skjalasafn.is", "Other"), ("Luleå Tekniska Arkiv", "tekniskaarkiv.se", "Sweden"),
    ("Visby Hansearkiv", "hansearkiv.se", "Sweden"), ("Kecskeméti Hírlap Kft.", "hirlap-kecskemet.hu", "Hungary"),
    ("Sopron Városi Levéltár", "leveltar-sopron.hu", "Hungary"), ("Turku Maritime Museum", "maritime-turku.fi", "Finland"),
    ("Stavanger Oljearkiv", "oljearkiv.no", "Norway"), ("Odense Musikarkiv", "musikarkiv.dk", "Denmark"),
]  # fmt: skip
FIRST_NAMES = {
    "Sweden": ["Åsa", "Björn", "Märta", "Örjan", "Linnéa", "Sven", "Ingrid", "Göran", "Annika", "Pär"],
    "Hungary": ["Zsófia", "Gábor", "Ágnes", "Dániel", "Réka", "Péter", "Erzsébet", "Bálint", "Katalin", "Ödön"],
    "Finland": ["Aino", "Juha", "Päivi", "Mikko"], "Norway": ["Øystein", "Kari", "Håkon", "Solveig"],
    "Denmark": ["Søren", "Mette", "Jørgen", "Birgitte"], "Germany": ["Jürgen", "Anneliese", "Lukas", "Käthe"],
    "United Kingdom": ["Oliver", "Siobhan", "Harriet", "Gareth"], "India": ["Priya", "Arjun", "Ananya", "Rahul"],
    "Other": ["Kristjan", "Laura", "Guðrún", "Tomas"],
}  # fmt: skip
LAST_NAMES = {
    "Sweden": ["Lindqvist", "Öberg", "Åkesson", "Bergström", "Nyström", "Sjögren", "Håkansson", "Ek"],
    "Hungary": ["Kovács", "Szabó", "Tóth", "Nagy", "Horváth", "Varga", "Kiss", "Molnár", "Fülöp"],
    "Finland": ["Virtanen", "Mäkinen", "Järvinen"], "Norway": ["Hansen", "Sæther", "Østby"],
    "Denmark": ["Jørgensen", "Nielsen", "Møller"], "Germany": ["Müller", "Schäfer", "Weiß"],
    "United Kingdom": ["Smith", "O'Brien", "Taylor"], "India": ["Sharma", "Iyer", "Patel"],
    "Other": ["Tamm", "Bērziņš", "Jónsdóttir"],
}  # fmt: skip
TITLES = ["Head of Archives", "CIO", "Digital Preservation Manager", "Librarian", "Procurement Officer",
          "CFO", "IT Architect", "Collections Manager", "Records Manager", "Project Manager"]  # fmt: skip
OWNERS = ["rep", "rep", "rep2", "rep2", "manager", "restricted", "admin", None]
CALLING_CODES = {
    "Sweden": "+46", "Hungary": "+36", "Finland": "+358", "Norway": "+47", "Denmark": "+45",
    "Germany": "+49", "United Kingdom": "+44", "India": "+91", "Other": "+372",
}  # fmt: skip


def demo_companies_ensure(*, users) -> int:
    """Create the demo companies and 3 people each (some companies are left with fewer)."""
    random_numbers = random.Random(2026)
    lookups = {
        model: list(model.objects.all())
        for model in (ContactType, BusinessUnit, LifeCycle, Sector, Segment, CompanyStatus, CompanyCategory,
                      BuyingInfluence, ResponseMode)
    }  # fmt: skip
    markets = {market.name: market for market in Market.objects.all()}
    for index, (name, domain, market) in enumerate(COMPANIES):
        if Company.objects.filter(name=name).exists():
            continue
        owner = users.get(OWNERS[index % len(OWNERS)] or "")
        company = services.company_create(
            actor=users["admin"],
            values={
                "name": name,
                "email_domain": domain,
                "website": f"https://www.{domain}/",
                "phone": f"+46 8 {random_numbers.randint(100, 999)} {random_numbers.randint(10, 99)} 00"
                if market == "Sweden"
                else "",
                "owner": owner,
                "market": markets.get(market),
                "contact_type": random_numbers.choice(lookups[ContactType]),
                "business_unit": random_numbers.choice(lookups[BusinessUnit]),
                "life_cycle": random_numbers.choice(lookups[LifeCycle]),
                "sector": random_numbers.choice(lookups[Sector]),
                "segment": random_numbers.choice(lookups[Segment]),
                "status": random_numbers.choice(lookups[CompanyStatus]),
                "categories": random_numbers.sample(lookups[CompanyCategory], k=random_numbers.randint(0, 2)),
            },
        )
        for number in range(3):
            first = random_numbers.choice(FIRST_NAMES[market])
            last = random_numbers.choice(LAST_NAMES[market])
            services.person_create(
                actor=users["admin"],
                values={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{_ascii(first)}.{_ascii(last)}@{domain}",
                    # Seed 000's minimum for a person includes a phone; derived, not drawn, so
                    # the random names and lookups of the demo stay what they were.
                    "phone": f"{CALLING_CODES[market]} 70 {index:03d} {number:02d} 00",
                    "title": random_numbers.choice(TITLES),
                    "company": company,
                    "owner": owner,
                    "business_unit": company.business_unit,
                    "buying_influence": random_numbers.choice(lookups[BuyingInfluence]),
                    "response_mode": random_numbers.choice(lookups[ResponseMode]),
                    "consent_email": random_numbers.random() < 0.6,
                },
            )
    return Company.objects.count()


def _ascii(name: str) -> str:
    from crm.search import normalise_for_search

    return normalise_for_search(name).replace(" ", "") or "contact"


def demo_people_count() -> int:
    return Person.objects.count()
