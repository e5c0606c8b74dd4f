"""Demo companies, spread over owners, teams and the unassigned pool."""

from contacts.models import Company
from contacts.services import company_create

DEMO_COMPANIES = [
    ("Nordlys Arkiv AB", "nordlysarkiv.se", "rep"),
    ("Göteborgs Hamnbolag", "hamnbolag.se", "rep"),
    ("Malmö Mediehus", "mediehus.se", "restricted"),
    ("Uppsala Universitetsbibliotek", "ub.uu.se", "manager"),
    ("Budapesti Levéltár Zrt.", "leveltar.hu", "rep2"),
    ("Debreceni Könyvtár Kft.", "konyvtar-debrecen.hu", "rep2"),
    ("Szegedi Filmarchívum", "filmarchivum.hu", None),
    ("Kiruna Gruvdata AB", "gruvdata.se", None),
    ("Helsinki Sound Archive Oy", "soundarchive.fi", "rep"),
    ("Tallinn Legal Documents OÜ", "legaldocs.ee", "admin"),
]


def demo_companies_ensure(*, users) -> int:
    for name, domain, owner_name in DEMO_COMPANIES:
        if Company.objects.filter(name=name).exists():
            continue
        company_create(
            actor=users["admin"],
            name=name,
            email_domain=domain,
            website=f"https://www.{domain}/",
            owner=users.get(owner_name) if owner_name else None,
        )
    return Company.objects.count()
