"""Which field each column of a spreadsheet fills, guessed from its heading.

Each kind of import offers its fields (and the administrator's custom fields, as
"cf:<key>"); a heading matches a field by its label or a synonym in English, Swedish or
Hungarian, compared without case, accents and punctuation ("E-post" is "e post", "Cég" is "ceg").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from activities.models import Activity
from contacts.models import Company, Person
from crm import custom_fields
from crm.search import normalise_for_search
from imports.models import Kind
from leads.models import Lead
from opportunities.models import Deal

CUSTOM_PREFIX = "cf:"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    synonyms: tuple[str, ...] = ()
    match_key: bool = False  # offered as the key that finds an existing record
    lookup: bool = False  # an admin-edited list of values (a sector): the cell names one by its name


COMPANY_SYNONYMS = (
    "company", "company name", "organisation", "organization", "account", "account name", "customer",
    "företag", "företagsnamn", "bolag", "kund", "kundnamn", "organisation namn",
    "cég", "cégnév", "cég neve", "vállalat", "ügyfél", "ügyfél neve",
)  # fmt: skip
PHONE = (
    "phone",
    "telephone",
    "tel",
    "phone number",
    "mobile",
    "telefon",
    "telefonnummer",
    "mobil",
    "telefonszám",
    "mobilszám",
)
EMAIL = (
    "email",
    "e-mail",
    "mail",
    "email address",
    "e-mail address",
    "e-post",
    "epost",
    "e-postadress",
    "e-mail cím",
    "email cím",
    "levelezési cím",
)
FIRST_NAME = ("first name", "firstname", "given name", "förnamn", "keresztnév", "utónév")
LAST_NAME = ("last name", "lastname", "surname", "family name", "efternamn", "vezetéknév", "családnév")
FULL_NAME = (
    "full name",
    "contact",
    "contact name",
    "contact person",
    "kontaktperson",
    "kontakt",
    "kapcsolattartó",
    "teljes név",
)
TITLE = (
    "title",
    "job title",
    "position",
    "role",
    "titel",
    "befattning",
    "roll",
    "beosztás",
    "pozíció",
    "titulus",
)
LINKEDIN = ("linkedin", "linkedin url", "linkedin profil")
OWNER = (
    "owner",
    "responsible",
    "sales rep",
    "seller",
    "account owner",
    "ansvarig",
    "säljare",
    "felelős",
    "tulajdonos",
    "értékesítő",
)
DESCRIPTION = (
    "description",
    "notes",
    "note",
    "comment",
    "beskrivning",
    "anteckningar",
    "kommentar",
    "leírás",
    "megjegyzés",
)
WEBSITE = (
    "website",
    "web",
    "url",
    "homepage",
    "web site",
    "webbplats",
    "hemsida",
    "webbadress",
    "weboldal",
    "honlap",
    "webcím",
)
DEAL_NAME = (
    "deal",
    "deal name",
    "opportunity",
    "opportunity name",
    "affär",
    "affärsnamn",
    "üzlet",
    "lehetőség",
)
PIPELINE = ("pipeline", "sales pipeline", "säljprocess", "tratt", "értékesítési folyamat")
STAGE = ("stage", "deal stage", "status", "fas", "steg", "skede", "szakasz", "fázis", "státusz")
VALUE = ("value", "amount", "deal value", "värde", "belopp", "ordervärde", "érték", "összeg")
CURRENCY = ("currency", "valuta", "pénznem", "deviza")
PROBABILITY = ("probability", "probability (%)", "sannolikhet", "valószínűség")
EXPECTED_CLOSE = ("expected close date", "close date expected", "förväntat avslut", "várható lezárás")
CLOSED_ON = (
    "close date", "closed on", "closed", "won date", "lost date", "date closed", "stängd", "avslutad",
    "avslutsdatum", "lezárva", "lezárás dátuma",
)  # fmt: skip
LOST_REASON = ("lost reason", "reason lost", "förlustorsak", "anledning", "elvesztés oka")
CONTACT = ("primary contact", "contact", "contact person", "kontaktperson", "kontakt", "kapcsolattartó")
ACTIVITY_KIND = ("kind", "type", "activity type", "typ", "aktivitetstyp", "típus")
SUBJECT = ("subject", "title", "activity", "ämne", "rubrik", "aktivitet", "tárgy", "tevékenység")
ACTIVITY_DATE = ("date", "due", "due date", "when", "datum", "dátum", "időpont", "határidő")
DONE = ("done", "status", "completed", "klar", "utförd", "kész", "elvégezve", "állapot")
PERSON = ("person", "contact", "contact person", "kontaktperson", "kontakt", "kapcsolattartó", "személy")
LEAD = ("lead", "prospect", "érdeklődő")
DOMAIN = ("domain", "e-mail domain", "email domain", "domän", "e-postdomän", "domain név")

# The lists of values the minimum-field setting asks for by default (seed 000): a cell names the
# value (“IT”, “Nordics”), matched without case against the list the administrator keeps.
LOOKUP_SYNONYMS = {
    "status": ("status", "company status", "kundstatus", "státusz", "állapot"),
    "contact_type": (
        "contact type", "customer type", "kontakttyp", "kundtyp", "kapcsolat típusa", "ügyféltípus",
    ),
    "business_unit": (
        "business unit", "unit", "division", "affärsenhet", "affärsområde", "enhet", "üzletág",
        "üzleti egység",
    ),
    "market": ("market", "marknad", "piac"),
    "life_cycle": ("life cycle", "lifecycle", "livscykel", "livscykelfas", "életciklus"),
    "sector": ("sector", "industry", "bransch", "sektor", "ágazat", "iparág"),
    "segment": ("segment", "kundsegment", "szegmens"),
    "source": ("source", "lead source", "källa", "leadkälla", "forrás"),
}  # fmt: skip


def _lookups(model: type[models.Model], *names: str) -> list[FieldSpec]:
    fields = [model._meta.get_field(name) for name in names]
    return [
        FieldSpec(field.name, capfirst(field.verbose_name), LOOKUP_SYNONYMS[field.name], lookup=True)
        for field in fields
    ]


FIELDS: dict[str, list[FieldSpec]] = {
    Kind.COMPANIES: [
        FieldSpec("name", _("Name"), ("name", "namn", "név", *COMPANY_SYNONYMS), match_key=True),
        FieldSpec("website", _("Website"), WEBSITE, match_key=True),
        FieldSpec("email_domain", _("E-mail domain"), DOMAIN, match_key=True),
        FieldSpec("phone", _("Phone"), PHONE),
        FieldSpec("description", _("Description"), DESCRIPTION),
        FieldSpec("owner", _("Owner (user name or e-mail)"), OWNER),
        *_lookups(
            Company, "status", "contact_type", "business_unit", "market", "life_cycle", "sector", "segment"
        ),
    ],
    Kind.PEOPLE: [
        FieldSpec("first_name", _("First name"), FIRST_NAME),
        FieldSpec("last_name", _("Last name"), LAST_NAME),
        FieldSpec(
            "full_name", _("Full name (split into first and last)"), ("name", "namn", "név", *FULL_NAME)
        ),
        FieldSpec("email", _("E-mail"), EMAIL, match_key=True),
        FieldSpec("phone", _("Phone"), PHONE),
        FieldSpec("title", _("Title"), TITLE),
        FieldSpec("linkedin", _("LinkedIn"), LINKEDIN),
        FieldSpec("company", _("Company (name or e-mail domain)"), COMPANY_SYNONYMS),
        FieldSpec("owner", _("Owner (user name or e-mail)"), OWNER),
        *_lookups(Person, "business_unit"),
    ],
    Kind.LEADS: [
        FieldSpec("first_name", _("First name"), FIRST_NAME),
        FieldSpec("last_name", _("Last name"), LAST_NAME),
        FieldSpec(
            "full_name", _("Full name (split into first and last)"), ("name", "namn", "név", *FULL_NAME)
        ),
        FieldSpec("company_name", _("Company"), COMPANY_SYNONYMS),
        FieldSpec("email", _("E-mail"), EMAIL, match_key=True),
        FieldSpec("phone", _("Phone"), PHONE),
        FieldSpec("title", _("Title"), TITLE),
        FieldSpec("linkedin", _("LinkedIn"), LINKEDIN),
        FieldSpec("details", _("Details"), ("details", "detaljer", "uppgifter", "részletek")),
        FieldSpec("description", _("Description"), DESCRIPTION),
        FieldSpec("owner", _("Owner (user name or e-mail)"), OWNER),
        *_lookups(Lead, "business_unit", "source"),
    ],
    # Deals: created only (no match key); an open stage meets the stage gates as the form's deal
    # does, a won or lost stage with its close date is recorded as a past sale (writers.DealWriter).
    Kind.DEALS: [
        FieldSpec("name", _("Deal name"), ("name", "namn", "név", *DEAL_NAME)),
        FieldSpec("pipeline", _("Pipeline (name)"), PIPELINE),
        FieldSpec("stage", _("Stage (name)"), STAGE),
        FieldSpec("company", _("Company (name, org number or e-mail domain)"), COMPANY_SYNONYMS),
        FieldSpec("primary_contact", _("Primary contact (e-mail or full name)"), CONTACT),
        FieldSpec("value", _("Value"), VALUE),
        FieldSpec("currency", _("Currency"), CURRENCY),
        FieldSpec("probability", _("Probability (%)"), PROBABILITY),
        FieldSpec("expected_close_date", _("Expected close date"), EXPECTED_CLOSE),
        FieldSpec("closed_on", _("Won/lost on (closed deals)"), CLOSED_ON),
        FieldSpec("lost_reason", _("Lost reason"), LOST_REASON),
        FieldSpec("description", _("Description"), DESCRIPTION),
        FieldSpec("owner", _("Owner (user name or e-mail)"), OWNER),
    ],
    # Past (or open) activities, linked to the records they name (writers.ActivityWriter).
    Kind.ACTIVITIES: [
        FieldSpec("kind", _("Kind (to-do or meeting)"), ACTIVITY_KIND),
        FieldSpec("subject", _("Subject"), SUBJECT),
        FieldSpec("due_at", _("Date"), ACTIVITY_DATE),
        FieldSpec("status", _("Done (yes/no)"), DONE),
        FieldSpec("notes", _("Notes"), DESCRIPTION),
        FieldSpec("company", _("Company (name, org number or e-mail domain)"), COMPANY_SYNONYMS),
        FieldSpec("person", _("Person (e-mail or full name)"), PERSON),
        FieldSpec("deal", _("Deal (name)"), DEAL_NAME),
        FieldSpec("lead", _("Lead (e-mail or full name)"), LEAD),
        FieldSpec("owner", _("Owner (user name or e-mail)"), OWNER),
    ],
}
SUPPORTED_KINDS = tuple(FIELDS)
MODELS: dict[str, type[models.Model]] = {
    Kind.COMPANIES: Company,
    Kind.PEOPLE: Person,
    Kind.LEADS: Lead,
    Kind.DEALS: Deal,
    Kind.ACTIVITIES: Activity,
}
# Kinds written only as new records: nothing to match them by, so no update modes.
CREATE_ONLY_KINDS = (Kind.DEALS, Kind.ACTIVITIES)


def normalise_heading(heading: str) -> str:
    return normalise_for_search(heading)


def field_specs(kind: str) -> list[FieldSpec]:
    """The fields of `kind`, the model's custom fields last (as "cf:<key>")."""
    specs = list(FIELDS[kind])
    model = MODELS[kind]
    for definition in custom_fields.definitions_for(model):
        specs.append(
            FieldSpec(
                CUSTOM_PREFIX + definition.key,
                definition.label,
                (definition.label, definition.key),
                match_key=definition.field_type == "text" and kind not in CREATE_ONLY_KINDS,
            )
        )
    return specs


def field_choices(kind: str) -> list[tuple[str, str]]:
    return [("", _("— do not import —")), *((spec.name, spec.label) for spec in field_specs(kind))]


def match_key_choices(kind: str) -> list[tuple[str, str]]:
    return [("", _("— none —")), *((spec.name, spec.label) for spec in field_specs(kind) if spec.match_key)]


def guess_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Column index (as a string) → field name, for each heading that names a field; a field
    is given to the first column that names it."""
    lookup: dict[str, str] = {}
    for spec in field_specs(kind):
        for word in (spec.name.removeprefix(CUSTOM_PREFIX), str(spec.label), *spec.synonyms):
            lookup.setdefault(normalise_heading(word), spec.name)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for index, heading in enumerate(headers):
        name = lookup.get(normalise_heading(heading))
        if name and name not in taken:
            mapping[str(index)] = name
            taken.add(name)
    return mapping


def mapping_from_saved(columns: dict[str, str], headers: list[str], kind: str) -> dict[str, str]:
    """A saved mapping (heading → field) applied to this file's headings."""
    known = {spec.name for spec in field_specs(kind)}
    return {
        str(index): columns[heading] for index, heading in enumerate(headers) if columns.get(heading) in known
    }
