import pytest

from activities.models import EmailTemplate
from contacts.models import CompanyCategory, Sector
from marketing.mailings import services
from marketing.models import Campaign, MarketingSettings, Segment
from tests.factories import CompanyFactory, PersonFactory


@pytest.fixture
def mail_settings(db, personas):
    config = MarketingSettings.load()
    config.default_sender = "news@acme.example"
    config.default_sending_user = personas.manager
    config.company_name = "Acme AB"
    config.company_address = "Storgatan 1\n111 22 Stockholm"
    config.save()
    return config


@pytest.fixture
def audience(db):
    """A company in the "Partner" category with three people who may get mail and three who may
    not (no consent, unsubscribed, no address), and one consenting person elsewhere."""
    partner = CompanyCategory.objects.get_or_create(name="Partner")[0]
    sector = Sector.objects.get_or_create(name="Software")[0]
    company = CompanyFactory(name="Partner AB", sector=sector)
    company.categories.add(partner)
    from django.utils import timezone

    people = {
        "ada": PersonFactory(first_name="Ada", company=company, consent_email=True),
        "bo": PersonFactory(first_name="Bo", company=company, consent_email=True),
        "cy": PersonFactory(first_name="Cy", company=company, consent_email=True),
        "no_consent": PersonFactory(first_name="Nils", company=company, consent_email=False),
        "unsubscribed": PersonFactory(
            first_name="Ulla", company=company, consent_email=True, unsubscribed_at=timezone.now()
        ),
        "no_address": PersonFactory(first_name="Nora", company=company, consent_email=True, email=""),
        "elsewhere": PersonFactory(first_name="Else", consent_email=True),
    }
    return {"company": company, "category": partner, "sector": sector, "people": people}


@pytest.fixture
def partner_segment(audience, personas):
    return Segment.objects.create(
        name="Partners", owner=personas.manager, definition={"categories": [audience["category"].pk]}
    )


@pytest.fixture
def mailing(personas, partner_segment, mail_settings):
    campaign = Campaign.objects.create(name="Spring launch", kind=Campaign.Kind.EMAIL, owner=personas.manager)
    template = EmailTemplate.objects.create(
        name="Launch",
        subject="News for {{ contact.first_name }}",
        body="Hello {{ contact.first_name }} at {{ company.name }},\n"
        "read https://example.com/launch?ref=mail and https://example.com/pricing.\n"
        "{{ user.full_name }}",
    )
    return services.mailing_create(
        actor=personas.manager,
        values={
            "name": "Launch mail",
            "campaign": campaign,
            "segment": partner_segment,
            "template": template,
        },
    )
