"""The daily digest of due and overdue to-dos (issue 11, item 6).

A beat job (`activities.tasks.reminders_send`, every five minutes) finds each active user with
reminders on whose reminder time has passed today, in the site's time zone (settings.TIME_ZONE),
and who owns open to-dos due today or overdue that they may see, and queues one mail for them
through the outbox. The mail's dedupe key names the user and the day: beat firing twice, two beat
processes, or a retried task find the mail already queued and queue nothing (crm.email's unique
key), and the outbox sends each queued mail once.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from activities.models import Activity
from activities.my_work import day_bounds, due_todos
from crm.email import email_queue
from crm.models import OutboundEmail, User

DIGEST_ROWS = 100


def digest_key(user: User, day: datetime.date) -> str:
    return f"activities-digest:{user.pk}:{day.isoformat()}"


def users_due_a_digest(now: datetime.datetime) -> list[User]:
    """Users whose reminder time has passed today, with reminders on and an e-mail address, who
    own an open to-do due by the end of today and have no digest queued for today yet. A cheap
    first cut: whether they may see those to-dos is checked per user (`digest_queue`)."""
    local = timezone.localtime(now)
    today = local.date()
    _today_start, tomorrow_start = day_bounds(now)
    candidates = (
        User.objects.filter(is_active=True, reminders_enabled=True, reminder_time__lte=local.time())
        .exclude(email="")
        .filter(
            Exists(
                Activity.objects.open().filter(
                    owner=OuterRef("pk"), kind=Activity.Kind.TODO, due_at__lt=tomorrow_start
                )
            )
        )
        .order_by("pk")
    )
    users = list(candidates)
    keys = {digest_key(user, today): user for user in users}
    queued = set(OutboundEmail.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    return [user for key, user in keys.items() if key not in queued]


def digest_queue(user: User, now: datetime.datetime) -> OutboundEmail | None:
    """Queue `user`'s digest of today (`now` in the site's time zone), or return the one already
    queued; None when they have nothing due that they may see."""
    today = timezone.localdate(now)
    today_start, _tomorrow_start = day_bounds(now)
    todos = due_todos(user=user, now=now)
    rows = list(todos[:DIGEST_ROWS])
    if not rows:
        return None
    total = len(rows) if len(rows) < DIGEST_ROWS else todos.count()
    context = {
        "user": user,
        "day": today,
        "overdue": [row for row in rows if row.due_at < today_start],
        "today": [row for row in rows if row.due_at >= today_start],
        "total": total,
        "more": total - len(rows),
    }
    return email_queue(
        recipients=[user.email],
        subject="".join(render_to_string("activities/my_work_digest_subject.txt", context).splitlines()),
        body_text=render_to_string("activities/my_work_digest_body.txt", context),
        body_html=render_to_string("activities/my_work_digest_body.html", context),
        dedupe_key=digest_key(user, today),
    )


def reminders_send(now: datetime.datetime | None = None) -> int:
    """Queue today's digest of every user due one; returns how many users were due one."""
    now = now or timezone.now()
    # Users have no time zone of their own yet: "today" and their reminder time are the site's.
    with timezone.override(timezone.get_default_timezone()):
        return sum(digest_queue(user, now) is not None for user in users_due_a_digest(now))
