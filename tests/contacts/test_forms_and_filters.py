"""Company and person forms (phones, domains, owners, lookups, custom fields) and the
configurable list filters (search configuration, custom-field filters)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts import services
from contacts.forms import CompanyForm, PersonForm
from contacts.models import CompanyCategory, Sector
from crm.models import CustomFieldDefinition, SearchField
from crm.phones import display_phone, normalise_phone
from tests.factories import CompanyFactory, UserFactory, company_minimum_data, person_minimum_data

PHONE_ERROR = "Enter a valid phone number, e.g. +46 70 123 45 67."


def company_data(**overrides):
    # With seed 000's minimum fields, which the form requires (tests/contacts/test_required_fields.py).
    return {"name": "Nordlys Arkiv AB", "email_domain": "nordlys.se", "owner": "", "team": "",
            **company_minimum_data(), **overrides}  # fmt: skip


def person_data(**overrides):
    return {"first_name": "Åsa", "last_name": "Öberg", **person_minimum_data(company=CompanyFactory()),
            "email": "asa@nordlys.se", "owner": "", **overrides}  # fmt: skip


# Phone numbers


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+46 70 123 45 67", "+46701234567"),
        ("070-123 45 67", "+46701234567"),
        ("(070) 1234567", "+46701234567"),
        ("0046 70 123 45 67", "+46701234567"),
        ("08-123 456 78", "+46812345678"),
        ("+36 1 234 5678", "+3612345678"),
        ("+47 23 00 00 00", "+4723000000"),
    ],
)
def test_company_form_stores_phone_numbers_in_international_form(rep, typed, stored):
    form = CompanyForm(company_data(phone=typed), user=rep)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == stored


@pytest.mark.parametrize("typed", ["call me maybe", "123", "+46 70", "0000000000", "+999 123456"])
def test_company_form_refuses_what_is_not_a_phone_number(rep, typed):
    form = CompanyForm(company_data(phone=typed), user=rep)
    assert not form.is_valid()
    assert form.errors["phone"] == [PHONE_ERROR]


def test_person_form_normalises_and_validates_the_phone_too(rep):
    good = PersonForm(person_data(phone="070-123 45 67"), user=rep)
    bad = PersonForm(person_data(phone="not a number"), user=rep)
    assert good.is_valid(), good.errors
    assert good.cleaned_data["phone"] == "+46701234567"
    assert not bad.is_valid()
    assert bad.errors["phone"] == [PHONE_ERROR]


def test_an_empty_phone_is_allowed(rep):
    form = CompanyForm(company_data(phone=""), user=rep)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == ""


def test_normalise_phone_reads_numbers_without_a_code_in_the_given_region():
    assert normalise_phone("20 123 4567", region="HU") == "+36201234567"
    assert normalise_phone("  ") == ""


def test_display_phone_shows_stored_numbers_grouped_and_keeps_anything_else():
    assert display_phone("+46701234567") == "+46 70 123 45 67"
    assert display_phone("") == ""
    assert display_phone("ask reception") == "ask reception"


# E-mail domain and e-mail


@pytest.mark.parametrize("typed", ["Nordlys.SE", "@nordlys.se", " nordlys.se "])
def test_company_form_accepts_a_domain_and_stores_it_in_lower_case(rep, typed):
    form = CompanyForm(company_data(email_domain=typed), user=rep)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email_domain"] == "nordlys.se"


@pytest.mark.parametrize(
    "typed", ["http://nordlys.se", "nordlys", "nord lys.se", "anna@nordlys.se", "nordlys.se/", "-nordlys.se"]
)
def test_company_form_refuses_what_is_not_a_domain(rep, typed):
    form = CompanyForm(company_data(email_domain=typed), user=rep)
    assert not form.is_valid()
    assert form.errors["email_domain"] == ["Enter a domain such as example.com, without http:// or @."]


def test_person_form_refuses_a_bad_email_address(rep):
    form = PersonForm(person_data(email="asa@"), user=rep)
    assert not form.is_valid()
    assert "email" in form.errors


def test_person_form_refuses_a_linkedin_field_pointing_elsewhere(rep):
    form = PersonForm(person_data(linkedin="https://evil.example/in/asa"), user=rep)
    assert not form.is_valid()
    assert "linkedin" in form.errors


# Owners and lookups


def test_restricted_user_is_offered_only_themselves_as_owner(restricted, rep):
    form = CompanyForm(user=restricted)
    assert list(form.fields["owner"].queryset) == [restricted]
    posted = CompanyForm(company_data(owner=rep.pk), user=restricted)
    assert not posted.is_valid()
    assert "owner" in posted.errors


def test_other_roles_are_offered_every_active_user_as_owner(rep, personas):
    gone = UserFactory(username="gone", is_active=False)
    owners = set(CompanyForm(user=rep).fields["owner"].queryset)
    assert {personas.admin, personas.manager, rep, personas.rep_other_team, personas.restricted} <= owners
    assert gone not in owners


def test_a_new_record_proposes_the_user_as_owner(rep):
    assert CompanyForm(user=rep).fields["owner"].initial == rep.pk
    assert PersonForm(user=rep).fields["owner"].initial == rep.pk


def test_inactive_lookup_values_are_not_offered_on_new_records(rep):
    Sector.objects.filter(name="Private").update(is_active=False)
    offered = set(CompanyForm(user=rep).fields["sector"].queryset.values_list("name", flat=True))
    assert offered == {"Public"}


def test_an_existing_record_keeps_its_inactive_lookup_value(rep):
    private = Sector.objects.get(name="Private")
    company = CompanyFactory(owner=rep, sector=private)
    Sector.objects.filter(pk=private.pk).update(is_active=False)
    Sector.objects.create(name="Retired", is_active=False)

    form = CompanyForm(instance=company, user=rep)

    assert set(form.fields["sector"].queryset.values_list("name", flat=True)) == {"Public", "Private"}
    posted = CompanyForm(company_data(sector=private.pk, version=company.version), instance=company, user=rep)
    assert posted.is_valid(), posted.errors


def test_an_existing_record_keeps_its_inactive_categories(rep):
    retired = CompanyCategory.objects.create(name="Retired list", is_active=False)
    company = CompanyFactory(owner=rep)
    company.categories.set([retired])

    form = CompanyForm(instance=company, user=rep)

    assert retired in form.fields["categories"].queryset


def test_inactive_categories_are_not_offered_on_new_records(rep):
    CompanyCategory.objects.create(name="Retired list", is_active=False)
    offered = CompanyForm(user=rep).fields["categories"].queryset.values_list("name", flat=True)
    assert "Retired list" not in offered


def test_editing_needs_the_version(rep):
    company = CompanyFactory(owner=rep)
    form = CompanyForm(company_data(), instance=company, user=rep)
    assert not form.is_valid()
    assert "version" in form.errors


def test_person_form_offers_only_companies_the_user_sees(
    manager, rep, rep_other_team, managers_see_only_their_teams
):
    mine, theirs = CompanyFactory(owner=rep), CompanyFactory(owner=rep_other_team)
    offered = set(PersonForm(user=manager).fields["company"].queryset)
    assert mine in offered
    assert theirs not in offered
    posted = PersonForm(person_data(company=theirs.pk), user=manager)
    assert not posted.is_valid()
    assert "company" in posted.errors


# Custom fields


@pytest.fixture
def company_custom_fields(db):
    target = "contacts.company"
    kind = CustomFieldDefinition.FieldType
    return {
        "contract_no": CustomFieldDefinition.objects.create(
            target=target,
            key="contract_no",
            label="Contract no.",
            field_type=kind.TEXT,
            required=True,
            position=1,
        ),
        "employees": CustomFieldDefinition.objects.create(
            target=target,
            key="employees",
            label="Employees",
            field_type=kind.NUMBER,
            position=2,
            show_in_list=True,
        ),
        "renewal": CustomFieldDefinition.objects.create(
            target=target, key="renewal", label="Renewal date", field_type=kind.DATE, position=3
        ),
        "tier": CustomFieldDefinition.objects.create(
            target=target,
            key="tier",
            label="Tier",
            field_type=kind.CHOICE,
            choices="Gold\nSilver\n\nBronze\n",
            position=4,
        ),
        "nda": CustomFieldDefinition.objects.create(
            target=target, key="nda", label="NDA signed", field_type=kind.BOOLEAN, position=5
        ),
    }


CUSTOM_DATA = {
    "cf_contract_no": "K-2025-17",
    "cf_employees": "40",
    "cf_renewal": "2025-03-01",
    "cf_tier": "Gold",
    "cf_nda": "on",
}


def test_a_choice_field_needs_choices():
    definition = CustomFieldDefinition(
        target="contacts.company", key="tier", label="Tier", field_type="choice", choices=" \n "
    )
    with pytest.raises(ValidationError) as refused:
        definition.clean()
    assert "choices" in refused.value.error_dict


def test_company_form_shows_the_active_custom_fields_of_companies_only(rep, company_custom_fields):
    CustomFieldDefinition.objects.create(target="contacts.company", key="old", label="Old", is_active=False)
    CustomFieldDefinition.objects.create(target="contacts.person", key="shoe_size", label="Shoe size")

    fields = CompanyForm(user=rep).fields

    assert {name for name in fields if name.startswith("cf_")} == {
        "cf_contract_no",
        "cf_employees",
        "cf_renewal",
        "cf_tier",
        "cf_nda",
    }
    assert [choice for choice, _label in fields["cf_tier"].choices] == ["", "Gold", "Silver", "Bronze"]
    assert fields["cf_contract_no"].required
    assert "cf_shoe_size" in PersonForm(user=rep).fields


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cf_contract_no", "", "This field is required."),
        ("cf_employees", "lots", "Enter a number."),
        ("cf_renewal", "next spring", "Enter a valid date."),
        ("cf_tier", "Platinum", "Select a valid choice. Platinum is not one of the available choices."),
    ],
)
def test_company_form_validates_custom_fields(rep, company_custom_fields, field, value, message):
    form = CompanyForm(company_data(**{**CUSTOM_DATA, field: value}), user=rep)
    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_custom_values_are_stored_with_their_json_types(rep, company_custom_fields):
    form = CompanyForm(company_data(**CUSTOM_DATA), user=rep)
    assert form.is_valid(), form.errors

    company = services.company_create(actor=rep, values=form.service_values())

    company.refresh_from_db()
    assert company.custom_fields == {
        "contract_no": "K-2025-17",
        "employees": 40,
        "renewal": "2025-03-01",
        "tier": "Gold",
        "nda": True,
    }
    assert isinstance(company.custom_fields["employees"], int)


def test_a_fractional_number_is_stored_as_a_json_number(rep, company_custom_fields):
    form = CompanyForm(company_data(**{**CUSTOM_DATA, "cf_employees": "12.5"}), user=rep)
    assert form.is_valid(), form.errors
    company = services.company_create(actor=rep, values=form.service_values())
    company.refresh_from_db()
    assert company.custom_fields["employees"] == 12.5


def test_empty_optional_custom_fields_are_not_stored(rep, company_custom_fields):
    data = {**CUSTOM_DATA, "cf_employees": "", "cf_renewal": "", "cf_tier": ""}
    del data["cf_nda"]
    form = CompanyForm(company_data(**data), user=rep)
    assert form.is_valid(), form.errors
    company = services.company_create(actor=rep, values=form.service_values())
    company.refresh_from_db()
    assert company.custom_fields == {"contract_no": "K-2025-17", "nda": False}


def test_editing_shows_the_stored_custom_values_and_keeps_values_of_retired_fields(
    rep, company_custom_fields
):
    company = CompanyFactory(
        owner=rep,
        custom_fields={"contract_no": "K-1", "employees": 40, "renewal": "2025-03-01", "legacy_id": "X9"},
    )
    form = CompanyForm(instance=company, user=rep)
    assert form.fields["cf_employees"].initial == 40
    assert str(form.fields["cf_renewal"].initial) == "2025-03-01"

    posted = CompanyForm(
        company_data(**{**CUSTOM_DATA, "cf_employees": "41"}, version=company.version),
        instance=company,
        user=rep,
    )
    assert posted.is_valid(), posted.errors
    services.company_update(
        actor=rep, company=company, changes=posted.service_values(), expected_version=company.version
    )
    company.refresh_from_db()
    assert company.custom_fields["employees"] == 41
    assert company.custom_fields["legacy_id"] == "X9"


@pytest.fixture
def companies_with_custom_values(rep, company_custom_fields):
    return {
        "gold": CompanyFactory(
            name="Gold AB",
            owner=rep,
            custom_fields={
                "contract_no": "K-2025-17",
                "employees": 40,
                "renewal": "2025-03-01",
                "tier": "Gold",
                "nda": True,
            },
        ),
        "silver": CompanyFactory(
            name="Silver AB",
            owner=rep,
            custom_fields={
                "contract_no": "K-2024-02",
                "employees": 12.5,
                "renewal": "2026-01-31",
                "tier": "Silver",
                "nda": False,
            },
        ),
        "blank": CompanyFactory(name="Blank AB", owner=rep, custom_fields={}),
    }


def listed(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("contacts:company_list"), params)
    assert response.status_code == 200
    return {company.name for company in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"Gold AB", "Silver AB", "Blank AB"}),
        ({"cf_tier": "Gold"}, {"Gold AB"}),
        ({"cf_employees": "40"}, {"Gold AB"}),
        ({"cf_employees": "12.5"}, {"Silver AB"}),
        ({"cf_renewal": "2026-01-31"}, {"Silver AB"}),
        ({"cf_nda": "true"}, {"Gold AB"}),
        ({"cf_nda": "false"}, {"Silver AB"}),
        ({"cf_contract_no": "k-2024"}, {"Silver AB"}),
        ({"cf_contract_no": "K-20"}, {"Gold AB", "Silver AB"}),
        ({"cf_tier": "Gold", "cf_nda": "false"}, set()),
    ],
)
def test_the_company_list_filters_on_custom_fields(
    client, rep, companies_with_custom_values, params, expected
):
    assert listed(client, rep, **params) == expected


def test_the_company_list_ignores_an_invalid_custom_filter_value(client, rep, companies_with_custom_values):
    client.force_login(rep)
    response = client.get(reverse("contacts:company_list"), {"cf_employees": "many"})
    assert response.status_code == 200
    assert "cf_employees" in response.context["filter"].form.errors


def test_custom_fields_not_marked_filterable_are_not_offered_as_filters(client, rep, company_custom_fields):
    CustomFieldDefinition.objects.filter(key="renewal").update(filterable=False)
    client.force_login(rep)
    fields = client.get(reverse("contacts:company_list")).context["filter"].form.fields
    assert "cf_renewal" not in fields
    assert {"cf_contract_no", "cf_employees", "cf_tier", "cf_nda"} <= set(fields)


def test_the_company_list_shows_a_column_for_custom_fields_shown_in_the_list(
    client, rep, companies_with_custom_values
):
    client.force_login(rep)
    response = client.get(reverse("contacts:company_list"))
    assert [d.key for d in response.context["custom_columns"]] == ["employees"]
    html = response.content.decode()
    assert '<th class="d-none d-lg-table-cell">Employees</th>' in html
    assert '<td class="d-none d-lg-table-cell">40</td>' in html
    assert "Tier</th>" not in html


# Search configuration


def configure(list_name, **modes):
    for position, (field_name, mode) in enumerate(modes.items()):
        SearchField.objects.create(list_name=list_name, field_name=field_name, mode=mode, position=position)


def filter_fields(client, user, params=None):
    client.force_login(user)
    response = client.get(reverse("contacts:company_list"), params or {})
    return response


def test_without_configuration_the_company_list_offers_the_default_filters(client, rep):
    fields = filter_fields(client, rep).context["filter"].form.fields
    assert list(fields) == [
        "q",
        "owner",
        "team",
        "status",
        "sector",
        "segment",
        "market",
        "life_cycle",
        "categories",
        "ordering",
    ]


def test_the_company_list_offers_exactly_the_configured_filters(client, rep):
    configure("companies", email_domain="dropdown", sector="text")
    configure("people", title="text")
    fields = filter_fields(client, rep).context["filter"].form.fields
    assert list(fields) == ["q", "owner", "team", "email_domain", "sector", "ordering"]


def test_fields_outside_the_configurable_set_are_not_offered(client, rep):
    configure("companies", description="text", email_domain="text")
    fields = filter_fields(client, rep).context["filter"].form.fields
    assert "description" not in fields
    assert "email_domain" in fields


def test_a_configured_dropdown_offers_the_existing_values_and_filters_on_them(client, rep):
    configure("companies", email_domain="dropdown")
    CompanyFactory(name="Nordlys", email_domain="nordlys.se")
    CompanyFactory(name="Film", email_domain="filmarchivum.hu")
    CompanyFactory(name="No domain", email_domain="")

    response = filter_fields(client, rep, {"email_domain": "nordlys.se"})

    choices = [value for value, _label in response.context["filter"].form.fields["email_domain"].choices]
    assert choices == ["", "filmarchivum.hu", "nordlys.se"]
    assert [company.name for company in response.context["page"].object_list] == ["Nordlys"]


def test_a_dropdown_offers_only_values_of_records_the_user_can_see(
    client, manager, rep, rep_other_team, managers_see_only_their_teams
):
    configure("companies", email_domain="dropdown")
    CompanyFactory(name="Visible", email_domain="visible.se", owner=rep)
    CompanyFactory(name="Hidden", email_domain="secret-south.example", owner=rep_other_team)

    response = filter_fields(client, manager)

    choices = [value for value, _label in response.context["filter"].form.fields["email_domain"].choices]
    assert "visible.se" in choices
    assert "secret-south.example" not in choices


def test_a_configured_text_filter_on_a_lookup_matches_part_of_its_name(client, rep):
    configure("companies", sector="text")
    CompanyFactory(name="Town hall", sector=Sector.objects.get(name="Public"))
    CompanyFactory(name="Shop", sector=Sector.objects.get(name="Private"))
    response = filter_fields(client, rep, {"sector": "PUB"})
    assert [company.name for company in response.context["page"].object_list] == ["Town hall"]


def test_a_configured_dropdown_on_a_lookup_filters_by_the_chosen_value(client, rep):
    configure("companies", sector="dropdown")
    public = Sector.objects.get(name="Public")
    CompanyFactory(name="Town hall", sector=public)
    CompanyFactory(name="Shop", sector=Sector.objects.get(name="Private"))
    response = filter_fields(client, rep, {"sector": public.pk})
    assert [company.name for company in response.context["page"].object_list] == ["Town hall"]


def test_the_category_filter_lists_a_company_once_however_many_categories_it_has(client, rep):
    newsletter = CompanyCategory.objects.get(name="Newsletter")
    company = CompanyFactory(name="Nordlys")
    company.categories.set([newsletter, CompanyCategory.objects.get(name="Reference customer")])
    response = filter_fields(client, rep, {"categories": newsletter.pk})
    assert [c.name for c in response.context["page"].object_list] == ["Nordlys"]


def test_the_search_box_and_owner_filter_narrow_the_company_list(client, rep, manager):
    CompanyFactory(name="Malmö Stadsarkiv", owner=rep)
    CompanyFactory(name="Malmö Museer", owner=manager)
    CompanyFactory(name="Nordlys", owner=rep)
    assert listed(client, rep, q="malmo") == {"Malmö Stadsarkiv", "Malmö Museer"}
    assert listed(client, rep, q="malmo", owner=rep.pk) == {"Malmö Stadsarkiv"}


def test_the_people_list_offers_its_configured_filters(client, rep):
    configure("people", title="text", consent_email="dropdown")
    client.force_login(rep)
    fields = client.get(reverse("contacts:person_list")).context["filter"].form.fields
    assert list(fields) == ["q", "company", "owner", "team", "title", "consent_email", "ordering"]
