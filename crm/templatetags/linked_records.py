"""{% linked_record record visible %}: a linked record's name, or "hidden record" (crm.linked);
{% hidden_record %}: those words alone. Both render includes/linked_record.html."""

from django import template

from crm.linked import HIDDEN_RECORD

register = template.Library()


@register.inclusion_tag("includes/linked_record.html")
def linked_record(record, visible, link=True) -> dict:
    """`record` (a company, a person…) linked to its page when `visible`; "hidden record" when the
    viewer may not see it; nothing when there is no record. `link=False` writes the name alone."""
    return {"record": record, "visible": visible, "link": link, "hidden_record": HIDDEN_RECORD}


@register.inclusion_tag("includes/linked_record.html")
def hidden_record() -> dict:
    """The words "hidden record", where a record is withheld as a whole."""
    return {"record": True, "visible": False, "hidden_record": HIDDEN_RECORD}
