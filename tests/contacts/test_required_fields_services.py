"""Seed 000's minimum fields and seed 001's fixed labels are rules of the create and update
services, so admin, the import and the API get them as the forms do; callers that give only some
fields (lead conversion, demo data, bench seeding) keep working."""

import pytest
from django.core.exceptions import ValidationError

from contacts import services
from contacts.models import Company, Person, RequiredField
from leads import services as lead_services
from leads.models import Lead
from opportunities import services as deal_services
from opportunities.models import Deal, Pipeline
from tests.factories import CompanyFactory, DealFactory, LeadFactory, PersonFactory

# Seed 000's minimum fields besides the name, with the message a service gives when one is empty.
MINIMUM = [
    ("company", "contact_type", "Contact type is required for every company."),
    ("company", "business_unit", "Business unit is required for every company."),
    ("company", "market", "Market is required for every company."),
    ("company", "life_cycle", "Life cycle is required for every company."),
    ("company", "sector", "Sector is required for every company."),
    ("company", "segment", "Segment is required for every company."),
    ("person", "email", "E-mail is required for every person."),
    ("person", "phone", "Phone is required for every person."),
    ("person", "business_unit", "Business unit is required for every person."),
    ("person", "company", "Company is required for every person."),
    ("person", "title", "Title is required for every person."),
    ("lead", "company_name", "Company is required for every lead."),
    ("lead", "email", "E-mail is required for every lead."),
    ("lead", "business_unit", "Business unit is required for every lead."),
    ("lead", "source", "Source is required for every lead."),
    ("lead", "details", "Details is required for every lead."),
]
MODELS = {"company": Company, "person": Person, "lead": Lead}
TARGETS = {"company": "contacts.company", "person": "contacts.person", "lead": "leads.lead"}
NAMES = {
    "company": {"name": "Nordlys Arkiv AB"},
    "person": {"first_name": "Åsa"},
    "lead": {"last_name": "Öberg"},
}


def empty(kind: str, field: str):
    return None if MODELS[kind]._meta.get_field(field).is_relation else ""


def create(kind: str, actor, values: dict):
    values = {**NAMES[kind], **values}
    if kind == "company":
        return services.company_create(actor=actor, values=values)
    if kind == "person":
        return services.person_create(actor=actor, values=values)
    return lead_services.lead_create(actor=actor, values=values)


def update(kind: str, actor, record, changes: dict):
    if kind == "company":
        return services.company_update(actor=actor, company=record, changes=changes, expected_version=1)
    if kind == "person":
        return services.person_update(actor=actor, person=record, changes=changes, expected_version=1)
    return lead_services.lead_update(actor=actor, lead=record, changes=changes, expected_version=1)


def complete_record(kind: str, owner):
    factory = {"company": CompanyFactory, "person": PersonFactory, "lead": LeadFactory}[kind]
    return factory(owner=owner, complete=True)


@pytest.mark.parametrize(("kind", "field", "message"), MINIMUM)
def test_a_create_service_refuses_an_empty_minimum_field(rep, kind, field, message):
    with pytest.raises(ValidationError) as refused:
        create(kind, rep, {field: empty(kind, field)})
    assert refused.value.message_dict == {field: [message]}
    assert not MODELS[kind].objects.exists()


@pytest.mark.parametrize(("kind", "field", "message"), MINIMUM)
def test_an_update_service_refuses_to_empty_a_minimum_field(rep, kind, field, message):
    record = complete_record(kind, rep)
    with pytest.raises(ValidationError) as refused:
        update(kind, rep, record, {field: empty(kind, field)})
    assert refused.value.message_dict == {field: [message]}
    record.refresh_from_db()
    assert getattr(record, record._meta.get_field(field).attname) not in (None, "")
    assert record.version == 1


@pytest.mark.parametrize(("kind", "field", "message"), MINIMUM)
def test_a_relaxed_field_may_be_left_empty_by_the_services(rep, kind, field, message):
    assert RequiredField.objects.filter(target=TARGETS[kind], field_name=field).update(is_required=False)
    record = create(kind, rep, {field: empty(kind, field)})
    assert getattr(record, record._meta.get_field(field).attname) in (None, "")


@pytest.mark.parametrize("kind", MODELS)
def test_the_name_is_refused_empty_with_the_minimum_fields_message(rep, kind):
    name_field = next(iter(NAMES[kind]))
    with pytest.raises(ValidationError) as refused:
        create(kind, rep, {name_field: "  "})
    assert list(refused.value.message_dict) == [name_field]


@pytest.mark.parametrize("kind", MODELS)
def test_callers_that_give_only_some_fields_still_create_and_edit_records(rep, manager, kind):
    # Demo data, bench seeding and tests give a name and a few fields: what is not given is not
    # written, and the card flags the record as incomplete.
    record = create(kind, rep, {})
    updated = update(kind, rep, record, {"owner": manager})
    assert updated.owner == manager


def test_a_lead_without_phone_title_or_business_unit_still_converts(rep):
    lead = LeadFactory(owner=rep, phone="", title="", business_unit=None, company_name="Nordlys Arkiv AB")
    person, company = lead_services.lead_convert(actor=rep, lead=lead, create_company=True)
    assert (person.phone, person.title, person.business_unit, person.company) == ("", "", None, company)
    assert company.name == "Nordlys Arkiv AB"


# Seed 001's fixed labels


@pytest.fixture
def labelled(db):
    Pipeline.objects.filter(name="Standard").update(
        deal_names="Annual licence\nService contract", probabilities="25\n50\n75"
    )
    return Pipeline.objects.get(name="Standard")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "Something else"}, "name", "Choose one of the deal names of the pipeline Standard."),
        (
            {"name": "Annual licence", "probability": 33},
            "probability",
            "Choose one of the probabilities of the pipeline Standard.",
        ),
    ],
)
def test_deal_create_refuses_a_label_outside_the_pipelines_lists(rep, labelled, values, field, message):
    with pytest.raises(ValidationError) as refused:
        deal_services.deal_create(actor=rep, pipeline=labelled, values=values)
    assert refused.value.message_dict == {field: [message]}
    assert not Deal.objects.exists()


def test_deal_create_accepts_the_pipelines_labels(rep, labelled):
    deal = deal_services.deal_create(
        actor=rep, pipeline=labelled, values={"name": "Service contract", "probability": 50}
    )
    assert (deal.name, deal.probability) == ("Service contract", 50)


def test_deal_update_refuses_a_new_name_outside_the_list_but_keeps_an_old_one(rep, labelled):
    deal = DealFactory(owner=rep, name="Named before the list", probability=33)
    kept = deal_services.deal_update(
        actor=rep, deal=deal, changes={"name": "Named before the list", "probability": 33}, expected_version=1
    )
    assert kept.version == 2
    with pytest.raises(ValidationError) as refused:
        deal_services.deal_update(
            actor=rep, deal=deal, changes={"name": "Another free text"}, expected_version=2
        )
    assert list(refused.value.message_dict) == ["name"]
    deal.refresh_from_db()
    assert deal.name == "Named before the list"
