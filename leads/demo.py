"""~80 demo leads from trade shows, web forms and imports, some matching demo companies."""

import random

from contacts.demo import FIRST_NAMES, LAST_NAMES, TITLES, _ascii
from contacts.models import BusinessUnit
from leads import services
from leads.models import Lead, LeadSource

EVENTS = ["Nordic Archive Summit 2026", "ICA Congress 2025", "IBC Amsterdam 2026", "Könyvtári Napok 2026",
          "DigiPres Stockholm 2025", "Webinar: preserving film 2026"]  # fmt: skip
LEAD_COMPANIES = [
    ("Nordlys Arkiv", "nordlysarkiv.se"), ("Sveriges Radio Arkiv", "sr-arkiv.se"), ("Umeå Konstmuseum", "konstmuseum-umea.se"),
    ("Szegedi Filmarchívum", "filmarchivum.hu"), ("Nyíregyházi Levéltár", "leveltar-nyh.hu"), ("Zalaegerszegi Könyvtár", "konyvtar-zeg.hu"),
    ("Hamburger Hafenarchiv GmbH", "hafenarchiv.de"), ("Glasgow Film Trust", "glasgowfilm.org"), ("Espoo City Archive", "espoo.fi"),
    ("Aalborg Universitet", "aau.dk"), ("Chennai Court Records", "chennaicourts.in"), ("Private film collector", "gmail.com"),
]  # fmt: skip
STATUSES = (
    [Lead.Status.NEW] * 5 + [Lead.Status.WORKING] * 3 + [Lead.Status.QUALIFIED, Lead.Status.DISQUALIFIED]
)
OWNERS = ["rep", "rep2", "restricted", "manager", None]
# Seed 000: "Details - what context did we get this lead"; trade shows name the event.
CONTEXTS = {
    "Web form": "Contact us form: asked about film preservation",
    "Website": "Read the digitization pages three times in a week",
    "Import": "Participant list of DigiPres Stockholm 2025",
    "Referral": "Recommended by Nordlys Arkiv AB",
    "Cold outreach": "Archive modernisation mailing, spring 2026",
    "Partner": "Introduced by our Nordic reseller",
}


def demo_leads_ensure(*, users, count: int = 80) -> int:
    if Lead.objects.count() >= count:
        return Lead.objects.count()
    random_numbers = random.Random(80)
    sources = list(LeadSource.objects.all())
    business_units = list(BusinessUnit.objects.all())
    markets = list(FIRST_NAMES)
    for index in range(count - Lead.objects.count()):
        market = random_numbers.choice(markets)
        first, last = random_numbers.choice(FIRST_NAMES[market]), random_numbers.choice(LAST_NAMES[market])
        company_name, domain = random_numbers.choice(LEAD_COMPANIES)
        source = random_numbers.choice(sources)
        services.lead_create(
            actor=users["admin"],
            values={
                "first_name": first,
                "last_name": last,
                "company_name": company_name,
                "email": f"{_ascii(first)}.{_ascii(last)}{index}@{domain}",
                "title": random_numbers.choice(TITLES),
                "source": source,
                "details": random_numbers.choice(EVENTS)
                if source.name == "Trade show"
                else CONTEXTS.get(source.name, source.name),
                # Picked by position, not drawn: the random names and sources stay what they were.
                "business_unit": business_units[index % len(business_units)],
                "status": random_numbers.choice(STATUSES),
                "score": random_numbers.choice([0, 0, 5, 10, 15, 30]),
                "owner": users.get(random_numbers.choice(OWNERS) or ""),
            },
        )
    return Lead.objects.count()
