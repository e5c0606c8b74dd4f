import pytest

from marketing.mailings.bench import bench_mailings_seed
from marketing.mailings.demo import demo_mailings_ensure
from marketing.mailings.models import EmailCampaign, MailEvent, Recipient
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_the_demo_campaign_is_sent_with_events_once(personas):
    for n in range(6):
        PersonFactory(first_name=f"Demo{n}", consent_email=True)
    users = {"admin": personas.admin, "manager": personas.manager}
    assert demo_mailings_ensure(users=users) == 6
    assert demo_mailings_ensure(users=users) == 6
    mailing = EmailCampaign.objects.get()
    assert mailing.status == EmailCampaign.Status.SENT
    assert set(Recipient.objects.values_list("status", flat=True)) == {"sent"}
    kinds = set(MailEvent.objects.values_list("kind", flat=True))
    assert {"unsubscribed", "bounced"} <= kinds


def test_the_bench_seed_writes_a_sent_campaign_with_events(personas):
    for n in range(30):
        PersonFactory(first_name=f"Bench{n}")
    made = bench_mailings_seed(admin=personas.admin, recipients=20)
    assert made["recipients"] == 20 and made["events"] >= 1
    assert bench_mailings_seed(admin=personas.admin) == {}
