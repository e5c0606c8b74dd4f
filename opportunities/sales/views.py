"""Deal lines, quotes, sales orders and the sales targets page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import access, linked
from crm.exceptions import StaleRecordError
from crm.models import Report
from opportunities import pipeline as gates
from opportunities import selectors
from opportunities.models import Deal
from opportunities.sales import services as sales
from opportunities.sales import snapshots
from opportunities.sales.forms import DealLineForm, QuoteStatusForm, TargetPeriodForm
from opportunities.sales.models import Quote, SalesOrder, SalesTarget
from opportunities.sales.targets import Period, target_comparison


def deal_sales_context(deal: Deal, user) -> dict:
    """What templates/opportunities/partials/deal_lines.html and deal_quotes.html need."""
    lines = list(deal.lines.select_related("product"))
    quotes = list(deal.quotes.select_related("created_by", "document"))
    for quote in quotes:
        allowed = sales.QUOTE_TRANSITIONS[quote.status]
        quote.next_statuses = [status for status in Quote.Status.values if status in allowed]
    return {
        "deal_lines": lines,
        "deal_lines_total": sum((line.total for line in lines), 0),
        "line_form": DealLineForm(),
        "deal_quotes": quotes,
        "sales_order": SalesOrder.objects.filter(deal=deal).first(),
    }


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _panel_context(request, deal: Deal) -> dict:
    """A lines or quotes panel answered to htmx after a change: the deal read afresh as the card
    reads it (its value may have changed, and the card marks which linked records are visible)."""
    deal = selectors.deal_card(user=request.user).get(pk=deal.pk)
    return {**deal_sales_context(deal, request.user), "deal": deal, "can_edit": True}


def _save_line(request, deal: Deal, save) -> HttpResponse:
    """Validate the posted line, call `save(values, update_deal_value)`; errors become messages."""
    form = DealLineForm(request.POST)
    if form.is_valid():
        try:
            save(form.values(), form.cleaned_data["update_deal_value"])
        except (ValidationError, gates.StageGateError, StaleRecordError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("The deal's lines were saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(deal)


def _error_text(error) -> str:
    if isinstance(error, gates.StageGateError):
        return " ".join(str(item.message) for item in error.missing)
    if isinstance(error, StaleRecordError):
        return _("Someone else changed this deal meanwhile. Reload it and try again.")
    return " ".join(error.messages)


@require_POST
def deal_line_add(request, pk: int):
    access.require_permission(request.user, "opportunities.add_dealline")
    deal = access.get_editable_or_404(Deal, request.user, pk=pk)
    return _save_line(
        request,
        deal,
        lambda values, update: sales.deal_line_add(
            actor=request.user, deal=deal, values=values, update_deal_value=update
        ),
    )


@require_http_methods(["GET", "POST"])
def deal_line_update(request, pk: int, line_pk: int):
    """A deal line changed in place: GET gives the line's row as a form (htmx) or a page with it
    (no JavaScript); POST saves it. With htmx a save answers the lines panel (the row and the
    total), a refusal the row's form with its errors (422)."""
    access.require_permission(request.user, "opportunities.change_dealline")
    deal = access.get_editable_or_404(Deal, request.user, pk=pk)
    line = get_object_or_404(deal.lines.select_related("product"), pk=line_pk)
    data = request.POST if request.method == "POST" else None
    form = DealLineForm.for_line(line, data, html_form=f"deal-line-{line.pk}-form")
    if form.is_bound and form.is_valid():
        try:
            sales.deal_line_update(
                actor=request.user,
                line=line,
                changes=form.values(),
                update_deal_value=form.cleaned_data["update_deal_value"],
            )
        except (ValidationError, gates.StageGateError, StaleRecordError) as error:
            form.add_error(None, _error_text(error))
        else:
            if not _is_htmx(request):
                messages.success(request, _("The deal's lines were saved."))
                return redirect(deal)
            response = render(
                request, "opportunities/partials/deal_lines.html", _panel_context(request, deal)
            )
            response["HX-Retarget"], response["HX-Reswap"] = "#deal-lines", "outerHTML"
            return response
    template = "opportunities/partials/deal_line_form.html"
    return render(
        request,
        f"{template}#line_form_row" if _is_htmx(request) else template,
        {"deal": deal, "line": line, "line_form": form},
        status=422 if form.is_bound else 200,
    )


