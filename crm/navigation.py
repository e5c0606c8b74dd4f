"""The main navigation and which roles see each entry."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Role

EVERY_ROLE = frozenset(Role)
MANAGERS = frozenset({Role.ADMINISTRATOR, Role.MANAGER})


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset
    section: str


NAV_ITEMS = [
    NavItem(_("Dashboard"), "dashboard", EVERY_ROLE, "dashboard"),
    NavItem(_("Leads"), "leads:lead_list", EVERY_ROLE, "leads"),
    NavItem(_("Contacts"), "contacts:company_list", EVERY_ROLE, "contacts"),
    NavItem(_("Opportunities"), "opportunities:deal_list", EVERY_ROLE, "opportunities"),
    NavItem(_("Sales board"), "opportunities:board", EVERY_ROLE, "board"),
    NavItem(_("Activities"), "activities:activity_list", EVERY_ROLE, "activities"),
    NavItem(_("Marketing"), "marketing:campaign_list", MANAGERS, "marketing"),
    NavItem(_("Support"), "support:ticket_list", frozenset({*MANAGERS, Role.SALES_REP}), "support"),
    NavItem(_("Reports"), "reports", MANAGERS, "reports"),
    NavItem(_("GDPR"), "gdpr:contact_age_list", MANAGERS, "gdpr"),
    NavItem(_("Admin"), "admin:index", frozenset({Role.ADMINISTRATOR}), "admin"),
]


def navigation_for(user, current_section: str = "") -> list[dict]:
    """The entries `user` may use; entries of sections not built yet are left out."""
    if not user.is_authenticated:
        return []
    entries = []
    for item in NAV_ITEMS:
        if user.role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entries.append({"label": item.label, "url": url, "active": item.section == current_section})
    return entries
