import pytest
from django.urls import reverse

from gdpr.models import GdprEvent
from tests.factories import PersonFactory


def _card(client, person):
    response = client.get(person.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_manager_sees_anonymise_touch_and_export_on_the_person_card(client, manager):
    person = PersonFactory(first_name="Carded")
    client.force_login(manager)
    content = _card(client, person)
    assert 'data-testid="gdpr-panel"' in content
    assert reverse("gdpr:person_anonymise", args=[person.pk]) in content
    assert reverse("gdpr:person_touch", args=[person.pk]) in content
    assert reverse("gdpr:person_subject_access_exports", args=[person.pk]) in content


@pytest.mark.parametrize("persona", ["rep", "restricted"])
def test_roles_without_the_gdpr_permissions_get_no_panel(client, personas, persona):
    user = getattr(personas, persona)
    person = PersonFactory(owner=user)
    client.force_login(user)
    content = _card(client, person)
    assert 'data-testid="gdpr-panel"' not in content
    assert reverse("gdpr:person_anonymise", args=[person.pk]) not in content


def test_a_rep_granted_export_only_gets_the_export_button(client, rep):
    from django.contrib.auth.models import Permission

    rep.user_permissions.add(Permission.objects.get(codename="export_personal_data"))
    person = PersonFactory(owner=rep)
    client.force_login(rep)
    content = _card(client, person)
    assert reverse("gdpr:person_subject_access_exports", args=[person.pk]) in content
    assert reverse("gdpr:person_anonymise", args=[person.pk]) not in content


def test_a_rep_granted_gdpr_sees_no_anonymise_on_a_person_they_may_only_read(client, personas):
    # Reps see every card but change only their team's: the panel offers nothing they may not do.
    from django.contrib.auth.models import Permission

    rep = personas.rep
    rep.user_permissions.add(Permission.objects.get(codename="manage_personal_data"))
    other = PersonFactory(owner=personas.rep_other_team)
    own = PersonFactory(owner=rep)
    client.force_login(rep)
    assert reverse("gdpr:person_anonymise", args=[other.pk]) not in _card(client, other)
    assert reverse("gdpr:person_anonymise", args=[own.pk]) in _card(client, own)


def test_the_card_link_leads_to_the_confirm_step_then_anonymises(client, manager):
    person = PersonFactory(first_name="Cardgone", email="cardgone@example.com")
    client.force_login(manager)
    url = reverse("gdpr:person_anonymise", args=[person.pk])
    confirm = client.get(url)
    assert b"cannot be undone" in confirm.content
    assert client.post(url).status_code == 302
    assert GdprEvent.objects.filter(action="anonymise", object_id=person.pk).exists()
    content = _card(client, person)
    assert "This record has been anonymised." in content
    assert url not in content
    assert "Cardgone" not in content


def test_touch_from_the_card_resets_the_date_with_the_reason(client, manager):
    import datetime

    from django.utils import timezone

    long_ago = timezone.now() - datetime.timedelta(days=800)
    person = PersonFactory(last_touched_at=long_ago)
    client.force_login(manager)
    response = client.post(reverse("gdpr:person_touch", args=[person.pk]), {"reason": "Called back"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.last_touched_at > long_ago + datetime.timedelta(days=799)
    assert GdprEvent.objects.get(action="touch", object_id=person.pk).reason == "Called back"