@require_POST
def deal_line_delete(request, pk: int, line_pk: int):
    access.require_permission(request.user, "opportunities.delete_dealline")
    deal = access.get_editable_or_404(Deal, request.user, pk=pk)
    line = get_object_or_404(deal.lines, pk=line_pk)
    update = request.POST.get("update_deal_value") == "on"
    try:
        sales.deal_line_delete(actor=request.user, line=line, update_deal_value=update)
    except (ValidationError, gates.StageGateError, StaleRecordError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The line was removed."))
    return redirect(deal)


@require_POST
def quote_create(request, pk: int):
    access.require_permission(request.user, "opportunities.add_quote")
    deal = access.get_editable_or_404(Deal, request.user, pk=pk)
    try:
        quote = sales.quote_create(actor=request.user, deal=deal)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(deal)
    messages.success(
        request, _("Quote %(number)s was made and attached to the deal.") % {"number": quote.number}
    )
    return redirect(quote)


@require_POST
def quote_set_status(request, pk: int):
    """Mark a quote sent, accepted or rejected, or reopen it, from the deal card's quotes panel."""
    access.require_permission(request.user, "opportunities.change_quote")
    quotes = access.visible_to(Quote.objects.select_related("deal"), request.user, prefix="deal__")
    quote = get_object_or_404(quotes, pk=pk)
    deal = quote.deal
    if not access.can_edit(request.user, deal):
        raise PermissionDenied
    form = QuoteStatusForm(request.POST)
    error, notice, status = None, None, 200
    if not form.is_valid():
        error, status = " ".join(message for errors in form.errors.values() for message in errors), 422
    else:
        try:
            quote = sales.quote_set_status(
                actor=request.user,
                quote=quote,
                status=form.cleaned_data["status"],
                expected_status=form.cleaned_data["expected_status"] or None,
            )
        except ValidationError as refusal:
            error, status = _error_text(refusal), 422
        except StaleRecordError:
            error = _("Someone else changed this quote meanwhile; check its status and try again.")
            status = 409
        else:
            notice = _("Quote %(number)s is now %(status)s.") % {
                "number": quote.number,
                "status": quote.get_status_display().lower(),
            }
    if not _is_htmx(request):
        messages.add_message(request, messages.ERROR if error else messages.SUCCESS, error or notice)
        return redirect(deal)
    context = {**_panel_context(request, deal), "quote_error": error, "quote_notice": notice}
    return render(request, "opportunities/partials/deal_quotes.html", context, status=status)


# A quote or order is a snapshot written for the customer: it names the deal's company and
# primary contact. Who may not see either gets "hidden record" instead of the document on its
# page, and no PDF (404, as for the company itself).
def _document_context(document) -> dict:
    return {"document": document, "deal": document.deal, "withheld": snapshots.names_hidden_records(document)}


def _visible_quote(request, pk: int) -> Quote:
    access.require_permission(request.user, "opportunities.view_quote")
    quotes = Quote.objects.select_related("deal", "document", "created_by").prefetch_related("lines")
    quotes = linked.annotate_visible(quotes, request.user, *snapshots.LINKS)
    return get_object_or_404(access.visible_to(quotes, request.user, prefix="deal__"), pk=pk)


@require_GET
def quote_detail(request, pk: int):
    quote = _visible_quote(request, pk)
    return render(request, "opportunities/quote_detail.html", _document_context(quote))


@require_GET
def quote_pdf(request, pk: int):
    quote = _visible_quote(request, pk)
    if quote.document is None or snapshots.names_hidden_records(quote):
        raise Http404
    try:
        stored_file = quote.document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        stored_file, as_attachment=True, filename=quote.document.name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def sales_order_detail(request, pk: int):
    access.require_permission(request.user, "opportunities.view_salesorder")
    orders = SalesOrder.objects.select_related("deal", "document", "created_by").prefetch_related("lines")
    orders = linked.annotate_visible(orders, request.user, *snapshots.LINKS)
    order = get_object_or_404(access.visible_to(orders, request.user, prefix="deal__"), pk=pk)
    return render(request, "opportunities/quote_detail.html", _document_context(order))


@require_GET
def targets(request):
    """A report: target, won and weighted pipeline per seller and team."""
    access.require_permission(request.user, Report.PERMISSION)
    form = TargetPeriodForm(request.GET or None)
    today = timezone.localdate()
    kind, month = SalesTarget.PeriodType.MONTH, today
    if form.is_valid():
        kind, month = form.cleaned_data["kind"], form.cleaned_data["month"] or today
    elif form.is_bound:
        messages.error(request, _("Choose a valid period; showing this month instead."))
    period = Period.containing(month, kind)
    rows = target_comparison(request.user, period)
    return render(request, "opportunities/targets.html", {"form": form, "period": period, "rows": rows})
