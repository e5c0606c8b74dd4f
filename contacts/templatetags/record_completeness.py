from django import template

from contacts import required_fields

register = template.Library()


@register.inclusion_tag("contacts/partials/incomplete.html")
def incomplete_notice(record):
    """The card's "incomplete" notice: which required fields `record` lacks (nothing when none)."""
    return {"missing": required_fields.missing_labels(record)}
