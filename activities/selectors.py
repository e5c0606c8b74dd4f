"""Reads of activities for pages: the timeline of a record's card, the next step of companies and
deals (their earliest open to-do), and the open first meetings beside the sales board.

Each starts from `Activity.objects.visible_to(user)` and caps what it fetches, so a page costs
the same queries however many activities there are (tests/test_page_growth.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, QuerySet

from activities.models import Activity
from crm import compiled_queries

TIMELINE_OPEN_SHOWN = 20
TIMELINE_HISTORY_SHOWN = 10
TIMELINE_HISTORY_MAX = 200  # "show more" grows the history up to this many entries
FIRST_MEETINGS_SHOWN = 20
# The field of Activity that ties it to each kind of card: a company's timeline holds what was
# done with its deals and people too (the services fill in their company).
CARD_LINK = {"company": "company", "person": "person", "deal": "deal", "lead": "lead"}


def _with_display(activities: QuerySet) -> QuerySet:
    # The most specific linked record is named on each entry; it is the one that makes the
    # activity visible, so the viewer may see it.
    return activities.select_related(
        "owner", "activity_type", "meeting_category", "deal", "person", "lead", "company"
    )


def record_activities(*, user, record) -> QuerySet:
    """The activities of `record` (a company, person, deal or lead) that `user` may see."""
    link = CARD_LINK[record._meta.model_name]
    return Activity.objects.visible_to(user).filter(**{link: record})


@dataclass
class Timeline:
    record: object
    open: list[Activity] = field(default_factory=list)
    history: list[Activity] = field(default_factory=list)
    more_open: bool = False
    more_history: bool = False
    history_shown: int = TIMELINE_HISTORY_SHOWN

    @property
    def next_history_shown(self) -> int:
        return min(self.history_shown * 2, TIMELINE_HISTORY_MAX)


def timeline(*, user, record, history_shown: int = TIMELINE_HISTORY_SHOWN) -> Timeline:
    """Open to-dos first (earliest due first, undated last), then history newest first; two queries."""
    history_shown = max(1, min(history_shown, TIMELINE_HISTORY_MAX))
    activities = _with_display(record_activities(user=user, record=record))
    open_rows = list(
        activities.open().order_by(F("due_at").asc(nulls_last=True), "pk")[: TIMELINE_OPEN_SHOWN + 1]
    )
    history_rows = list(
        activities.exclude(status=Activity.Status.OPEN).order_by(
            F("done_at").desc(nulls_last=True), F("due_at").desc(nulls_last=True), "-pk"
        )[: history_shown + 1]
    )
    return Timeline(
        record=record,
        open=open_rows[:TIMELINE_OPEN_SHOWN],
        history=history_rows[:history_shown],
        more_open=len(open_rows) > TIMELINE_OPEN_SHOWN,
        more_history=len(history_rows) > history_shown,
        history_shown=history_shown,
    )


def next_steps(*, user, link: str, ids) -> dict[int, Activity]:
    """{record id: its earliest open to-do or meeting `user` may see} for the ids of one page of
    companies or deals (`link` "company" or "deal"), in one query (PostgreSQL DISTINCT ON)."""
    ids = [pk for pk in ids if pk is not None]
    if not ids:
        return {}

    def earliest_open(ids_of_page):
        return (
            Activity.objects.visible_to(user)
            .open()
            .filter(**{f"{link}_id__in": ids_of_page})
            .order_by(f"{link}_id", F("due_at").asc(nulls_last=True), "pk")
            .distinct(f"{link}_id")
            .only("pk", "subject", "due_at", "all_day", "status", f"{link}_id")
        )

    # The same query on every list page but for the ids: compiled once per user, role and link.
    rows = compiled_queries.run_with_ids(("next-steps", link, user.pk, user.role), earliest_open, ids)
    return {getattr(row, f"{link}_id"): row for row in rows}


def active_first_meetings(*, user, owner_ids=None) -> list[Activity]:
    """Open first meetings (MeetingCategory.is_first_meeting) `user` may see, soonest first,
    optionally of some owners only (the board's owner/team filter)."""
    meetings = (
        Activity.objects.visible_to(user)
        .open()
        .filter(kind=Activity.Kind.MEETING, meeting_category__is_first_meeting=True)
        .select_related("owner", "meeting_category", "deal", "person", "lead", "company")
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )
    if owner_ids is not None:
        meetings = meetings.filter(owner_id__in=owner_ids)
    return list(meetings[:FIRST_MEETINGS_SHOWN])
