"""The page a user starts on: "/" and the page after signing in open the user's choice, the
dashboard or (seed 001: "the default view for a user in a CRM project is the Sales Board") the
sales board. A start page the user may not open falls back to the dashboard."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from crm.models import StartPage, User
from crm.services import audit_record

# What a user needs to open each start page (the dashboard: being signed in).
NEEDS = {StartPage.SALES_BOARD: "opportunities.view_deal"}


def start_url(user) -> str | None:
    """The URL of `user`'s start page, or None for the dashboard (rendered at "/" itself)."""
    page = user.start_page
    if page == StartPage.DASHBOARD or page not in StartPage.values:
        return None
    needs = NEEDS.get(page)
    if needs and not user.has_perm(needs):
        return None
    return reverse(page)


def user_set_start_page(*, actor, user: User, start_page: str) -> User:
    """Set `user`'s start page; a user sets their own (administrators use Django admin)."""
    if start_page not in StartPage.values:
        raise ValueError(f"Not a start page: {start_page!r}")
    with transaction.atomic():
        # Compare and swap: an audit row only when the stored choice changed.
        changed = User.objects.filter(pk=user.pk).exclude(start_page=start_page).update(start_page=start_page)
        user.start_page = start_page
        if changed:
            audit_record(
                actor=actor, verb="change start page", instance=user, changes={"start_page": start_page}
            )
    return user
