"""The timeline panel that activities registers on the company, person, deal and lead cards
(crm.cards), and the next-step badges and first-meetings lane it adds to lists and the board
(crm.listings): the apps below activities render them without importing it."""

from __future__ import annotations

import html

from django.utils import dateformat, timezone
from django.utils.timezone import template_localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activities import selectors, services
from activities.forms import QuickTodoForm
from activities.models import Activity
from crm import access


def card_key(record) -> str:
    return f"{record._meta.model_name}:{record.pk}"


def _editable_ids(user, activities: list[Activity]) -> set[int]:
    """The ids of `activities` that `user` may change, in one query at most."""
    if not activities or not user.has_perm("activities.change_activity"):
        return set()
    scope = access.edit_scope(user)
    ids = [activity.pk for activity in activities]
    if scope is None:
        return set(ids)
    return set(Activity.objects.filter(scope, pk__in=ids).values_list("pk", flat=True))


def _default_due():
    # Tomorrow at nine, the user's time: a next step is rarely for the same hour.
    tomorrow = timezone.localtime() + timezone.timedelta(days=1)
    return tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)


def timeline_context(
    record,
    user,
    *,
    quick_form: QuickTodoForm | None = None,
    next_after: Activity | None = None,
    error: str | None = None,
    history_shown: int = selectors.TIMELINE_HISTORY_SHOWN,
) -> dict:
    """What the timeline panel of `record`'s card shows to `user`."""
    timeline = selectors.timeline(user=user, record=record, history_shown=history_shown)
    editable = _editable_ids(user, timeline.open)
    for activity in timeline.open:
        activity.editable = activity.pk in editable
    can_add = user.has_perm("activities.add_activity")
    if quick_form is None and can_add:
        initial = {"due_at": _default_due(), "owner": user.pk}
        if next_after is not None:
            values = services.next_todo_values(next_after)
            initial = {
                "due_at": timezone.localtime(values["due_at"]),
                "activity_type": values["activity_type"],
                "owner": values["owner"].pk if values["owner"] else user.pk,
            }
        quick_form = QuickTodoForm(
            initial=initial, user=user, auto_id=f"id_next_{record._meta.model_name}_%s"
        )
    return {
        "timeline": timeline,
        "card": card_key(record),
        "model_name": record._meta.model_name,
        "quick_form": quick_form if can_add else None,
        "next_after": next_after,
        "error": error,
    }


# The earliest open to-do of a row; MISSING flags an open record with none ("no next step").
MISSING = "missing"


def _next_step_values(link: str, user, rows: list) -> dict:
    found = selectors.next_steps(user=user, link=link, ids=[row.pk for row in rows])
    values = {}
    for row in rows:
        # A won or lost deal needs no next step.
        is_open = getattr(row, "closed_on", None) is None
        values[row.pk] = found.get(row.pk) or (MISSING if is_open else None)
    return values


def next_step_cell(value) -> str:
    """activities/next_step_badge.html written in Python, for the fifty rows of a list."""
    if value == MISSING:
        return (
            '<span class="badge text-bg-warning" data-testid="no-next-step">'
            f"{html.escape(gettext('no next step'))}</span>"
        )
    if not value:
        return ""
    subject = html.escape(value.subject)
    due = ""
    if value.due_at:
        tone = "text-danger fw-semibold" if value.is_overdue else "text-body-secondary"
        due = f'<span class="{tone}">{dateformat.format(template_localtime(value.due_at), "Y-m-d")}</span> '
    return (
        f'<span class="small text-truncate d-inline-block mw-100" data-testid="next-step" title="{subject}">'
        f"{due}{subject}</span>"
    )


def company_next_steps(user, rows: list) -> dict:
    return _next_step_values("company", user, rows)


def deal_next_steps(user, rows: list) -> dict:
    return _next_step_values("deal", user, rows)


def first_meetings_lane(user, *, query=None) -> dict:
    """The board's lane of open first meetings, of the owner the board is filtered by."""
    owner = getattr(query, "owner", None)
    owner_ids = [owner.pk] if owner is not None else None
    return {"meetings": selectors.active_first_meetings(user=user, owner_ids=owner_ids)}


def _can_view(user) -> bool:
    return user.has_perm("activities.view_activity")


def register() -> None:
    """Plug the timeline, the next-step badges and the first-meetings lane into the cards,
    lists and board of the apps below (they name no activities)."""
    from contacts.models import Company, Person
    from crm import cards, listings
    from opportunities.models import Deal

    # The lead card renders no panels (yet): a lead's activities show on the record it becomes.
    for model in (Company, Person, Deal):
        cards.register_panel(
            model,
            cards.Panel("activities/timeline_panel.html", timeline_context, order=10, visible=_can_view),
        )
    for model, values in ((Company, company_next_steps), (Deal, deal_next_steps)):
        listings.register_badge(
            model,
            listings.Badge(
                "activities/next_step_badge.html",
                values,
                visible=_can_view,
                label=_("Next step"),
                cell=next_step_cell,
            ),
        )
    listings.register_lane(
        "opportunities:board",
        listings.Lane("activities/first_meetings_lane.html", first_meetings_lane, visible=_can_view),
    )
