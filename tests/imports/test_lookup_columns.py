"""Lists of values (sector, market, business unit…) are columns of the import: under the default
minimum-field setting (seed 000: a company needs its contact type, business unit, market, life
cycle, sector and segment) a spreadsheet that names them imports, matched by name without case."""

import pytest

from contacts.models import BusinessUnit, Company, ContactType, LifeCycle, Market, Person, Sector, Segment
from imports import services
from imports.models import ImportJob
from leads.models import Lead, LeadSource
from tests.factories import CompanyFactory


def _run(actor, data: str, kind: str):
    job = services.job_create(actor=actor, kind=kind, data=data.encode(), file_name=f"{kind}.csv")
    services.job_start(actor=actor, job=job)
    return job, services.job_run_here(job=ImportJob.objects.get(pk=job.pk))


@pytest.fixture
def values(db):
    made = {
        "contact_type": ContactType.objects.get_or_create(name="Customer")[0],
        "business_unit": BusinessUnit.objects.get_or_create(name="Nordics")[0],
        "market": Market.objects.get_or_create(name="Sweden")[0],
        "life_cycle": LifeCycle.objects.get_or_create(name="Active")[0],
        "sector": Sector.objects.get_or_create(name="IT services")[0],
        "segment": Segment.objects.get_or_create(name="Mid-market")[0],
    }
    return made


def test_companies_import_under_the_default_minimum_fields_naming_each_value(manager, values):
    data = (
        "Företag;Kontakttyp;Affärsenhet;Marknad;Livscykel;Bransch;Segment\n"
        "Acme AB;customer;NORDICS;Sweden;active;It Services;mid-market\n"
    )
    job, done = _run(manager, data, "companies")
    assert set(job.mapping.values()) == {
        "name", "contact_type", "business_unit", "market", "life_cycle", "sector", "segment",
    }  # fmt: skip
    assert (done.created, done.rejected) == (1, 0), list(done.rows.values_list("message", flat=True))
    acme = Company.objects.get(name="Acme AB")
    assert {name: getattr(acme, name) for name in values} == values


def test_a_value_not_in_the_list_rejects_the_row_naming_it(manager, values):
    data = (
        "Company;Contact type;Business unit;Market;Life cycle;Sector;Segment\n"
        "Acme AB;Customer;Nordics;Sweden;Active;Aerospace;Mid-market\n"
        "Beta AB;Customer;Nordics;Sweden;Active;IT services;Mid-market\n"
    )
    _job, done = _run(manager, data, "companies")
    assert (done.created, done.rejected) == (1, 1)
    message = done.rows.get(outcome="rejected").message
    assert "Aerospace" in message and "sector" in message.lower()
    assert not Company.objects.filter(name="Acme AB").exists()


def test_people_and_leads_name_their_business_unit_and_source(manager, values):
    CompanyFactory(name="Acme AB", owner=manager)
    people = (
        "First name;E-mail;Phone;Company;Title;Business unit\n"
        "Anna;anna@acme.se;+46 70 123 45 67;Acme AB;CFO;nordics\n"
    )
    _job, done = _run(manager, people, "people")
    assert done.created == 1, list(done.rows.values_list("message", flat=True))
    assert Person.objects.get(email="anna@acme.se").business_unit == values["business_unit"]
    fair = LeadSource.objects.get_or_create(name="Trade fair")[0]
    leads = (
        "Last name;Company;E-mail;Business unit;Source;Details\n"
        "Berg;Acme AB;berg@acme.se;Nordics;trade fair;Met at the stand\n"
    )
    _job, done = _run(manager, leads, "leads")
    assert done.created == 1, list(done.rows.values_list("message", flat=True))
    lead = Lead.objects.get(email="berg@acme.se")
    assert (lead.source, lead.business_unit, lead.details) == (
        fair,
        values["business_unit"],
        "Met at the stand",
    )
