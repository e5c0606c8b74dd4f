from django import template

from marketing.tabs import tabs_for

register = template.Library()


@register.inclusion_tag("marketing/_nav.html", takes_context=True)
def marketing_tabs(context, active: str) -> dict:
    """The tabs of marketing's pages the user may open, `active` marked."""
    return {"tabs": tabs_for(context["request"].user), "active": active}
