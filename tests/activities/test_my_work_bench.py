"""The benchmark's activities: bench_seed loads them (200,000 over 50 reps at full size; a few
hundred here) and bench_routes walks the activities pages on them."""

import io

import pytest
from django.core.management import call_command
from django.db.models import F

from activities.models import Activity
from crm.models import User
from tests.crm.test_bench_walk import TINY, table_rows


@pytest.fixture
def seeded(db, media_root):
    stream = io.StringIO()
    call_command("bench_seed", **TINY, activities=500, stdout=stream)
    return stream.getvalue()


def seeded_activities():
    """The activities seed's, not the two of the bench seed's finished import nor the to-dos of
    its campaigns (the admin's)."""
    return Activity.objects.exclude(subject__startswith="Bench import").exclude(
        subject__startswith="Bench campaign to-do"
    )


def test_seed_spreads_the_activities_over_the_fifty_reps_on_their_own_records(seeded):
    assert "activities" in seeded
    assert seeded_activities().count() == 500
    reps = User.objects.filter(username__startswith="bench-rep-")
    assert seeded_activities().values("owner").distinct().count() == reps.count() == 50
    assert Activity.objects.filter(status="done", done_at__isnull=True).count() == 0
    assert Activity.objects.filter(status="open").exists() and Activity.objects.filter(status="done").exists()
    assert Activity.objects.filter(kind="meeting", meeting_category__isnull=False).exists()
    on_deals = Activity.objects.filter(deal__isnull=False)
    on_companies = Activity.objects.filter(deal__isnull=True, company__isnull=False)
    assert on_deals.exists() and on_companies.exists()
    assert not on_deals.exclude(deal__owner=F("owner")).exists()
    assert not on_companies.exclude(company__owner=F("owner")).exists()


def test_the_default_is_twice_the_companies(db, media_root):
    call_command("bench_seed", **TINY, stdout=io.StringIO())

    assert seeded_activities().count() == TINY["companies"] * 2


def test_the_walk_times_my_work_and_the_calendar_as_both_personas(seeded):
    stream = io.StringIO()
    call_command("bench_routes", repeat=1, warmup=1, admin_repeat=1, only="activities:", stdout=stream)
    rows = table_rows(stream.getvalue())

    for route in ("activities:my_work", "activities:calendar_view"):
        for persona in ("Administrator", "Sales rep"):
            verdict = rows[(persona, route)]
            assert "error" not in verdict and "403" not in verdict, verdict
