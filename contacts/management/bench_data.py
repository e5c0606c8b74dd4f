"""Generated users, companies and people for the benchmarks (bench_seed, bench_board).

Swedish, Hungarian, British and German words combined into realistic, varied records, from a
fixed random seed so that every run seeds the same data. Rows are dicts by column (attname),
ready for COPY (crm.bench_load), with ``search_text`` computed by the model's own
``search_words()`` exactly as ``SearchableModel.save()`` does.
"""

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils import timezone

from contacts.models import (
    BusinessUnit,
    BuyingInfluence,
    Company,
    CompanyStatus,
    ContactType,
    LifeCycle,
    Market,
    Person,
    ResponseMode,
    Sector,
    Segment,
)
from crm.bench_load import assign_ids
from crm.models import Role, Team, User
from crm.search import normalise_for_search

SEED = 20261123
TEAM_NAMES = ("Nordic", "Central Europe", "UK & Ireland", "DACH", "Public sector")
REP_COUNT = 50


@dataclass(frozen=True)
class Locale:
    market: str
    tld: str
    places: list[str]
    nouns: list[str]
    legal: list[str]
    stems: list[str]
    endings: list[str]
    private_patterns: list[str]
    public_patterns: list[str]
    departments: list[str]
    first_names: list[str]
    last_names: list[str]
    titles: list[str]
    free_mail: list[str]
    landline: str
    mobile: str


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


