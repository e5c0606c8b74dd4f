import pytest
from django.urls import reverse

from contacts.models import Company
from crm.models import AuditEvent
from tests.factories import CompanyFactory, company_minimum_data


def company_form(**overrides):
    return {"name": "Nordlys Arkiv AB", "website": "https://nordlys.se", "email_domain": "nordlys.se",
            "owner": "", "team": "", **company_minimum_data(), **overrides}  # fmt: skip


def test_rep_creates_a_company_with_an_audit_row(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("contacts:company_create"), company_form(owner=rep.pk, email_domain="@Nordlys.SE")
    )
    company = Company.objects.get()
    assert response["Location"] == company.get_absolute_url()
    assert (company.owner, company.email_domain, company.version) == (rep, "nordlys.se", 1)
    assert AuditEvent.objects.get().verb == "create"


def test_the_new_company_form_proposes_the_user_as_owner(client, rep):
    client.force_login(rep)
    response = client.get(reverse("contacts:company_create"))
    assert response.context["form"]["owner"].initial == rep.pk


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("website", "javascript:alert(1)", "Enter a valid URL."),
        ("owner", "999999", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_saved(client, rep, field, value, message):
    client.force_login(rep)
    response = client.post(reverse("contacts:company_create"), company_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not Company.objects.exists()


def test_restricted_user_cannot_hand_a_company_to_someone_else(client, restricted, rep):
    client.force_login(restricted)
    response = client.post(reverse("contacts:company_create"), company_form(owner=rep.pk))
    assert "owner" in response.context["form"].errors
    assert not Company.objects.exists()


def test_fields_outside_the_form_are_ignored(client, rep, rep_other_team):
    client.force_login(rep)
    client.post(
        reverse("contacts:company_create"),
        company_form(owner=rep.pk, version=99, created_at="2000-01-01", id=424242, is_superuser="on"),
    )
    company = Company.objects.get()
    assert company.pk != 424242
    assert company.version == 1
    assert company.created_at.year != 2000


def test_editing_bumps_the_version_and_records_the_change(client, rep):
    company = CompanyFactory(name="Old name", owner=rep)
    client.force_login(rep)
    response = client.post(
        reverse("contacts:company_update", args=[company.pk]),
        company_form(name="New name", owner=rep.pk, version=company.version),
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.version) == ("New name", 2)
    assert AuditEvent.objects.get(verb="update").changes["name"] == "New name"


def test_a_concurrent_edit_is_refused_and_the_stored_values_are_shown(client, rep, manager):
    company = CompanyFactory(name="Original", owner=rep)
    url = reverse("contacts:company_update", args=[company.pk])
    client.force_login(manager)
    client.post(url, company_form(name="Manager's edit", owner=rep.pk, version=1))
    client.force_login(rep)
    response = client.post(url, company_form(name="Rep's stale edit", owner=rep.pk, version=1))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this record while you were editing it" in page
    assert "Manager&#x27;s edit" in page
    company.refresh_from_db()
    assert (company.name, company.version) == ("Manager's edit", 2)


def test_deleting_asks_first_then_removes_the_company(client, rep):
    company = CompanyFactory(owner=rep)
    client.force_login(rep)
    url = reverse("contacts:company_delete", args=[company.pk])
    assert client.get(url).status_code == 200
    assert Company.objects.filter(pk=company.pk).exists()
    assert client.post(url)["Location"] == reverse("contacts:company_list")
    assert not Company.objects.filter(pk=company.pk).exists()


def test_restricted_user_may_not_delete_even_their_own_company(client, restricted):
    company = CompanyFactory(owner=restricted)
    client.force_login(restricted)
    assert client.post(reverse("contacts:company_delete", args=[company.pk])).status_code == 403
    assert Company.objects.filter(pk=company.pk).exists()


def test_list_search_and_owner_filter(client, rep, manager):
    CompanyFactory(name="Szegedi Filmarchívum", owner=rep)
    CompanyFactory(name="Kiruna Gruvdata", owner=manager)
    client.force_login(rep)
    url = reverse("contacts:company_list")
    assert [c.name for c in client.get(url, {"q": "filmarch"}).context["page"]] == ["Szegedi Filmarchívum"]
    assert [c.name for c in client.get(url, {"owner": manager.pk}).context["page"]] == ["Kiruna Gruvdata"]


def test_list_hides_what_the_user_may_not_see(client, restricted, rep):
    CompanyFactory(name="Visible", owner=restricted)
    CompanyFactory(name="Hidden", owner=rep)
    client.force_login(restricted)
    names = [c.name for c in client.get(reverse("contacts:company_list")).context["page"]]
    assert names == ["Visible"]


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_the_rows(client, rep, personas, rows, django_assert_num_queries):
    CompanyFactory.create_batch(rows, owner=rep, team=personas.north)
    client.force_login(rep)
    client.get(reverse("contacts:company_list"))  # warm the session and content types
    # the lookup and identity generations (the session, the user with its role groups, settings,
    # search configuration, custom fields, the dropdowns' choices and permissions are kept by
    # crm.lookup_cache until they change), page ids, page rows, capped count, the next steps of
    # the page (activities)
    with django_assert_num_queries(5):
        response = client.get(reverse("contacts:company_list"))
    assert len(response.context["page"].object_list) == rows
