"""Personas shared by every test: one user per role, in two teams.

team "North": manager (manages), rep, restricted (members)
team "South": rep_other_team
admin: no team
"""

import pytest

from crm.models import OrganisationSettings
from tests.factories import (
    CompanyFactory,
    DealFactory,
    LeadFactory,
    PersonFactory,
    make_personas,
    seed_fake_data,
)

PASSWORD = "correct horse battery"

pytest_plugins = ["tests.browser"]


def pytest_configure(config):
    # Set in the controller before xdist starts its workers, so every worker takes the same seed.
    config.crm_fake_data_seed = seed_fake_data()


def pytest_report_header(config):
    return f"fake data seed: CRM_TEST_SEED={config.crm_fake_data_seed}"


@pytest.fixture(autouse=True)
def _lookup_cache_request_ends():
    """The test client never closes a streaming response it does not read (a server always
    does), so the lookup cache would think the request goes on into the next test."""
    yield
    from crm import lookup_cache

    lookup_cache._finish_request()


@pytest.fixture
def personas(db):
    return make_personas()


@pytest.fixture
def admin(personas):
    return personas.admin


@pytest.fixture
def manager(personas):
    return personas.manager


@pytest.fixture
def rep(personas):
    return personas.rep


@pytest.fixture
def rep_other_team(personas):
    return personas.rep_other_team


@pytest.fixture
def restricted(personas):
    return personas.restricted


@pytest.fixture
def reps_see_only_own(db):
    settings_row = OrganisationSettings.load()
    settings_row.reps_see_only_own_customers = True
    settings_row.save()
    return settings_row


@pytest.fixture
def managers_see_only_their_teams(db):
    """The org setting that narrows Managers to their teams (by default they see every record)."""
    settings_row = OrganisationSettings.load()
    settings_row.managers_see_only_their_teams = True
    settings_row.save()
    return settings_row


@pytest.fixture
def companies_by_owner(personas):
    """One company per kind of owner, named after it."""
    return {
        "admin": CompanyFactory(name="Admin's", owner=personas.admin),
        "manager": CompanyFactory(name="Manager's", owner=personas.manager),
        "rep": CompanyFactory(name="Rep's", owner=personas.rep),
        "rep_other_team": CompanyFactory(name="Other team rep's", owner=personas.rep_other_team),
        "restricted": CompanyFactory(name="Restricted's", owner=personas.restricted),
        "unassigned": CompanyFactory(name="Nobody's", owner=None),
        "south_team": CompanyFactory(name="Filed under South", owner=personas.admin, team=personas.south),
    }


OWNER_KEYS = ["admin", "manager", "rep", "rep_other_team", "restricted"]


@pytest.fixture
def people_by_owner(personas):
    people = {key: PersonFactory(first_name=key, owner=getattr(personas, key)) for key in OWNER_KEYS}
    people["unassigned"] = PersonFactory(first_name="Nobody", owner=None)
    return people


@pytest.fixture
def leads_by_owner(personas):
    leads = {key: LeadFactory(last_name=key, owner=getattr(personas, key)) for key in OWNER_KEYS}
    leads["unassigned"] = LeadFactory(last_name="Nobody", owner=None)
    return leads


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def documents_by_owner(personas, companies_by_owner, media_root):
    """A PDF attached to each company of companies_by_owner."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crm.documents import document_attach

    return {
        key: document_attach(
            actor=personas.admin,
            record=company,
            uploaded_file=SimpleUploadedFile(
                f"{key}.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"
            ),
        )
        for key, company in companies_by_owner.items()
    }


@pytest.fixture
def deals_by_owner(personas):
    deals = {key: DealFactory(name=f"{key}'s deal", owner=getattr(personas, key)) for key in OWNER_KEYS}
    deals["unassigned"] = DealFactory(name="Nobody's deal", owner=None)
    return deals


@pytest.fixture
def activities_by_owner(personas, companies_by_owner):
    """One open to-do on each company of companies_by_owner, its owner responsible for it."""
    from tests.factories import ActivityFactory

    return {
        key: ActivityFactory(subject=f"{company.name} call", company=company, owner=company.owner)
        for key, company in companies_by_owner.items()
    }


@pytest.fixture
def quotes_and_orders(personas, deals_by_owner, media_root):
    """A quote and a sales order on each deal of deals_by_owner."""
    from decimal import Decimal

    from opportunities.sales import services as sales

    quotes, orders = {}, {}
    for key, deal in deals_by_owner.items():
        sales.deal_line_add(
            actor=personas.admin,
            deal=deal,
            values={"description": "Archive box", "quantity": 1, "unit_price": Decimal(100)},
        )
        quotes[key] = sales.quote_create(actor=personas.admin, deal=deal)
        won = deal.pipeline.stages.get(kind="won")
        type(deal).objects.filter(pk=deal.pk).update(stage=won)
        deal.refresh_from_db()
        orders[key] = sales.sales_order_for_won_deal(actor=personas.admin, deal=deal)
    return {"quote": quotes, "order": orders}


class QueuedSms:
    """The text messages in the outbox (crm.models.OutboundSms), oldest first: what a worker will
    send. Iterates, counts and compares like the list of messages it reads."""

    def __iter__(self):
        from crm.models import OutboundSms

        return iter(OutboundSms.objects.order_by("pk"))

    def __len__(self) -> int:
        from crm.models import OutboundSms

        return OutboundSms.objects.count()

    def __eq__(self, other) -> bool:
        return list(self) == list(other)


@pytest.fixture
def queued_sms(db):
    return QueuedSms()