LOCALES = {
    "se": Locale(
        market="Sweden",
        tld="se",
        places=_words(
            """
                Stockholm, Göteborg, Malmö, Uppsala, Västerås, Örebro, Linköping, Helsingborg,
                Jönköping, Norrköping, Lund, Umeå, Gävle, Borås, Södertälje, Eskilstuna, Halmstad,
                Växjö, Karlstad, Sundsvall, Östersund, Trollhättan, Luleå, Kiruna, Visby, Falun,
                Kalmar, Skövde, Uddevalla, Nyköping
                """
        ),
        nouns=_words(
            """
                Arkiv, Bygg, Data, Media, Konsult, Trä, Energi, Hamnbolag, Fastigheter, Logistik,
                Bokförlag, Revision, Elektronik, Teknik, Mekaniska Verkstad, Tryckeri, Vård,
                Livsmedel, Transport, Måleri, Film, Ljudteknik, Design, Juristbyrå, Gruvdata,
                Skogsvård, Stål, Glasbruk, Textil, Plåtslageri
                """
        ),
        legal=["AB", "AB", "AB", "AB", "HB"],
        stems=_words(
            """
                Nord, Syd, Väst, Öst, Fjäll, Skog, Sjö, Berg, Ljus, Vind, Sol, Järn, Guld, Silver,
                Ek, Björk, Gran, Ström, Dal, Hav
                """
        ),
        endings=_words("lys, data, tech, kraft, verket, gruppen, vision, link, form, bolaget"),
        private_patterns=[
            "{place} {noun} {legal}",
            "{surname} {noun} {legal}",
            "{coined} {noun} {legal}",
            "{coined} {legal}",
            "{surname} & Söner {legal}",
        ],
        public_patterns=[
            "{place} kommun, {department}",
            "{place}s stadsarkiv",
            "{place}s stadsbibliotek",
            "Region {place}, {department}",
            "{place} universitet, {department}",
        ],
        departments=_words(
            """
                Kulturförvaltningen, Stadsbyggnadskontoret, Utbildningsförvaltningen,
                Socialtjänsten, IT-avdelningen, Kommunstyrelsen, Miljöförvaltningen, Biblioteket
                """
        ),
        first_names=_words(
            """
                Erik, Lars, Karl, Anders, Johan, Per, Nils, Mikael, Jan, Hans, Olof, Gustav, Oskar,
                Axel, Björn, Magnus, Fredrik, Maria, Anna, Margareta, Elisabeth, Eva, Kristina,
                Birgitta, Karin, Ingrid, Lena, Sara, Emma, Åsa, Ebba, Linnéa, Maja, Sofia
                """
        ),
        last_names=_words(
            """
                Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson,
                Svensson, Gustafsson, Pettersson, Jonsson, Jansson, Hansson, Bengtsson, Jönsson,
                Lindberg, Jakobsson, Magnusson, Lindström, Olofsson, Lindqvist, Lindgren, Axelsson,
                Berg, Bergström, Lundberg, Lind, Lundgren, Lundqvist, Mattsson, Berglund,
                Fredriksson, Sandberg, Henriksson, Forsberg, Sjöberg, Wallin, Engström, Öberg,
                Åberg, Ström
                """
        ),
        titles=_words(
            """
                VD, Arkivarie, Bibliotekarie, IT-chef, Inköpschef, Ekonomichef, Projektledare,
                Registrator
                """
        ),
        free_mail=["telia.com", "gmail.com", "hotmail.se"],
        landline="+46 {a} {b:03d} {c:02d} {d:02d}",
        mobile="+46 7{a} {b:03d} {c:02d} {d:02d}",
    ),
    "hu": Locale(
        market="Hungary",
        tld="hu",
        places=_words(
            """
                Budapesti, Debreceni, Szegedi, Pécsi, Győri, Miskolci, Nyíregyházi, Kecskeméti,
                Székesfehérvári, Szombathelyi, Szolnoki, Tatabányai, Kaposvári, Érdi, Veszprémi,
                Békéscsabai, Zalaegerszegi, Soproni, Egri, Nagykanizsai
                """
        ),
        nouns=_words(
            """
                Levéltár, Könyvtár, Filmarchívum, Építőipari, Informatikai, Kereskedelmi, Nyomda,
                Szállítmányozási, Gépgyártó, Mezőgazdasági, Elektronikai, Médiaház, Tanácsadó,
                Ingatlanfejlesztő, Vegyipari, Faipari, Fémfeldolgozó, Könyvelő, Biztonságtechnikai,
                Energetikai
                """
        ),
        legal=["Kft.", "Kft.", "Kft.", "Zrt.", "Bt.", "Nyrt."],
        stems=_words(
            """
                Duna, Tisza, Mátra, Bakony, Hun, Pannon, Alföld, Balaton, Tokaj, Hegyalja, Zala,
                Rába, Maros, Kőrös, Mecsek
                """
        ),
        endings=_words("tech, soft, invest, trade, log, data, net, coop, vill, print"),
        private_patterns=[
            "{place} {noun} {legal}",
            "{surname} {noun} {legal}",
            "{coined} {noun} {legal}",
            "{coined} {legal}",
            "{surname} és Társa {legal}",
        ],
        public_patterns=[
            "{place} Polgármesteri Hivatal, {department}",
            "{place} Egyetem, {department}",
            "{place} Városi Könyvtár",
            "{place} Tankerületi Központ",
            "{place} Levéltár",
        ],
        departments=_words(
            """
                Informatikai Osztály, Gazdasági Iroda, Kulturális Osztály, Jegyzői Iroda, Könyvtár,
                Beszerzési Osztály
                """
        ),
        first_names=_words(
            """
                László, István, József, Zoltán, Sándor, Gábor, Ferenc, Attila, Péter, Tamás, Zsolt,
                András, Bence, Máté, Dániel, Ádám, Mária, Erzsébet, Katalin, Éva, Ilona, Anna,
                Zsuzsanna, Judit, Ágnes, Eszter, Andrea, Krisztina, Réka, Zsófia, Dóra, Noémi
                """
        ),
        last_names=_words(
            """
                Nagy, Kovács, Tóth, Szabó, Horváth, Varga, Kiss, Molnár, Németh, Farkas, Balogh,
                Papp, Takács, Juhász, Lakatos, Mészáros, Oláh, Simon, Rácz, Fekete, Szilágyi, Török,
                Fehér, Balázs, Gál, Kis, Szűcs, Kocsis, Pintér, Fodor, Szalai, Sipos, Magyar,
                Lukács, Gulyás, Bíró, Király, Katona
                """
        ),
        titles=_words(
            """
                Ügyvezető igazgató, Informatikai vezető, Levéltáros, Könyvtáros, Beszerzési vezető,
                Gazdasági igazgató, Projektvezető
                """
        ),
        free_mail=["freemail.hu", "gmail.com", "citromail.hu"],
        landline="+36 {a} {b:03d} {c:02d}{d:02d}",
        mobile="+36 {a}0 {b:03d} {c:02d}{d:02d}",
    ),
    "en": Locale(
        market="United Kingdom",
        tld="co.uk",
        places=_words(
            """
                London, Manchester, Birmingham, Leeds, Glasgow, Sheffield, Bristol, Edinburgh,
                Liverpool, Cardiff, Belfast, Nottingham, Leicester, Coventry, Brighton, Oxford,
                Cambridge, York, Aberdeen, Norwich, Exeter, Bath, Dundee, Swansea
                """
        ),
        nouns=_words(
            """
                Archives, Media, Logistics, Engineering, Consulting, Software, Print, Holdings,
                Building Services, Analytics, Records Management, Broadcasting, Publishing,
                Security, Facilities, Marine, Energy, Data, Labs, Studios
                """
        ),
        legal=["Ltd", "Ltd", "Limited", "plc", "LLP"],
        stems=_words(
            """
                North, South, West, East, Bright, Red, Blue, Green, Silver, Oak, Ash, Stone, River,
                Castle, Kings, Queens, Harbour, Bridge, High, Fox
                """
        ),
        endings=_words("field, gate, wood, point, way, stone, brook, line, bridge, worth"),
        private_patterns=[
            "{place} {noun} {legal}",
            "{surname} {noun} {legal}",
            "{coined} {noun} {legal}",
            "{coined} {legal}",
            "{surname} & {surname2} {legal}",
        ],
        public_patterns=[
            "{place} City Council, {department}",
            "University of {place}, {department}",
            "{place} Central Library",
            "{place} Record Office",
            "NHS {place} Trust, {department}",
        ],
        departments=_words(
            """
                Digital Services, Procurement, Libraries and Archives, Finance, Estates,
                Information Governance
                """
        ),
        first_names=_words(
            """
                James, Oliver, Harry, George, Jack, Thomas, William, Charlie, Daniel, Samuel, David,
                Andrew, Emily, Olivia, Amelia, Sophie, Jessica, Charlotte, Grace, Lucy, Hannah,
                Chloe, Ruth, Margaret, Sarah, Rebecca
                """
        ),
        last_names=_words(
            """
                Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson, Wright,
                Thompson, Evans, Walker, White, Roberts, Green, Hall, Wood, Jackson, Clarke, Patel,
                Khan, Hughes, Edwards, Turner, Harris, Martin, Cooper, Hill, Ward
                """
        ),
        titles=_words(
            """
                Managing Director, Head of Archives, IT Manager, Procurement Officer,
                Records Manager, Finance Director, Project Manager, Head of Digitisation
                """
        ),
        free_mail=["gmail.com", "outlook.com", "btinternet.com"],
        landline="+44 {a}0 {b:04d} {c:02d}{d:02d}",
        mobile="+44 7{a}00 {b:03d}{c:03d}",
    ),
    "de": Locale(
        market="Germany",
        tld="de",
        places=_words(
            """
                Berlin, Hamburg, München, Köln, Frankfurt, Stuttgart, Düsseldorf, Leipzig, Dortmund,
                Essen, Bremen, Dresden, Hannover, Nürnberg, Duisburg, Bochum, Wuppertal, Bielefeld,
                Bonn, Münster, Mannheim, Karlsruhe, Augsburg, Wiesbaden, Freiburg, Lübeck, Rostock,
                Kassel, Erfurt, Mainz
                """
        ),
        nouns=_words(
            """
                Archivtechnik, Medien, Logistik, Maschinenbau, Beratung, Software, Druckerei,
                Bauunternehmen, Elektrotechnik, Datenverarbeitung, Verlag, Immobilien,
                Versicherungsmakler, Energietechnik, Stahlbau, Spedition, Werkzeugbau,
                Kunststofftechnik, Sicherheitsdienst, Filmproduktion
                """
        ),
        legal=["GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "AG", "e.K."],
        stems=_words(
            """
                Nord, Süd, West, Ost, Berg, Wald, Rhein, Elbe, Main, Donau, Alpen, Hanse, Stern,
                Licht, Blitz, Eisen, Gold, Silber, Linden, Eichen
                """
        ),
        endings=_words("tec, soft, data, werk, bau, plan, net, logistik, form, trans"),
        private_patterns=[
            "{noun} {place} {legal}",
            "{surname} {noun} {legal}",
            "{coined} {noun} {legal}",
            "{coined} {legal}",
            "{surname} & {surname2} {legal}",
        ],
        public_patterns=[
            "Stadt {place}, {department}",
            "Universität {place}, {department}",
            "Stadtarchiv {place}",
            "Stadtbibliothek {place}",
            "Landkreis {place}, {department}",
        ],
        departments=_words("Hauptamt, Kulturamt, Amt für Digitalisierung, Vergabestelle, Kämmerei, Bauamt"),
        first_names=_words(
            """
                Lukas, Leon, Finn, Jonas, Paul, Felix, Maximilian, Stefan, Thomas, Michael, Andreas,
                Jürgen, Klaus, Wolfgang, Anna, Lena, Lea, Hannah, Sophie, Katharina, Julia, Sabine,
                Ursula, Petra, Monika, Birgit, Andrea, Claudia
                """
        ),
        last_names=_words(
            """
                Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann,
                Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann,
                Braun, Krüger, Hofmann, Hartmann, Lange, Schmitt, Werner, Krause, Meier, Lehmann,
                Köhler, Jäger, Groß, Weiß, Vogel
                """
        ),
        titles=_words(
            """
                Geschäftsführer, Leiter IT, Einkaufsleiter, Archivar, Bibliothekarin,
                Projektleiterin, Prokurist
                """
        ),
        free_mail=["web.de", "gmx.de", "t-online.de"],
        landline="+49 {a}0 {b:04d}{c:02d}{d:01d}",
        mobile="+49 15{a} {b:04d}{c:02d}{d:02d}",
    ),
}
LOCALE_WEIGHTS = {"se": 35, "hu": 25, "en": 20, "de": 20}
PUBLIC_SHARE = 0.4
# The lookup rows come from the migrations; the generator only picks among them.
LOOKUP_MODELS = [
    BusinessUnit,
    BuyingInfluence,
    CompanyStatus,
    ContactType,
    LifeCycle,
    Market,
    ResponseMode,
    Sector,
    Segment,
]


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Göteborgs Hamn" → "goteborgshamn"."""
    return re.sub(
        r"[^a-z0-9]+", "", unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    )


def search_text_of(instance: models.Model) -> str:
    """What SearchableModel.save() stores in search_text, for an unsaved instance."""
    return normalise_for_search(" ".join(word for word in instance.search_words() if word))


class Generator:
    """Deterministic rows: the same options give the same data."""

    def __init__(self, *, reps: list[User], team_of: dict[int, int | None]):
        self.random = random.Random(SEED)
        self.reps = reps
        self.team_of = team_of
        self.now = timezone.now()
        self.lookups = {model: dict(model.objects.values_list("name", "id")) for model in LOOKUP_MODELS}
        self.locale_codes = list(LOCALE_WEIGHTS)
        self.locale_weights = list(LOCALE_WEIGHTS.values())

    def _lookup(self, model, name: str | None = None, *, none_share: float = 0.0) -> int | None:
        values = self.lookups[model]
        if not values or self.random.random() < none_share:
            return None
        if name is not None and name in values:
            return values[name]
        return self.random.choice(list(values.values()))

    def phone(self, pattern: str) -> str:
        """A phone number in the locale's `pattern`."""
        pick = self.random.randint
        return pattern.format(a=pick(1, 9), b=pick(100, 999), c=pick(0, 99), d=pick(0, 99))

    def when(self, *, days: int):
        """A moment within the last `days` days."""
        return self.now - timedelta(seconds=self.random.randint(0, days * 86400))

    def owner(self) -> tuple[int | None, int | None]:
        """(owner id, team id): a random rep, filed under their team 60 % of the time; 10 % nobody's."""
        if self.random.random() < 0.1:
            return None, None
        owner = self.random.choice(self.reps)
        team = self.team_of.get(owner.pk) if self.random.random() < 0.6 else None
        return owner.pk, team

    def company(self) -> dict:
        pick = self.random.choice
        code = self.random.choices(self.locale_codes, self.locale_weights)[0]
        locale = LOCALES[code]
        public = self.random.random() < PUBLIC_SHARE
        pattern = pick(locale.public_patterns if public else locale.private_patterns)
        name = pattern.format(
            place=pick(locale.places),
            noun=pick(locale.nouns),
            legal=pick(locale.legal),
            surname=pick(locale.last_names),
            surname2=pick(locale.last_names),
            coined=pick(locale.stems) + pick(locale.endings),
            department=pick(locale.departments),
        )
        words = [word for word in name.replace(",", " ").split() if ascii_slug(word)]
        domain = f"{'-'.join(ascii_slug(word) for word in words[:2])}.{locale.tld}"
        owner_id, team_id = self.owner()
        created_at = self.when(days=6 * 365)
        row = {
            "name": name,
            "email_domain": domain if self.random.random() < 0.9 else "",
            "website": f"https://www.{domain}/" if self.random.random() < 0.8 else "",
            "phone": self.phone(locale.landline) if self.random.random() < 0.8 else "",
            "description": ""
            if self.random.random() < 0.9
            else f"Met at a trade show in {pick(locale.places)}.",
            "owner_id": owner_id,
            "team_id": team_id,
            "sector_id": self._lookup(Sector, "Public" if public else "Private", none_share=0.05),
            "segment_id": self._lookup(Segment, none_share=0.1),
            "market_id": self._lookup(Market, locale.market),
            "contact_type_id": self._lookup(ContactType, none_share=0.2),
            "life_cycle_id": self._lookup(LifeCycle, none_share=0.2),
            "status_id": self._lookup(CompanyStatus, none_share=0.3),
            "business_unit_id": self._lookup(
                BusinessUnit,
                pick(["Public Sector", "Archives & Libraries"]) if public else None,
                none_share=0.2,
            ),
            "created_at": created_at,
            "updated_at": created_at + (self.now - created_at) * self.random.random(),
            "version": 1,
            "custom_fields": {},
            "_locale": code,
        }
        row["search_text"] = search_text_of(
            Company(name=name, email_domain=row["email_domain"], website=row["website"], phone=row["phone"])
        )
        return row

    def person(self, company: dict | None, *, last_name: str | None = None, unassigned: bool = False) -> dict:
        pick = self.random.choice
        code = (
            company["_locale"] if company else self.random.choices(self.locale_codes, self.locale_weights)[0]
        )
        locale = LOCALES[code]
        first_name = pick(locale.first_names)
        last_name = last_name or pick(locale.last_names)
        if company and company["email_domain"] and self.random.random() < 0.85:
            email = f"{ascii_slug(first_name)}.{ascii_slug(last_name)}@{company['email_domain']}"
        elif self.random.random() < 0.6:
            number = self.random.randint(1, 99)
            email = f"{ascii_slug(first_name)}{ascii_slug(last_name)}{number}@{pick(locale.free_mail)}"
        else:
            email = ""
        if unassigned:
            owner_id, team_id = None, None
        elif company and self.random.random() < 0.8:
            owner_id, team_id = company["owner_id"], company["team_id"]
        else:
            owner_id, team_id = self.owner()
        consent_email = self.random.random() < 0.5
        consent_phone = self.random.random() < 0.3
        created_at = self.when(days=5 * 365)
        row = {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": self.phone(locale.mobile) if self.random.random() < 0.7 else "",
            "title": pick(locale.titles) if self.random.random() < 0.7 else "",
            "company_id": company["id"] if company else None,
            "linkedin": (
                f"https://www.linkedin.com/in/{ascii_slug(first_name)}-{ascii_slug(last_name)}-"
                f"{self.random.randint(1000, 9999)}"
            )
            if self.random.random() < 0.3
            else "",
            "owner_id": owner_id,
            "team_id": team_id,
            "business_unit_id": self._lookup(BusinessUnit, none_share=0.5),
            "buying_influence_id": self._lookup(BuyingInfluence, none_share=0.6),
            "response_mode_id": self._lookup(ResponseMode, none_share=0.7),
            "consent_email": consent_email,
            "consent_phone": consent_phone,
            "consent_updated_at": self.when(days=700) if consent_email or consent_phone else None,
            "last_touched_at": self.when(days=2 * 365),
            "created_at": created_at,
            "updated_at": created_at + (self.now - created_at) * self.random.random(),
            "version": 1,
            "custom_fields": {},
        }
        row["search_text"] = search_text_of(
            Person(
                first_name=first_name,
                last_name=last_name,
                email=email,
                phone=row["phone"],
                title=row["title"],
            )
        )
        return row


def company_rows(generator: Generator, count: int) -> list[dict]:
    """`count` companies with their ids already taken from the sequence."""
    return assign_ids(Company, [generator.company() for _ in range(count)])


def person_rows(generator: Generator, companies: list[dict], count: int) -> list[dict]:
    """`count` people, 85 % of them at one of `companies`, with their ids already taken."""
    choose, chance = generator.random.choice, generator.random.random
    rows = [
        generator.person(choose(companies) if companies and chance() < 0.85 else None) for _ in range(count)
    ]
    return assign_ids(Person, rows)


def category_pairs(generator: Generator, companies: list[dict]) -> list[tuple[int, int]]:
    """(company id, category id): none, one or two categories a company."""
    categories = list(Company.categories.field.related_model.objects.values_list("id", flat=True))
    if not categories:
        return []
    pick = generator.random.choice
    return sorted(
        {(row["id"], pick(categories)) for row in companies for _ in range(pick((0, 0, 0, 1, 1, 2)))}
    )


# Users -------------------------------------------------------------------------------------------


@transaction.atomic
def seed_users() -> dict:
    """50 sales reps (bench-rep-01…50) in five teams, a manager of the first team (bench-manager)
    and an administrator (bench-admin), without passwords; those that exist are kept.

    Returns {"reps": [...], "rep": the first rep, "manager": ..., "admin": ..., "teams": [...]}.
    """
    generator = random.Random(SEED)
    groups = {role: Group.objects.get(name=role.value) for role in Role}
    teams = [Team.objects.get_or_create(name=f"Bench {name}")[0] for name in TEAM_NAMES]

    def user(username: str, role: Role, locale: Locale) -> User:
        account, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": generator.choice(locale.first_names),
                "last_name": generator.choice(locale.last_names),
                "email": f"{username}@bench.example",
            },
        )
        if created:
            account.set_unusable_password()
            account.save(update_fields=["password"])
            account.groups.add(groups[role])
        return account

    locales = list(LOCALES.values())
    reps = [
        user(f"bench-rep-{number:02d}", Role.NORMAL_USER, locales[number % 4])
        for number in range(1, REP_COUNT + 1)
    ]
    for index, rep in enumerate(reps):
        teams[index % len(teams)].members.add(rep)
    manager = user("bench-manager", Role.MANAGER, LOCALES["se"])
    teams[0].managers.add(manager)
    admin = user("bench-admin", Role.ADMINISTRATOR, LOCALES["en"])
    return {"reps": reps, "rep": reps[0], "manager": manager, "admin": admin, "teams": teams}


def team_of_reps() -> dict[int, int]:
    """The bench team of every bench rep, by user id."""
    team_of = {}
    for team in Team.objects.filter(name__startswith="Bench ").prefetch_related("members"):
        for member in team.members.all():
            team_of[member.pk] = team.pk
    return team_of
