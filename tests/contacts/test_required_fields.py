"""Seed 000's minimum fields of people, companies and leads: required by the forms, relaxed by an
administrator in Django admin, flagged on the cards of records that lack them, and never in the
way of the other edits (owner, status, the board)."""

from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts import required_fields, services
from contacts.demo import demo_companies_ensure
from contacts.forms import CompanyForm, PersonForm
from contacts.models import Company, Person, RequiredField
from crm import lookup_cache
from crm.demo import demo_users_ensure
from leads import services as lead_services
from leads.demo import demo_leads_ensure
from leads.forms import LeadForm
from leads.models import Lead
from opportunities.models import Deal, Pipeline
from tests.factories import (
    CompanyFactory,
    DealFactory,
    LeadFactory,
    PersonFactory,
    company_minimum_data,
    lead_minimum_data,
    person_minimum_data,
)


@dataclass(frozen=True)
class Kind:
    model: type
    target: str
    create_url: str
    detail_url: str
    factory: type
    name_field: str


KINDS = {
    "company": Kind(Company, "contacts.company", "contacts:company_create", "contacts:company_detail",
                    CompanyFactory, "name"),
    "person": Kind(Person, "contacts.person", "contacts:person_create", "contacts:person_detail",
                   PersonFactory, "first_name"),
    "lead": Kind(Lead, "leads.lead", "leads:lead_create", "leads:lead_detail", LeadFactory, "last_name"),
}  # fmt: skip

# Seed 000, word for word: "Minimum: Name, Email, Phone, Business Unit, Company, Title" (people),
# "Minimum: Name, Contact type, Business Unit, Market, Life cycle, Sector, Segment" (companies),
# "Name, Company, Email Business Unit, Source, Details" (leads). With the label the forms show.
SEED_MINIMUM = {
    "person": [("first_name", "First name"), ("email", "E-mail"), ("phone", "Phone"),
               ("business_unit", "Business unit"), ("company", "Company"), ("title", "Title")],
    "company": [("name", "Name"), ("contact_type", "Contact type"), ("business_unit", "Business unit"),
                ("market", "Market"), ("life_cycle", "Life cycle"), ("sector", "Sector"), ("segment", "Segment")],
    "lead": [("last_name", "Last name"), ("company_name", "Company"), ("email", "E-mail"),
             ("business_unit", "Business unit"), ("source", "Source"), ("details", "Details")],
}  # fmt: skip
EVERY_FIELD = [(kind, field, label) for kind, fields in SEED_MINIMUM.items() for field, label in fields]
RELAXABLE = [(kind, field, label) for kind, field, label in EVERY_FIELD if field != KINDS[kind].name_field]


def form_data(kind: str, user) -> dict:
    """A complete form for `kind`, as a user fills it in."""
    common = {"owner": user.pk, "team": ""}
    if kind == "company":
        return {"name": "Nordlys Arkiv AB", **common, **company_minimum_data()}
    if kind == "person":
        company = CompanyFactory(owner=user, complete=True)
        return {"first_name": "Åsa", "last_name": "Öberg", **common, **person_minimum_data(company=company)}
    return {"first_name": "Åsa", "last_name": "Öberg", "status": "new", **common, **lead_minimum_data()}


def relax(kind: str, field: str) -> None:
    assert RequiredField.objects.filter(target=KINDS[kind].target, field_name=field).update(is_required=False)


def empty_value(model, field: str):
    return None if model._meta.get_field(field).is_relation else ""


def incomplete_notice(response) -> str:
    """The text of the card's "incomplete" notice ("" when there is none)."""
    html = response.content.decode()
    start = html.find('data-testid="incomplete"')
    return "" if start == -1 else " ".join(html[start : html.index("</div>", start)].split())


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


# The setting


