"""The tabs across marketing's pages. The core's come first; e-mail campaigns and web forms add
theirs from their AppConfig.ready(), so the core names neither part."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url_name: str
    permission: str = "marketing.manage_marketing"
    order: int = 100


_tabs: dict[str, Tab] = {}


def register_tab(tab: Tab) -> None:
    """Add `tab` (registering a key again replaces it)."""
    _tabs[tab.key] = tab


def tabs_for(user) -> list[Tab]:
    return sorted((t for t in _tabs.values() if user.has_perm(t.permission)), key=lambda t: t.order)


register_tab(Tab("campaigns", _("Campaigns"), "marketing:campaign_list", order=10))
register_tab(Tab("plans", _("Plans"), "marketing:plan_list", order=20))
register_tab(Tab("scoring", _("Scoring"), "marketing:scoring_settings", "marketing.change_scorerule", 80))
register_tab(
    Tab("settings", _("Mail settings"), "marketing:mail_settings", "marketing.change_marketingsettings", 90)
)
