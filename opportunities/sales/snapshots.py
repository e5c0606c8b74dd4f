"""Quotes and sales orders are snapshots that name the deal's company and primary contact: who
may not see those sees neither the document's content nor its PDF (crm.linked)."""

from crm import linked
from opportunities.sales.models import Quote, SalesOrder

# The records a quote or order names, as relations from the quote or order.
LINKS = ("deal__company", "deal__primary_contact")


def names_hidden_records(snapshot) -> bool:
    """Whether `snapshot` (a quote or order annotated with `linked.annotate_visible(..., *LINKS)`)
    names a record hidden from the user it was annotated for."""
    return not all(getattr(snapshot, linked.flag_name(relation)) for relation in LINKS)


def snapshot_withheld(document, user) -> bool:
    """Whether `document` is the PDF of a quote or sales order that names a company or person
    hidden from `user` (a crm.documents download guard: the generic download answers 404 too)."""
    for model in (Quote, SalesOrder):
        snapshots = linked.annotate_visible(model.objects.filter(document=document), user, *LINKS)
        if any(names_hidden_records(snapshot) for snapshot in snapshots):
            return True
    return False