def test_the_setting_starts_with_every_minimum_field_of_seed_000_required(db):
    rows = set(RequiredField.objects.values_list("target", "field_name", "is_required"))
    assert rows == {(KINDS[kind].target, field, True) for kind, field, _label in EVERY_FIELD}
    # Plus what the model itself requires besides the name: a lead's status (it has a default).
    model_requires = {"company": set(), "person": set(), "lead": {"status"}}
    for kind, fields in SEED_MINIMUM.items():
        expected = {field for field, _ in fields} | model_requires[kind]
        assert set(required_fields.required_fields_for(KINDS[kind].model)) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_a_complete_form_is_accepted(rep_client, rep, kind):
    response = rep_client.post(reverse(KINDS[kind].create_url), form_data(kind, rep))
    assert response.status_code == 302, response.context["form"].errors
    assert required_fields.missing_fields(KINDS[kind].model.objects.get()) == []


@pytest.mark.parametrize(("kind", "field", "label"), EVERY_FIELD)
def test_a_form_without_a_minimum_field_is_refused_with_a_clear_message(rep_client, rep, kind, field, label):
    data = form_data(kind, rep)
    data[field] = ""
    response = rep_client.post(reverse(KINDS[kind].create_url), data)
    assert response.status_code == 200
    expected = (
        "This field is required."
        if field == KINDS[kind].name_field
        else f"{label} is required for every {kind}."
    )
    assert response.context["form"].errors[field] == [expected]
    assert expected.replace("'", "&#x27;") in response.content.decode()
    assert not KINDS[kind].model.objects.exists()


@pytest.mark.parametrize(("kind", "field", "label"), RELAXABLE)
def test_after_relaxing_a_field_the_form_accepts_a_record_without_it(rep_client, rep, kind, field, label):
    data = form_data(kind, rep)
    data[field] = ""
    assert rep_client.post(reverse(KINDS[kind].create_url), data).status_code == 200
    relax(kind, field)
    response = rep_client.post(reverse(KINDS[kind].create_url), data)
    assert response.status_code == 302
    record = KINDS[kind].model.objects.get()
    assert required_fields.missing_fields(record) == []
    assert getattr(record, record._meta.get_field(field).attname) in (None, "")


def test_an_administrator_relaxes_a_field_in_admin_and_the_next_form_asks_no_more(client, admin, rep):
    row = RequiredField.objects.get(target="contacts.person", field_name="title")
    client.force_login(admin)
    response = client.post(
        reverse("admin:contacts_requiredfield_change", args=[row.pk]),
        {"target": row.target, "field_name": row.field_name},  # "required" unticked
    )
    assert response.status_code == 302
    client.force_login(rep)
    data = form_data("person", rep)
    data["title"] = ""
    assert client.post(reverse("contacts:person_create"), data).status_code == 302
    assert Person.objects.get().title == ""


@pytest.mark.parametrize("kind", KINDS)
def test_the_name_cannot_be_relaxed(client, admin, rep, kind):
    row = RequiredField.objects.get(target=KINDS[kind].target, field_name=KINDS[kind].name_field)
    client.force_login(admin)
    response = client.post(
        reverse("admin:contacts_requiredfield_change", args=[row.pk]),
        {"target": row.target, "field_name": row.field_name},
    )
    assert response.status_code == 200
    assert "is always required" in response.context["adminform"].form.errors["is_required"][0]
    row.refresh_from_db()
    assert row.is_required
    # Even a row relaxed behind admin's back (SQL, a fixture) leaves the name required.
    relax(kind, KINDS[kind].name_field)
    assert KINDS[kind].name_field in required_fields.required_fields_for(KINDS[kind].model)
    data = form_data(kind, rep)
    data[KINDS[kind].name_field] = ""
    client.force_login(rep)
    assert client.post(reverse(KINDS[kind].create_url), data).status_code == 200


