"""A record's first-touch campaign stays; its converting campaign is the latest; a lead's
campaigns carry over to what it became."""

import pytest

from marketing import attribution
from marketing.models import Campaign
from tests.factories import DealFactory, LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_the_first_touch_stays_and_the_converting_campaign_is_the_latest():
    lead = LeadFactory()
    fair, mailing, webinar = (Campaign.objects.create(name=n) for n in ("Fair", "Mailing", "Webinar"))
    attribution.attribute(lead, fair)
    attribution.attribute(lead, mailing, converting=True)
    attribution.attribute(lead, webinar, converting=True)
    assert attribution.campaigns_of(lead) == {"first": fair, "converting": webinar}


def test_a_leads_campaigns_carry_over_to_the_person_and_deal_it_became():
    lead, person, deal = LeadFactory(), PersonFactory(), DealFactory()
    fair, mailing = Campaign.objects.create(name="Fair"), Campaign.objects.create(name="Mailing")
    attribution.attribute(lead, fair)
    attribution.attribute(lead, mailing, converting=True)
    attribution.carry_over(lead, [person, deal, None])
    assert (
        attribution.campaigns_of(person)
        == attribution.campaigns_of(deal)
        == {
            "first": fair,
            "converting": mailing,
        }
    )


def test_a_merged_person_keeps_the_earlier_first_touch_and_the_later_conversion(manager):
    from datetime import timedelta

    from django.utils import timezone

    from contacts.services import person_merge
    from marketing.models import Attribution

    survivor, duplicate = PersonFactory(owner=manager), PersonFactory(owner=manager)
    old, new, fair = (Campaign.objects.create(name=n) for n in ("Old", "New", "Fair"))
    attribution.attribute(duplicate, old, converting=True)
    attribution.attribute(survivor, new, converting=True)
    attribution.attribute(survivor, fair)  # first touch of survivor: New already
    Attribution.objects.filter(campaign=old).update(created_at=timezone.now() - timedelta(days=3))
    person_merge(actor=manager, survivor=survivor, duplicate=duplicate)
    assert attribution.campaigns_of(survivor) == {"first": old, "converting": new}
    assert not Attribution.objects.filter(object_id=duplicate.pk).exists()


def test_a_merged_persons_score_joins_the_survivors(manager):
    from contacts.services import person_merge
    from marketing import scoring

    survivor, duplicate = PersonFactory(owner=manager), PersonFactory(owner=manager)
    scoring.record_event(kind="link_clicked", person=survivor, points=30)
    scoring.record_event(kind="link_clicked", person=duplicate, points=25)
    person_merge(actor=manager, survivor=survivor, duplicate=duplicate)
    assert (scoring.person_score(survivor).score, scoring.person_score(survivor).grade) == (55, "A")
