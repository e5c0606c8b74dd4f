"""The retention job: holds registered by other apps, the owners' heads-up and the report row."""

import datetime

import pytest
from django.utils import timezone

from contacts.models import Person
from crm.models import OutboundEmail
from gdpr import services
from gdpr.models import GdprEvent, GdprSettings
from opportunities.models import DealContact, Stage
from tests.factories import DealFactory, PersonFactory, UserFactory

DAY = datetime.timedelta(days=1)


@pytest.fixture
def retention(db):
    row = GdprSettings.load()
    row.retention_months = 24
    row.heads_up_days = 7
    row.save()
    return services.retention_cutoff(24)


def _old(cutoff, **kwargs):
    return PersonFactory(last_touched_at=cutoff - 30 * DAY, **kwargs)


def test_primary_contact_of_an_open_deal_is_held(retention):
    held = _old(retention, first_name="Heldprimary")
    free = _old(retention, first_name="Free")
    DealFactory(primary_contact=held)
    assert services.retention_anonymise() == 1
    held.refresh_from_db()
    free.refresh_from_db()
    assert held.first_name == "Heldprimary" and free.first_name == "Anonymised"
    report = GdprEvent.objects.get(action="retention")
    assert report.detail["anonymised"] == 1 and report.detail["held"] == 1


def test_deal_contact_of_an_open_deal_is_held_but_not_of_a_lost_one(retention):
    on_open = _old(retention, first_name="Onopen")
    on_lost = _old(retention, first_name="Onlost")
    DealContact.objects.create(deal=DealFactory(), person=on_open)
    lost_deal = DealFactory()
    lost_deal.stage = lost_deal.pipeline.stages.get(kind=Stage.Kind.LOST)
    lost_deal.save()
    DealContact.objects.create(deal=lost_deal, person=on_lost)
    DealFactory(primary_contact=on_lost, stage=lost_deal.stage)
    assert services.retention_anonymise() == 1
    assert set(Person.objects.filter(first_name="Anonymised").values_list("pk", flat=True)) == {on_lost.pk}


def test_heads_up_goes_once_per_owner_and_lists_only_their_people_due_soon(retention):
    alice = UserFactory(username="alice", email="alice@example.com")
    bob = UserFactory(username="bob", email="bob@example.com")
    soon_a1 = PersonFactory(first_name="Soonone", owner=alice, last_touched_at=retention + 2 * DAY)
    PersonFactory(first_name="Soontwo", owner=alice, last_touched_at=retention + 6 * DAY)
    PersonFactory(first_name="Later", owner=alice, last_touched_at=retention + 30 * DAY)
    PersonFactory(first_name="Bobsone", owner=bob, last_touched_at=retention + 3 * DAY)
    held = PersonFactory(first_name="Heldsoon", owner=bob, last_touched_at=retention + 3 * DAY)
    DealFactory(primary_contact=held)
    services.retention_anonymise()
    services.retention_anonymise()  # beat firing twice: no second mail
    mails = {
        tuple(mail.recipients): mail for mail in OutboundEmail.objects.filter(dedupe_key__startswith="gdpr")
    }
    assert set(mails) == {("alice@example.com",), ("bob@example.com",)}
    alice_mail = mails[("alice@example.com",)].body_text
    assert "Soonone" in alice_mail and "Soontwo" in alice_mail
    assert "Later" not in alice_mail and "Bobsone" not in alice_mail
    bob_mail = mails[("bob@example.com",)].body_text
    assert "Bobsone" in bob_mail and "Heldsoon" not in bob_mail
    soon_a1.refresh_from_db()
    assert soon_a1.first_name == "Soonone"  # announced, not anonymised yet
    reports = GdprEvent.objects.filter(action="retention").order_by("pk")
    assert [r.detail["heads_up_people"] for r in reports] == [3, 3]
    assert [r.detail["heads_up_mails"] for r in reports] == [2, 2]


def test_next_day_the_heads_up_goes_again(retention):
    alice = UserFactory(username="alice2", email="alice2@example.com")
    PersonFactory(owner=alice, last_touched_at=retention + 5 * DAY)
    services.retention_heads_up()
    services.retention_heads_up(now=timezone.now() + DAY)
    assert OutboundEmail.objects.filter(recipients=["alice2@example.com"]).count() == 2


def test_no_heads_up_when_turned_off(retention):
    row = GdprSettings.load()
    row.heads_up_days = 0
    row.save()
    PersonFactory(owner=UserFactory(email="x@example.com"), last_touched_at=retention + DAY)
    assert services.retention_heads_up() == (0, 0)
    assert not OutboundEmail.objects.exists()


def test_settings_refuse_a_heads_up_longer_than_a_year(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.settings_update(actor=None, anonymised_fields=[], retention_months=12, heads_up_days=400)
    assert GdprSettings.load().heads_up_days == 7