@pytest.mark.parametrize(
    ("target", "field_name"),
    [
        ("contacts.company", "nickname"),  # no such field
        ("contacts.company", "categories"),  # many values, not one
        ("contacts.person", "consent_email"),  # a tick box: "required" would mean "must agree"
        ("contacts.person", "search_text"),  # not in the form
        ("leads.lead", "converted_company"),  # set by the conversion, not the form
        ("leads.lead", "market"),  # a company field, not a lead's
    ],
)
def test_admin_refuses_a_field_the_record_cannot_be_asked_for(client, admin, target, field_name):
    client.force_login(admin)
    response = client.post(
        reverse("admin:contacts_requiredfield_add"),
        {"target": target, "field_name": field_name, "is_required": "on"},
    )
    assert response.status_code == 200
    assert "that can be required" in response.context["adminform"].form.errors["field_name"][0]
    assert not RequiredField.objects.filter(target=target, field_name=field_name).exists()


def test_an_administrator_can_require_another_field_of_the_form(client, admin, rep):
    client.force_login(admin)
    response = client.post(
        reverse("admin:contacts_requiredfield_add"),
        {"target": "contacts.person", "field_name": "linkedin", "is_required": "on"},
    )
    assert response.status_code == 302
    form = PersonForm(form_data("person", rep), user=rep)
    assert form.errors["linkedin"] == ["LinkedIn is required for every person."]


def test_the_admin_list_shows_each_field_with_its_label(client, admin):
    client.force_login(admin)
    response = client.get(reverse("admin:contacts_requiredfield_changelist"))
    assert response.status_code == 200
    assert "Business unit" in response.content.decode()


# The rule module, for the import and the API


def test_missing_fields_lists_what_a_record_lacks_in_the_forms_order(db):
    person = PersonFactory.build(email="", phone="  ", title="")
    assert required_fields.missing_fields(person) == ["email", "phone", "company", "title", "business_unit"]
    with pytest.raises(ValidationError) as refused:
        required_fields.validate_required(person)
    assert refused.value.message_dict["phone"] == ["Phone is required for every person."]
    relax("person", "phone")
    assert "phone" not in required_fields.missing_fields(person)
    assert required_fields.missing_fields(PersonFactory(complete=True)) == []


def test_a_model_outside_the_setting_is_a_programming_error(db):
    with pytest.raises(LookupError):
        required_fields.required_fields_for(Deal)


def test_the_forms_read_the_setting_once_until_it_changes(rep_client, monkeypatch):
    loads = []
    real_setting = required_fields._setting

    def counted_setting():
        loads.append(1)
        return real_setting()

    monkeypatch.setattr(required_fields, "_setting", counted_setting)
    lookup_cache.clear()
    pages = [
        reverse(name) for name in ("contacts:company_create", "contacts:person_create", "leads:lead_create")
    ]
    for _visit in range(2):
        for page in pages:
            assert rep_client.get(page).status_code == 200
    assert len(loads) == 1
    relax("person", "title")
    response = rep_client.get(reverse("contacts:person_create"))
    assert not response.context["form"].fields["title"].required
    assert len(loads) == 2


def test_a_relaxed_field_is_optional_in_the_very_next_form(db, rep):
    assert PersonForm(user=rep).fields["title"].required
    relax("person", "title")
    assert not PersonForm(user=rep).fields["title"].required
    assert not LeadForm(user=rep).fields["title"].required  # a lead's title was never in the list
    assert CompanyForm(user=rep).fields["sector"].required


# The cards


@pytest.mark.parametrize(("kind", "field", "label"), RELAXABLE)
def test_the_card_of_a_record_without_a_minimum_field_says_incomplete_and_what_is_missing(
    rep_client, rep, kind, field, label
):
    model = KINDS[kind].model
    record = KINDS[kind].factory(owner=rep, complete=True, **{field: empty_value(model, field)})
    response = rep_client.get(reverse(KINDS[kind].detail_url, args=[record.pk]))
    assert response.status_code == 200
    notice = incomplete_notice(response)
    assert "Incomplete" in notice
    assert f"Missing: {label}." in notice


