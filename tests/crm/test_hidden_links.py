"""Saving a form keeps the links the user cannot see (issue 9: they were saved as empty)."""

from django.urls import reverse

from contacts.models import Person
from opportunities.models import Deal
from tests.factories import CompanyFactory, DealFactory, PersonFactory, person_minimum_data


def person_post(person: Person, **changes) -> dict:
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "version": person.version,
        "owner": person.owner_id or "",
        **person_minimum_data(company=CompanyFactory.build(pk=None)),
    }
    data.update(changes)
    return data


def test_a_person_keeps_a_company_hidden_from_the_editor(client, personas):
    hidden = CompanyFactory(name="Hidden Holding AB", owner=personas.rep)
    person = PersonFactory(owner=personas.restricted, company=hidden)
    client.force_login(personas.restricted)
    url = reverse("contacts:person_update", args=[person.pk])
    assert "Hidden Holding" not in client.get(url).content.decode()
    response = client.post(url, person_post(person, company="", title="Archivist"))
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert (person.company_id, person.title) == (hidden.pk, "Archivist")


def test_choosing_a_visible_company_still_replaces_the_hidden_one(client, personas):
    hidden = CompanyFactory(owner=personas.rep)
    mine = CompanyFactory(name="Mine AB", owner=personas.restricted)
    person = PersonFactory(owner=personas.restricted, company=hidden)
    client.force_login(personas.restricted)
    url = reverse("contacts:person_update", args=[person.pk])
    assert client.post(url, person_post(person, company=mine.pk)).status_code == 302
    person.refresh_from_db()
    assert person.company_id == mine.pk


def test_a_visible_link_left_empty_is_still_cleared(client, personas):
    from contacts.models import RequiredField

    RequiredField.objects.filter(target="contacts.person", field_name="company").update(is_required=False)
    mine = CompanyFactory(owner=personas.restricted)
    person = PersonFactory(owner=personas.restricted, company=mine)
    client.force_login(personas.restricted)
    url = reverse("contacts:person_update", args=[person.pk])
    assert client.post(url, person_post(person, company="")).status_code == 302
    person.refresh_from_db()
    assert person.company_id is None


def test_a_deal_keeps_its_hidden_company_and_contact_when_its_description_is_edited(client, personas):
    company = CompanyFactory(owner=personas.rep)
    contact = PersonFactory(owner=personas.rep, company=company)
    deal = DealFactory(owner=personas.restricted, company=company, primary_contact=contact)
    client.force_login(personas.restricted)
    url = reverse("opportunities:deal_update", args=[deal.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {key: ("" if value is False else value) for key, value in data.items() if value is not False}
    data.update(company="", primary_contact="", description="Now with a description")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    deal = Deal.objects.get(pk=deal.pk)
    assert (deal.company_id, deal.primary_contact_id) == (company.pk, contact.pk)
    assert deal.description == "Now with a description"
