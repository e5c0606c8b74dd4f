import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Person
from gdpr.models import GdprEvent
from tests.factories import CompanyFactory, PersonFactory

BULK = "gdpr:contact_bulk"


@pytest.mark.parametrize(
    ("persona", "allowed"), [("admin", True), ("manager", True), ("rep", False), ("restricted", False)]
)
def test_bulk_anonymise_post_for_each_role(client, personas, persona, allowed):
    user = getattr(personas, persona)
    person = PersonFactory(first_name="Target", owner=user)
    client.force_login(user)
    response = client.post(reverse(BULK), {"action": "anonymise", "ids": [person.pk]})
    person.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert person.first_name == "Anonymised"
    else:
        assert response.status_code == 403
        assert person.first_name == "Target"


def test_bulk_get_is_the_confirm_step_and_changes_nothing(client, manager):
    people = [PersonFactory(first_name="Keep") for _ in range(3)]
    client.force_login(manager)
    response = client.get(reverse(BULK), {"action": "anonymise", "ids": [p.pk for p in people]})
    assert response.status_code == 200
    assert b"cannot be undone" in response.content and b"Anonymise 3 people?" in response.content
    assert Person.objects.filter(first_name="Keep").count() == 3


@pytest.mark.parametrize("bad_id", ["999999", "abc", "-1", "99999999999999999999999"])
def test_bulk_with_unknown_ids_answers_404_and_changes_nothing(client, manager, bad_id):
    person = PersonFactory(first_name="Keep")
    client.force_login(manager)
    response = client.post(reverse(BULK), {"action": "anonymise", "ids": [person.pk, bad_id]})
    assert response.status_code == 404
    person.refresh_from_db()
    assert person.first_name == "Keep"


def test_bulk_with_a_hidden_persons_id_answers_404(client, personas, managers_see_only_their_teams):
    mine = PersonFactory(first_name="Mine", owner=personas.manager)
    hidden = PersonFactory(first_name="Hidden", owner=personas.rep_other_team)
    client.force_login(personas.manager)
    response = client.post(reverse(BULK), {"action": "anonymise", "ids": [mine.pk, hidden.pk]})
    assert response.status_code == 404
    assert Person.objects.filter(first_name__in=["Mine", "Hidden"]).count() == 2


def test_bulk_touch_with_a_reason(client, manager):
    person = PersonFactory(last_touched_at=timezone.now() - datetime.timedelta(days=500))
    client.force_login(manager)
    response = client.post(reverse(BULK), {"action": "touch", "ids": [person.pk], "reason": "Renewed"})
    assert response.status_code == 302
    assert GdprEvent.objects.get(action="touch", object_id=person.pk).reason == "Renewed"


def test_age_list_sorts_by_age_filters_and_hides_anonymised(client, personas):
    now = timezone.now()
    oldest = PersonFactory(first_name="Oldest", last_touched_at=now - datetime.timedelta(days=900))
    PersonFactory(first_name="Recent", last_touched_at=now - datetime.timedelta(days=10))
    gone = PersonFactory(first_name="Gone", last_touched_at=now - datetime.timedelta(days=1000))
    client.force_login(personas.manager)
    client.post(reverse(BULK), {"action": "anonymise", "ids": [gone.pk]})
    rows = client.get(reverse("gdpr:contact_age_list")).context["page"].object_list
    assert [p.first_name for p in rows] == ["Oldest", "Recent"]
    rows = client.get(reverse("gdpr:contact_age_list"), {"older_than": 12}).context["page"].object_list
    assert [p.pk for p in rows] == [oldest.pk]
    assert client.get(reverse("gdpr:contact_age_list"), {"older_than": "x"}).status_code == 200


def test_age_list_filters_by_company_and_sorts_by_age_or_name(client, personas):
    now = timezone.now()
    acme, other = CompanyFactory(name="Acme Archives"), CompanyFactory(name="Beta Bank")
    PersonFactory(
        first_name="Ann",
        last_name="Zetterlund",
        company=acme,
        last_touched_at=now - datetime.timedelta(days=900),
    )
    PersonFactory(
        first_name="Bo",
        last_name="Andersson",
        company=acme,
        last_touched_at=now - datetime.timedelta(days=30),
    )
    PersonFactory(
        first_name="Cai", last_name="Berg", company=other, last_touched_at=now - datetime.timedelta(days=500)
    )
    client.force_login(personas.manager)

    def names(**query):
        page = client.get(reverse("gdpr:contact_age_list"), query).context["page"]
        return [p.first_name for p in page.object_list]

    assert names(company="acme") == ["Ann", "Bo"]
    assert names(company="acme", sort="recent") == ["Bo", "Ann"]
    assert names(sort="name")[:3] == ["Bo", "Cai", "Ann"]
    assert client.get(reverse("gdpr:contact_age_list"), {"sort": "bogus"}).status_code == 200


def test_export_holds_the_person_and_is_logged(client, manager):
    person = PersonFactory(first_name="Exported", email="ex@example.com")
    client.force_login(manager)
    assert client.get(reverse("gdpr:person_subject_access", args=[person.pk])).status_code == 405
    response = client.post(reverse("gdpr:person_subject_access", args=[person.pk]))
    assert response.status_code == 200
    assert b"ex@example.com" in response.content
    assert GdprEvent.objects.filter(action="export", object_id=person.pk, actor=manager).exists()
    html = client.post(reverse("gdpr:person_subject_access", args=[person.pk]), {"format": "html"})
    assert b"Exported" in html.content


def test_export_does_not_name_a_linked_record_hidden_from_the_viewer(
    client, personas, managers_see_only_their_teams
):
    from tests.factories import CompanyFactory, LeadFactory

    hidden_company = CompanyFactory(name="Hiddencorp", owner=personas.rep_other_team)
    person = PersonFactory(first_name="Seen", owner=personas.manager, company=hidden_company)
    LeadFactory(last_name="Hiddenlead", owner=personas.rep_other_team, converted_person=person)
    LeadFactory(last_name="Shownlead", owner=personas.manager, converted_person=person)
    client.force_login(personas.manager)
    content = client.post(reverse("gdpr:person_subject_access", args=[person.pk])).content
    assert b"Shownlead" in content
    assert b"Hiddenlead" not in content and b"Hiddencorp" not in content
