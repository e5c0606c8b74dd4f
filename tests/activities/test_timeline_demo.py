"""The demo data of the activities (activities/demo.py, through seed_demo): a few hundred, in
the past (done, with outcomes) and ahead (open), on the demo companies, people and deals."""

from django.core.management import call_command
from django.utils import timezone

from activities.models import Activity
from opportunities.models import Deal


def test_seed_demo_adds_past_and_future_activities_once(db):
    call_command("seed_demo")
    count = Activity.objects.count()
    assert count >= 200
    now = timezone.now()
    done = Activity.objects.filter(status="done", done_at__lt=now)
    assert done.count() >= 100 and not done.filter(outcome="").exists()
    assert Activity.objects.filter(status="open", due_at__gt=now).count() >= 50
    assert Activity.objects.filter(status="open", meeting_category__is_first_meeting=True).exists()
    # Most open deals have their next step; a few are left for the board to flag.
    open_deals = Deal.objects.filter(stage__kind="open")
    planned = open_deals.filter(pk__in=Activity.objects.filter(status="open").values("deal_id")).count()
    assert 0 < planned < open_deals.count()
    call_command("seed_demo")
    assert Activity.objects.count() == count
