"""The admin's search configuration offers the lists the apps register (crm.search), and every
registered list's filter bar follows it: the deals list as much as companies, people and leads."""

from django.urls import reverse

from contacts.models import BusinessUnit
from crm import search
from crm.models import SearchField
from tests.factories import DealFactory


def add_search_field(client, admin, **data):
    client.force_login(admin)
    return client.post(reverse("admin:crm_searchfield_add"), {"position": 0, **data})


def deal_list(client, user, params=None):
    client.force_login(user)
    return client.get(reverse("opportunities:deal_list"), params or {})


def test_the_search_configuration_offers_every_registered_list():
    choices = dict(SearchField._meta.get_field("list_name").choices)
    assert {"companies", "people", "leads", "deals"} <= set(choices)
    assert search.search_list("deals").filterset.__name__ == "DealFilter"


def test_a_list_registered_later_is_offered_without_a_migration(monkeypatch):
    from contacts.models import Company

    monkeypatch.setattr(search, "_search_lists", dict(search._search_lists))
    search.register_search_list("tickets", "Tickets", Company)
    field = SearchField(list_name="tickets", field_name="name")
    field.clean_fields()  # refuses a list_name that is not a choice
    assert ("tickets", "Tickets") in SearchField._meta.get_field("list_name").choices


def test_an_admin_adds_a_deals_search_field_and_the_deals_list_filters_by_it(client, admin, rep):
    archives, media = BusinessUnit.objects.order_by("pk")[:2]
    wanted = DealFactory(name="Wanted deal", owner=rep, business_unit=archives)
    other = DealFactory(name="Other deal", owner=rep, business_unit=media)
    # Before: the deals list's default filters, without the business unit.
    assert "business_unit" not in deal_list(client, rep).context["filter"].form.fields

    response = add_search_field(client, admin, list_name="deals", field_name="business_unit", mode="dropdown")

    assert response.status_code == 302, response.context["adminform"].form.errors
    fields = deal_list(client, rep).context["filter"].form.fields
    assert "business_unit" in fields
    # The configuration replaces the defaults, as on the other lists.
    assert "sector" not in fields
    page = deal_list(client, rep, {"business_unit": archives.pk}).context["page"]
    names = [deal.name for deal in page]
    assert wanted.name in names
    assert other.name not in names


def test_a_free_text_deals_search_field_filters_by_the_typed_words(client, admin, rep):
    archives, media = BusinessUnit.objects.order_by("pk")[:2]
    DealFactory(name="Wanted deal", owner=rep, business_unit=archives)
    DealFactory(name="Other deal", owner=rep, business_unit=media)
    add_search_field(client, admin, list_name="deals", field_name="business_unit", mode="text")

    page = deal_list(client, rep, {"business_unit": archives.name[:4]}).context["page"]

    assert [deal.name for deal in page] == ["Wanted deal"]


def test_a_field_the_list_cannot_filter_by_is_refused_with_the_fields_it_can(client, admin):
    response = add_search_field(client, admin, list_name="deals", field_name="phone", mode="dropdown")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["field_name"]
    assert "business_unit" in errors[0]
    assert not SearchField.objects.exists()


def test_a_list_nobody_registered_is_refused(client, admin):
    response = add_search_field(client, admin, list_name="invoices", field_name="number", mode="dropdown")

    assert response.status_code == 200
    assert "list_name" in response.context["adminform"].form.errors
    assert not SearchField.objects.exists()
