"""The main navigation and which roles see each entry."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Report, Role

EVERY_ROLE = frozenset(Role)
MANAGERS = frozenset({Role.ADMINISTRATOR, Role.MANAGER})


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset  # roles that always see the entry
    section: str
    permission: str | None = None  # and whoever holds this permission (granted to them or a team)

    def is_for(self, user) -> bool:
        return user.role in self.roles or (self.permission is not None and user.has_perm(self.permission))


NAV_ITEMS = [
    NavItem(_("Dashboard"), "dashboard", EVERY_ROLE, "dashboard"),
    NavItem(_("Leads"), "leads:lead_list", EVERY_ROLE, "leads"),
    NavItem(_("Contacts"), "contacts:company_list", EVERY_ROLE, "contacts"),
    NavItem(_("Opportunities"), "opportunities:deal_list", EVERY_ROLE, "opportunities"),
    NavItem(_("Sales board"), "opportunities:board", EVERY_ROLE, "board"),
    NavItem(_("Activities"), "activities:activity_list", EVERY_ROLE, "activities"),
    NavItem(_("My work"), "activities:my_work", EVERY_ROLE, "activities"),
    NavItem(_("Marketing"), "marketing:campaign_list", MANAGERS, "marketing"),
    NavItem(_("Support"), "support:ticket_list", frozenset({*MANAGERS, Role.NORMAL_USER}), "support"),
    # Reports follow their permission: Managers hold it by default, Normal users when granted.
    NavItem(_("Reports"), "reports", frozenset(), "reports", permission=Report.PERMISSION),
    NavItem(_("GDPR"), "gdpr:contact_age_list", MANAGERS, "gdpr"),
    NavItem(_("Admin"), "admin:index", frozenset({Role.ADMINISTRATOR}), "admin"),
]


@lru_cache(maxsize=256)
def _url(url_name: str, urlconf: str, script_prefix: str) -> str | None:
    """The entry's URL, or None for a section that is not built yet. Every page draws the menu:
    the URLs are reversed once per URL conf and script prefix, not on every request."""
    try:
        return reverse(url_name, urlconf=urlconf)
    except NoReverseMatch:
        return None


def navigation_for(user, current_section: str = "") -> list[dict]:
    """The entries `user` may use; entries of sections not built yet are left out."""
    if not user.is_authenticated:
        return []
    entries = []
    urlconf, script_prefix = get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
    for item in NAV_ITEMS:
        if not item.is_for(user):
            continue
        url = _url(item.url_name, urlconf, script_prefix)
        if url is None:
            continue
        entries.append({"label": item.label, "url": url, "active": item.section == current_section})
    return entries
