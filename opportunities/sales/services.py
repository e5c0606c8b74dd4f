"""Deal lines, quotes and sales orders (writes), and the sales target comparison (read).

Quotes and orders copy the deal's lines, get a number from a locked per-year sequence
(Q-2026-0001, SO-2026-0001), are rendered from the default DocumentTemplate of their kind
(admin-edited, trusted, auto-escaped) to HTML and to PDF (xhtml2pdf), and the PDF is attached to
the deal as a crm Document.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.template import TemplateSyntaxError, engines
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from xhtml2pdf import pisa

from crm.documents import document_attach
from crm.exceptions import StaleRecordError
from crm.services import audit_record
from opportunities import services
from opportunities.models import Deal, Stage
from opportunities.sales.models import (
    CENT,
    DealLine,
    DocumentTemplate,
    NumberSequence,
    Quote,
    QuoteLine,
    SalesOrder,
    SalesOrderLine,
)

LINE_FIELDS = ("product", "description", "quantity", "unit_price", "discount", "position")


# -- Deal lines -------------------------------------------------------------------------------


def lines_total(deal: Deal) -> Decimal:
    """The sum of the deal's line totals."""
    return sum((line.total for line in deal.lines.all()), Decimal(0)).quantize(CENT)


def _sync_deal_value(*, actor, deal: Deal) -> None:
    current = Deal.objects.get(pk=deal.pk)
    total = lines_total(current)
    if current.value != total:
        services.deal_update(
            actor=actor, deal=current, changes={"value": total}, expected_version=current.version
        )


def _line_values(values: dict[str, Any], deal: Deal) -> dict[str, Any]:
    unknown = set(values) - set(LINE_FIELDS)
    if unknown:
        raise TypeError(f"not writable here: {', '.join(sorted(unknown))}")
    values = dict(values)
    product = values.get("product")
    if product is not None and values.get("unit_price") is None:
        if product.currency != deal.currency:
            raise ValidationError(
                _("%(product)s is priced in %(product_currency)s, the deal in %(currency)s; enter a price.")
                % {"product": product, "product_currency": product.currency, "currency": deal.currency}
            )
        values["unit_price"] = product.unit_price
    if values.get("discount") is None:
        values.pop("discount", None)
    return values


@transaction.atomic
def deal_line_add(*, actor, deal: Deal, values: dict[str, Any], update_deal_value: bool = False) -> DealLine:
    """Add a line (product or description, quantity, price, discount) to `deal`."""
    values = _line_values(values, deal)
    if values.get("position") is None:
        values["position"] = deal.lines.count()
    line = DealLine(deal=deal, **values)
    line.full_clean()
    line.save()
    audit_record(
        actor=actor, verb="add line", instance=deal, changes={"line": line.label, "total": line.total}
    )
    if update_deal_value:
        _sync_deal_value(actor=actor, deal=deal)
    return line


@transaction.atomic
def deal_line_update(
    *, actor, line: DealLine, changes: dict[str, Any], update_deal_value: bool = False
) -> DealLine:
    """Change a deal line."""
    line = DealLine.objects.select_for_update().select_related("deal").get(pk=line.pk)
    changes = _line_values(changes, line.deal)
    for name, value in changes.items():
        setattr(line, name, value)
    line.full_clean()
    line.save()
    audit_record(
        actor=actor, verb="change line", instance=line.deal, changes={"line": line.label, "total": line.total}
    )
    if update_deal_value:
        _sync_deal_value(actor=actor, deal=line.deal)
    return line


@transaction.atomic
def deal_line_delete(*, actor, line: DealLine, update_deal_value: bool = False) -> None:
    """Remove a deal line."""
    deal = line.deal
    audit_record(actor=actor, verb="delete line", instance=deal, changes={"line": line.label})
    line.delete()
    if update_deal_value:
        _sync_deal_value(actor=actor, deal=deal)


# -- Numbering, rendering, PDF ----------------------------------------------------------------