@pytest.mark.parametrize("kind", KINDS)
def test_the_card_of_a_complete_record_has_no_incomplete_notice(rep_client, rep, kind):
    record = KINDS[kind].factory(owner=rep, complete=True)
    response = rep_client.get(reverse(KINDS[kind].detail_url, args=[record.pk]))
    assert response.status_code == 200
    assert incomplete_notice(response) == ""


def test_a_relaxed_field_is_not_flagged_on_the_card(rep_client, rep):
    company = CompanyFactory(owner=rep, complete=True, segment=None, market=None)
    relax("company", "segment")
    notice = incomplete_notice(rep_client.get(reverse("contacts:company_detail", args=[company.pk])))
    assert "Missing: Market." in notice


def test_the_full_edit_form_asks_an_incomplete_record_for_what_is_missing(rep_client, rep):
    company = CompanyFactory(name="Nordlys Arkiv AB", owner=rep)  # saved before the rule existed
    url = reverse("contacts:company_update", args=[company.pk])
    response = rep_client.post(url, {"name": "Nordlys Arkiv AB", "owner": rep.pk, "version": company.version})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "contact_type", "business_unit", "market", "life_cycle", "sector", "segment",
    }  # fmt: skip
    data = {"name": "Nordlys Arkiv AB", "owner": rep.pk, "version": company.version, **company_minimum_data()}
    assert rep_client.post(url, data).status_code == 302
    assert required_fields.missing_fields(Company.objects.get()) == []


# Other edits are not blocked


def test_an_incomplete_company_can_be_reassigned_from_its_card(rep_client, rep, manager):
    company = CompanyFactory(owner=rep)
    assert required_fields.missing_fields(company)
    response = rep_client.post(
        reverse("contacts:company_quick_update", args=[company.pk]),
        {"status": "", "owner": manager.pk, "version": company.version},
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.owner == manager


def test_incomplete_people_and_leads_can_be_reassigned_and_moved_on_by_their_services(rep, manager):
    person = PersonFactory(owner=rep)
    lead = LeadFactory(owner=rep, business_unit=None, source=None, details="")
    assert required_fields.missing_fields(person) and required_fields.missing_fields(lead)
    services.person_update(
        actor=rep, person=person, changes={"owner": manager}, expected_version=person.version
    )
    lead_services.lead_update(
        actor=rep, lead=lead, changes={"status": Lead.Status.WORKING}, expected_version=lead.version
    )
    person.refresh_from_db()
    lead.refresh_from_db()
    assert (person.owner, lead.status) == (manager, Lead.Status.WORKING)


def test_a_deal_with_an_incomplete_company_and_contact_moves_on_the_board(rep_client, rep):
    company = CompanyFactory(owner=rep)  # no contact type, sector, segment…
    contact = PersonFactory(owner=rep, company=company)  # an e-mail, but no phone or title
    assert required_fields.missing_fields(company) and required_fields.missing_fields(contact)
    classic = Pipeline.objects.get(name="Classic")
    stages = {stage.name: stage for stage in classic.stages.all()}
    deal = DealFactory(
        pipeline=classic, stage=stages["Prospecting"], owner=rep, company=company, primary_contact=contact
    )
    response = rep_client.post(
        reverse("opportunities:deal_move_stage", args=[deal.pk]),
        {"stage": stages["Qualification"].pk, "version": deal.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == stages["Qualification"]


# Demo data


def test_the_demo_creates_complete_companies_people_and_leads(db):
    users = demo_users_ensure()
    demo_companies_ensure(users=users)
    demo_leads_ensure(users=users, count=30)
    for model in (Company, Person, Lead):
        incomplete = [(str(record), required_fields.missing_fields(record)) for record in model.objects.all()]
        assert [entry for entry in incomplete if entry[1]] == []
