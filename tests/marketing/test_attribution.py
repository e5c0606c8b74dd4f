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