def next_number(prefix: str, year: int) -> str:
    """The next number of `prefix` in `year`; the sequence row stays locked until commit."""
    NumberSequence.objects.bulk_create([NumberSequence(prefix=prefix, year=year)], ignore_conflicts=True)
    sequence = NumberSequence.objects.select_for_update().get(prefix=prefix, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{prefix}-{year}-{sequence.last:04d}"


def render_document(*, kind: str, document, lines, deal: Deal) -> str:
    """The HTML of `document` from the default template of `kind` (auto-escaping on)."""
    template = DocumentTemplate.objects.filter(kind=kind).order_by("-is_default", "pk").first()
    if template is None:
        raise ValidationError(
            _("There is no document template for this kind; an administrator must add one.")
        )
    context = {
        "document": document,
        "lines": lines,
        "deal": deal,
        "company": deal.company,
        "contact": deal.primary_contact,
        "seller": deal.owner,
        "today": timezone.localdate(),
    }
    try:
        return engines["django"].from_string(template.body).render(context)
    except TemplateSyntaxError as error:
        raise ValidationError(
            _("The document template “%(name)s” has an error: %(error)s")
            % {"name": template.name, "error": error}
        ) from error


def _refuse_resource(uri: str, rel: str) -> str:
    # Rendering must never fetch a URL or read a local file named in a template.
    return ""


def html_to_pdf(*, html: str, title: str) -> bytes:
    """A PDF of the HTML fragment `html`, wrapped in the print layout."""
    page = render_to_string("opportunities/documents/pdf.html", {"body": html, "title": title})
    output = io.BytesIO()
    result = pisa.CreatePDF(page, dest=output, encoding="utf-8", link_callback=_refuse_resource)
    if result.err:
        raise ValidationError(_("The PDF could not be made from the document template."))
    return output.getvalue()


def _copy_lines(source_lines, line_model, **parent) -> list:
    copies = [
        line_model(**parent, **{name: getattr(line, name) for name in LINE_FIELDS}) for line in source_lines
    ]
    line_model.objects.bulk_create(copies)
    return copies


def _attach_pdf(*, actor, deal: Deal, document, kind: str, lines) -> None:
    document.html = render_document(kind=kind, document=document, lines=lines, deal=deal)
    pdf = html_to_pdf(html=document.html, title=document.number)
    document.document = document_attach(
        actor=actor,
        record=deal,
        uploaded_file=SimpleUploadedFile(f"{document.number}.pdf", pdf, content_type="application/pdf"),
    )
    document.save(update_fields=["html", "document"])


# -- Quotes and orders ------------------------------------------------------------------------


@transaction.atomic
def quote_create(*, actor, deal: Deal) -> Quote:
    """A new numbered version of the deal's quote, with its lines, HTML and PDF on the deal."""
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("company", "primary_contact", "owner")
        .get(pk=deal.pk)
    )
    lines = list(deal.lines.select_related("product"))
    if not lines:
        raise ValidationError(_("Add at least one line to the deal before making a quote."))
    now = timezone.now()
    last_version = deal.quotes.order_by("-version").values_list("version", flat=True).first() or 0
    quote = Quote.objects.create(
        deal=deal,
        number=next_number("Q", timezone.localtime(now).year),
        version=last_version + 1,
        currency=deal.currency,
        total=sum((line.total for line in lines), Decimal(0)),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
    )
    copies = _copy_lines(lines, QuoteLine, quote=quote)
    _attach_pdf(actor=actor, deal=deal, document=quote, kind=DocumentTemplate.Kind.QUOTE, lines=copies)
    audit_record(actor=actor, verb="create quote", instance=deal, changes={"quote": quote.number})
    return quote


# Where a quote may go from each status. A draft is sent; the customer accepts or rejects what
# was sent; an answer recorded by mistake (or a customer changing their mind) reopens the quote as
# sent. A sent quote never goes back to draft: it has left the house, so changed terms are a new
# version (quote_create).
QUOTE_TRANSITIONS: dict[str, frozenset[str]] = {
    Quote.Status.DRAFT: frozenset({Quote.Status.SENT}),
    Quote.Status.SENT: frozenset({Quote.Status.ACCEPTED, Quote.Status.REJECTED}),
    Quote.Status.ACCEPTED: frozenset({Quote.Status.SENT}),
    Quote.Status.REJECTED: frozenset({Quote.Status.SENT}),
}


@transaction.atomic
def quote_set_status(*, actor, quote: Quote, status: str, expected_status: str | None = None) -> Quote:
    """Move `quote` to `status` along QUOTE_TRANSITIONS, with an audit row on its deal.

    Draft → sent → accepted or rejected; accepted or rejected → sent reopens the quote. A deal
    has at most one accepted quote (the customer said yes to one offer): accepting another
    version is refused until the accepted one is reopened. `expected_status` is the status the
    user saw: if someone changed the quote meanwhile, StaleRecordError and nothing is saved.
    The caller checks that `actor` may change the quote's deal (crm.access).
    """
    if status not in Quote.Status.values:
        raise ValidationError(_("“%(status)s” is not a status of a quote.") % {"status": status})
    # The deal's row is the lock: two versions accepted at the same moment cannot both win.
    Deal.objects.select_for_update(of=("self",)).get(pk=quote.deal_id)
    current = Quote.objects.select_for_update().get(pk=quote.pk)
    if expected_status is not None and current.status != expected_status:
        raise StaleRecordError(current=current)
    if status not in QUOTE_TRANSITIONS[current.status]:
        raise ValidationError(
            _("A quote that is %(current)s cannot be marked %(status)s.")
            % {"current": current.get_status_display().lower(), "status": Quote.Status(status).label.lower()}
        )
    if status == Quote.Status.ACCEPTED:
        accepted = Quote.objects.filter(deal_id=current.deal_id, status=Quote.Status.ACCEPTED).first()
        if accepted is not None:
            raise ValidationError(
                _("Quote %(number)s is already accepted for this deal; reopen it before accepting another.")
                % {"number": accepted.number}
            )
    previous = current.status
    current.status = status
    current.save(update_fields=["status"])
    audit_record(
        actor=actor,
        verb="change quote status",
        instance=current.deal,
        changes={"quote": current.number, "from": previous, "to": status},
    )
    return current


@transaction.atomic
def sales_order_for_won_deal(*, actor, deal: Deal) -> SalesOrder | None:
    """The deal's sales order, made once when the deal is won (safe to call again: returns it)."""
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("stage", "company", "primary_contact", "owner")
        .get(pk=deal.pk)
    )
    existing = SalesOrder.objects.filter(deal=deal).first()
    if existing is not None or deal.stage.kind != Stage.Kind.WON:
        return existing
    lines = list(deal.lines.select_related("product"))
    if not lines:
        # A deal won without lines is ordered as one line: the deal at its value.
        lines = [DealLine(description=deal.name, quantity=Decimal(1), unit_price=deal.value or Decimal(0))]
    now = timezone.now()
    order = SalesOrder.objects.create(
        deal=deal,
        number=next_number("SO", timezone.localtime(now).year),
        currency=deal.currency,
        total=sum((line.total for line in lines), Decimal(0)),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
    )
    copies = _copy_lines(lines, SalesOrderLine, order=order)
    _attach_pdf(
        actor=actor, deal=deal, document=order, kind=DocumentTemplate.Kind.ORDER_CONFIRMATION, lines=copies
    )
    audit_record(actor=actor, verb="create sales order", instance=deal, changes={"order": order.number})
    return order
