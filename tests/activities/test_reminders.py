"""The daily digest (issue 11, item 6): one mail per user per day once their reminder time has
passed, listing only their due and overdue to-dos they may see, however often beat fires."""

import datetime
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from activities import reminders, tasks
from crm.models import OutboundEmail
from tests.factories import ActivityFactory, CompanyFactory


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


TODAY = datetime.date(2026, 12, 8)


def digests():
    return OutboundEmail.objects.filter(dedupe_key__startswith="activities-digest:")


@pytest.fixture
def rep_with_todos(rep):
    rep.reminder_time = datetime.time(7, 30)
    rep.save(update_fields=["reminder_time"])
    ActivityFactory(subject="Overdue call", owner=rep, due_at=local(TODAY - datetime.timedelta(days=2), 10))
    ActivityFactory(subject="Call this afternoon", owner=rep, due_at=local(TODAY, 15))
    ActivityFactory(subject="Call tomorrow", owner=rep, due_at=local(TODAY + datetime.timedelta(days=1), 9))
    ActivityFactory(
        subject="Done call", owner=rep, due_at=local(TODAY, 9), status="done", done_at=timezone.now()
    )
    return rep


def test_no_digest_before_the_reminder_time_and_one_after(rep_with_todos):
    assert reminders.reminders_send(now=local(TODAY, 7, 29)) == 0
    assert not digests().exists()

    assert reminders.reminders_send(now=local(TODAY, 7, 31)) == 1

    mail = digests().get()
    assert mail.recipients == [rep_with_todos.email]
    assert mail.dedupe_key == f"activities-digest:{rep_with_todos.pk}:2026-12-08"
    assert "Overdue call" in mail.body_text and "Call this afternoon" in mail.body_text
    assert "Call tomorrow" not in mail.body_text and "Done call" not in mail.body_text
    assert "Overdue call" in mail.body_html


def test_beat_firing_again_the_same_day_queues_nothing_more_and_the_next_day_one_more(rep_with_todos):
    for minute in (31, 31, 36, 41):
        reminders.reminders_send(now=local(TODAY, 7, minute))
    reminders.reminders_send(now=local(TODAY, 23, 59))
    assert digests().count() == 1

    reminders.reminders_send(now=local(TODAY + datetime.timedelta(days=1), 8))

    assert digests().count() == 2


def test_a_retried_task_whose_first_run_queued_the_mail_queues_none(rep_with_todos):
    """The retry does not see the first run's skip-list (as if the first run died after queueing):
    the dedupe key alone keeps it to one mail."""
    now = local(TODAY, 8)
    reminders.digest_queue(rep_with_todos, now)

    again = reminders.digest_queue(rep_with_todos, now)

    assert digests().count() == 1 and again == digests().get()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the seeded rows come back
def test_two_beat_runs_at_the_same_moment_queue_one_mail(personas):
    """Two threads, each with its own PostgreSQL connection, pass the skip-list check together;
    the unique dedupe key lets one mail through (measured: 1 mail of 2 attempts)."""
    rep = personas.rep
    rep.reminder_time = datetime.time(0, 0)
    rep.save(update_fields=["reminder_time"])
    ActivityFactory(subject="Overdue call", owner=rep, due_at=timezone.now() - datetime.timedelta(days=1))
    now = timezone.now()
    due = reminders.users_due_a_digest(now)
    assert due == [rep]
    start = threading.Barrier(2)
    errors = []

    def beat():
        try:
            start.wait()
            for user in due:  # both found the user due a digest before either queued it
                reminders.digest_queue(user, now)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    print(f"digests queued by two simultaneous runs: {digests().count()}")
    assert errors == []
    assert digests().count() == 1


def test_the_digest_lists_only_the_todos_the_user_may_see(restricted, rep):
    restricted.reminder_time = datetime.time(7, 0)
    restricted.save(update_fields=["reminder_time"])
    own_company = CompanyFactory(name="Restricted customer", owner=restricted)
    hidden_company = CompanyFactory(name="Hidden customer", owner=rep)
    ActivityFactory(subject="Visible call", owner=restricted, company=own_company, due_at=local(TODAY, 10))
    ActivityFactory(subject="Secret call", owner=restricted, company=hidden_company, due_at=local(TODAY, 11))

    reminders.reminders_send(now=local(TODAY, 8))

    mail = digests().get()
    assert "Visible call" in mail.body_text and "Restricted customer" in mail.body_text
    for text in (mail.body_text, mail.body_html, mail.subject):
        assert "Secret call" not in text and "Hidden customer" not in text


def test_no_digest_when_every_due_todo_is_hidden_or_reminders_are_off(restricted, rep):
    hidden_company = CompanyFactory(name="Hidden customer", owner=rep)
    ActivityFactory(subject="Secret call", owner=restricted, company=hidden_company, due_at=local(TODAY, 11))
    rep.reminders_enabled = False
    rep.save(update_fields=["reminders_enabled"])
    ActivityFactory(subject="Rep's call", owner=rep, due_at=local(TODAY, 11))

    assert reminders.reminders_send(now=local(TODAY, 20)) == 0
    assert not digests().exists()


def test_the_beat_schedule_runs_the_task_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["activities-send-reminders"]

    assert entry["task"] == tasks.reminders_send.name == "activities.tasks.reminders_send"
    assert entry["schedule"] == 300


def test_the_task_queues_the_digest_of_today(rep):
    rep.reminder_time = datetime.time(0, 0)
    rep.save(update_fields=["reminder_time"])
    ActivityFactory(subject="Overdue call", owner=rep, due_at=timezone.now() - datetime.timedelta(days=1))

    tasks.reminders_send.run()
    tasks.reminders_send.run()

    assert digests().get().dedupe_key.endswith(timezone.localdate().isoformat())
