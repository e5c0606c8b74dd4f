"""My work and the calendar view: a user's open to-dos and meetings by when they are due, a
manager's switch to their people and teams, and a fixed query count whatever the rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, MeetingCategory
from activities.my_work import Selection, my_work_sections
from tests.factories import ActivityFactory, CompanyFactory

MY_WORK = reverse("activities:my_work")
CALENDAR = reverse("activities:calendar_view")


def local(year, month, day, hour=0, minute=0):
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def section_rows(sections) -> dict[str, list[str]]:
    return {section["name"]: [row.subject for row in section["rows"]] for section in sections}


def test_open_work_is_sorted_into_overdue_today_upcoming_and_undated(rep):
    now = local(2026, 12, 8, 12, 0)
    for subject, due, all_day in [
        ("last week", local(2026, 12, 1, 9), False),
        ("this morning", local(2026, 12, 8, 9), False),
        ("all day today", local(2026, 12, 8), True),
        ("this afternoon", local(2026, 12, 8, 15), False),
        ("tomorrow", local(2026, 12, 9, 9), False),
        ("someday", None, False),
    ]:
        ActivityFactory(subject=subject, due_at=due, all_day=all_day, owner=rep)
    ActivityFactory(
        subject="done already", owner=rep, status="done", done_at=now, due_at=local(2026, 12, 8, 9)
    )
    ActivityFactory(subject="called off", owner=rep, status="cancelled", due_at=local(2026, 12, 8, 10))
    ActivityFactory(subject="a colleague's", owner=None, due_at=local(2026, 12, 8, 10))

    rows = section_rows(my_work_sections(viewer=rep, selection=Selection(user=rep), now=now))

    assert rows == {
        "overdue": ["last week", "this morning"],
        "today": ["all day today", "this afternoon"],
        "upcoming": ["tomorrow"],
        "undated": ["someday"],
    }


def test_my_work_page_lists_the_users_todos_and_meetings_with_their_record(client, rep):
    company = CompanyFactory(name="Archive of Lund", owner=rep)
    ActivityFactory(
        subject="Call the archivist",
        company=company,
        owner=rep,
        due_at=timezone.now() - datetime.timedelta(days=2),
    )
    ActivityFactory(
        subject="First visit",
        kind="meeting",
        activity_type=None,
        meeting_category=MeetingCategory.objects.get(name="First meeting"),
        owner=rep,
        due_at=timezone.now() + datetime.timedelta(days=3),
    )
    client.force_login(rep)

    response = client.get(MY_WORK)

    assert response.status_code == 200
    text = response.content.decode()
    overdue = text.split('data-testid="work-section-overdue"')[1].split("</section>")[0]
    upcoming = text.split('data-testid="work-section-upcoming"')[1].split("</section>")[0]
    assert "Call the archivist" in overdue and "Archive of Lund" in overdue
    assert "First visit" in upcoming and "First meeting" in upcoming


def grow_work(owner, count: int) -> None:
    now = timezone.now()
    for number in range(count):
        company = CompanyFactory(owner=owner)
        for due in (now - datetime.timedelta(days=2), now + datetime.timedelta(days=2), None):
            ActivityFactory(subject=f"Grown {number}", company=company, owner=owner, due_at=due)


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["rep", "manager", "restricted"])
def test_my_work_and_the_calendar_cost_the_same_queries_with_sixty_times_the_rows(client, personas, persona):
    user = getattr(personas, persona)
    client.force_login(user)
    week = timezone.localdate().isocalendar()
    urls = [
        MY_WORK,
        CALENDAR,
        f"{CALENDAR}?week={week[0]}-W{week[1]:02d}",
        f"{MY_WORK}?team={personas.north.pk}",
    ]
    if persona != "manager":
        urls = urls[:3]
    grow_work(user, 1)
    for url in urls:  # the first request of a session reads what later ones find cached
        queries_of(client, url)
    before = [queries_of(client, url) for url in urls]
    grow_work(user, 60)  # past the section cap (50) and the calendar's per-day caps

    after = [queries_of(client, url) for url in urls]

    assert after == before
    response = client.get(MY_WORK)
    assert 'data-testid="work-more"' in response.content.decode()


def test_a_rep_cannot_open_a_colleagues_work(client, personas):
    client.force_login(personas.rep)

    assert client.get(MY_WORK, {"owner": personas.rep_other_team.pk}).status_code == 404
    assert client.get(MY_WORK, {"team": personas.north.pk}).status_code == 404
    assert client.get(CALENDAR, {"owner": personas.manager.pk}).status_code == 404


def test_a_manager_switches_to_a_team_member_and_to_the_team(client, personas):
    ActivityFactory(subject="Call of the rep", owner=personas.rep)
    ActivityFactory(subject="Call of the restricted", owner=personas.restricted)
    ActivityFactory(subject="Call of the south", owner=personas.rep_other_team)
    client.force_login(personas.manager)

    of_rep = client.get(MY_WORK, {"owner": personas.rep.pk}).content.decode()
    of_north = client.get(MY_WORK, {"team": personas.north.pk}).content.decode()

    assert "Call of the rep" in of_rep and "Call of the restricted" not in of_rep
    assert (
        "Call of the rep" in of_north
        and "Call of the restricted" in of_north
        and "Call of the south" not in of_north
    )


def test_a_manager_narrowed_to_their_teams_sees_no_other_team_nor_its_records(
    client, personas, managers_see_only_their_teams
):
    hidden_company = CompanyFactory(name="South's secret customer", owner=personas.rep_other_team)
    ActivityFactory(subject="Call about the secret", company=hidden_company, owner=personas.rep)
    ActivityFactory(subject="Plain call of the rep", owner=personas.rep)
    client.force_login(personas.manager)

    assert client.get(MY_WORK, {"owner": personas.rep_other_team.pk}).status_code == 404
    assert client.get(MY_WORK, {"team": personas.south.pk}).status_code == 404
    for url in (MY_WORK, CALENDAR):
        text = client.get(url, {"owner": personas.rep.pk, "view": "week"}).content.decode()
        assert "Plain call of the rep" in text
        assert "secret" not in text


@pytest.mark.parametrize(
    "params",
    [{"owner": "abc"}, {"team": "1; drop"}, {"owner": "9" * 40}, {"owner": "²"}, {"owner": "-1"}],
)
def test_malformed_ids_answer_400_with_a_message(client, rep, params):
    client.force_login(rep)
    for url in (MY_WORK, CALENDAR):
        response = client.get(url, params)
        assert response.status_code == 400
        assert 'data-testid="parameter-error"' in response.content.decode()


# The calendar -----------------------------------------------------------------------------------


def test_week_view_puts_each_activity_on_its_local_day(client, rep):
    # 00:30 in Stockholm on 7 December is still 6 December in UTC.
    ActivityFactory(subject="Just after midnight", owner=rep, due_at=local(2026, 12, 7, 0, 30))
    ActivityFactory(
        subject="Done on Friday",
        owner=rep,
        status="done",
        done_at=timezone.now(),
        due_at=local(2026, 12, 11, 10),
    )
    ActivityFactory(subject="Called off", owner=rep, status="cancelled", due_at=local(2026, 12, 9, 10))
    ActivityFactory(subject="Next week", owner=rep, due_at=local(2026, 12, 14, 10))
    client.force_login(rep)

    response = client.get(CALENDAR, {"week": "2026-W50"})

    assert response.status_code == 200
    text = response.content.decode()
    monday = text.split('data-date="2026-12-07"')[1].split("</td>")[0]
    assert "Just after midnight" in monday
    assert "Done on Friday" in text.split('data-date="2026-12-11"')[1].split("</td>")[0]
    assert "Called off" not in text and "Next week" not in text
    assert "?week=2026-W49" in text and "?week=2026-W51" in text


def test_month_view_shows_the_whole_weeks_around_the_month_with_prev_and_next(client, rep):
    ActivityFactory(subject="New year's eve call", owner=rep, due_at=local(2026, 12, 31, 10))
    client.force_login(rep)

    response = client.get(CALENDAR, {"month": "2026-12"})

    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-date="2026-11-30"' in text and 'data-date="2027-01-03"' in text
    assert "New year&#x27;s eve call" in text.split('data-date="2026-12-31"')[1].split("</td>")[0]
    assert "?month=2026-11" in text and "?month=2027-01" in text


def test_a_busy_day_shows_the_first_few_and_how_many_more(client, rep):
    for hour in range(8, 18):
        ActivityFactory(subject=f"Call at {hour}", owner=rep, due_at=local(2026, 12, 9, hour))
    client.force_login(rep)

    text = client.get(CALENDAR, {"month": "2026-12"}).content.decode()

    day = text.split('data-date="2026-12-09"')[1].split("</td>")[0]
    assert day.count('data-testid="calendar-entry"') == 4
    assert "+6 more" in day and "?week=2026-W50" in day


def test_the_default_calendar_is_this_month_and_view_week_this_week(client, rep):
    client.force_login(rep)
    today = timezone.localdate()

    month = client.get(CALENDAR).content.decode()
    week = client.get(CALENDAR, {"view": "week"}).content.decode()

    assert 'data-testid="calendar-month"' in month and f'data-date="{today:%Y-%m-%d}"' in month
    assert 'data-testid="calendar-week"' in week and week.count('data-testid="calendar-day"') == 7


@pytest.mark.parametrize(
    "params",
    [
        {"week": "2027-W53"},  # 2027 has 52 weeks
        {"week": "2026-W00"},
        {"week": "2026-49"},
        {"week": "W49"},
        {"week": "99999-W01"},
        {"week": "0001-W01"},
        {"month": "2026-13"},
        {"month": "2026-00"},
        {"month": "2026/12"},
        {"month": "12-2026"},
        {"month": "9999-12"},
        {"month": "2026-12\n"},
        {"month": "２０２６-12"},
        {"week": "2026-W4²"},
    ],
)
def test_a_bad_week_or_month_answers_400_with_a_message(client, rep, params):
    client.force_login(rep)

    response = client.get(CALENDAR, params)

    assert response.status_code == 400
    assert 'data-testid="parameter-error"' in response.content.decode()


def test_the_calendar_stops_at_its_last_year_without_an_error(client, rep):
    client.force_login(rep)

    last = client.get(CALENDAR, {"month": "2999-12"})
    first_week = client.get(CALENDAR, {"week": "1900-W01"})

    assert last.status_code == 200 and 'data-testid="calendar-next"' not in last.content.decode()
    assert (
        first_week.status_code == 200 and 'data-testid="calendar-previous"' not in first_week.content.decode()
    )
    assert client.get(CALENDAR, {"week": "2026-W53"}).status_code == 200


def test_my_work_is_in_the_main_menu(client, rep):
    client.force_login(rep)

    response = client.get(reverse("dashboard"))

    assert f'href="{MY_WORK}"' in response.content.decode()


def test_my_work_offers_to_complete_each_open_row(client, rep):
    activity = ActivityFactory(subject="Finish me", owner=rep)
    client.force_login(rep)

    text = client.get(MY_WORK).content.decode()

    complete_url = reverse("activities:activity_complete", args=[activity.pk])
    assert f'action="{complete_url}"' in text
    assert Activity.objects.get(pk=activity.pk).status == "open"
