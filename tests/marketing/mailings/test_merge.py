"""A person merge keeps one recipient row per e-mail campaign (contacts.services.on_merge)."""

import pytest

from contacts.services import person_merge
from marketing.mailings.models import Recipient
from tests.factories import PersonFactory
from tests.marketing.mailings.records import email_campaigns_by_owner, grow_recipients

pytestmark = pytest.mark.django_db


def test_a_merge_keeps_the_survivors_recipient_where_both_received_a_mailing(personas):
    survivor, duplicate = PersonFactory(owner=personas.manager), PersonFactory(owner=personas.manager)
    mailings = email_campaigns_by_owner(personas)
    both, only_duplicate = mailings["admin"], mailings["manager"]
    grow_recipients(both, [survivor], start=0)
    grow_recipients(both, [duplicate], start=1)
    grow_recipients(only_duplicate, [duplicate], start=2)
    kept = Recipient.objects.get(email_campaign=both, person=survivor)

    person_merge(actor=personas.manager, survivor=survivor, duplicate=duplicate)

    assert set(Recipient.objects.filter(person=survivor).values_list("pk", "email_campaign")) == {
        (kept.pk, both.pk),
        (Recipient.objects.get(email_campaign=only_duplicate).pk, only_duplicate.pk),
    }
