from django.db import migrations

from crm.roles import grant_role_permissions, model_permissions

LOOKUP_VALUES = {
    "ContactType": ["Customer", "Prospect", "Partner", "Reseller", "Supplier", "Competitor"],
    "BusinessUnit": ["Archives & Libraries", "Media & Entertainment", "Public Sector", "Enterprise"],
    "Market": [
        "Sweden",
        "Norway",
        "Denmark",
        "Finland",
        "Hungary",
        "Germany",
        "United Kingdom",
        "India",
        "Other",
    ],
    "LifeCycle": ["Lead", "Prospect", "Opportunity", "Customer", "Former customer"],
    "Sector": ["Public", "Private"],
    "Segment": ["Small business", "Mid-market", "Enterprise"],
    "CompanyCategory": ["Prioritised vertical", "Trade show contact", "Newsletter", "Reference customer"],
    "CompanyStatus": [
        "Call to qualify",
        "Book a first meeting",
        "Send an offer",
        "Follow up the offer",
        "Active customer",
        "Dormant",
    ],
    "BuyingInfluence": ["Economic buyer", "User buyer", "Technical buyer", "Coach"],
    "BuyingInfluenceConcept": ["High influence", "Medium influence", "Low influence"],
    "ResponseMode": ["Growth", "Trouble", "Even keel", "Overconfident"],
}


def seed_lookups(apps, schema_editor):
    for model_name, names in LOOKUP_VALUES.items():
        model = apps.get_model("contacts", model_name)
        for position, name in enumerate(names):
            model.objects.get_or_create(name=name, defaults={"position": position})


def grant(apps, schema_editor):
    company = model_permissions("contacts", "company")
    person = model_permissions("contacts", "person")
    documents = model_permissions("contacts", "document", ("view", "add", "delete"))
    grant_role_permissions(
        apps,
        {
            "Manager": [
                *company,
                *person,
                *documents,
                "contacts.export_company",
                "contacts.export_person",
                "contacts.merge_company",
                "contacts.merge_person",
            ],
            "Sales rep": [*company, *person, *documents],
            "Restricted": [
                *model_permissions("contacts", "company", ("view", "add", "change")),
                *model_permissions("contacts", "person", ("view", "add", "change")),
                *model_permissions("contacts", "document", ("view", "add")),
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial"), ("crm", "0002_role_groups")]

    operations = [
        migrations.RunPython(seed_lookups, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
