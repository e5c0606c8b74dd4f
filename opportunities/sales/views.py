"""Deal lines, quotes, sales orders and the sales targets page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm import access
from crm.exceptions import StaleRecordError
from crm.models import Report
from opportunities import pipeline as gates
from opportunities.models import Deal
from opportunities.sales import services as sales
from opportunities.sales.forms import DealLineForm, TargetPeriodForm
from opportunities.sales.models import Quote, SalesOrder, SalesTarget
from opportunities.sales.targets import Period, target_comparison


def deal_sales_context(deal: Deal, user) -> dict:
    """What templates/opportunities/partials/deal_lines.html and deal_quotes.html need."""
    lines = list(deal.lines.select_related("product"))
    return {
        "deal_lines": lines,
        "deal_lines_total": sum((line.total for line in lines), 0),
        "line_form": DealLineForm(),
        "deal_quotes": list(deal.quotes.select_related("created_by", "document")),
        "sales_order": SalesOrder.objects.filter(deal=deal).first(),
    }


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


@require_POST
def deal_line_update(request, pk: int, line_pk: int):
    access.require_permission(request.user, "opportunities.change_dealline")
    deal = access.get_editable_or_404(Deal, request.user, pk=pk)
    line = get_object_or_404(deal.lines, pk=line_pk)
    return _save_line(
        request,
        deal,
        lambda values, update: sales.deal_line_update(
            actor=request.user, line=line, changes=values, update_deal_value=update
        ),
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


def _visible_quote(request, pk: int) -> Quote:
    access.require_permission(request.user, "opportunities.view_quote")
    quotes = Quote.objects.select_related("deal", "document", "created_by").prefetch_related("lines")
    return get_object_or_404(access.visible_to(quotes, request.user, prefix="deal__"), pk=pk)


@require_GET
def quote_detail(request, pk: int):
    quote = _visible_quote(request, pk)
    return render(request, "opportunities/quote_detail.html", {"document": quote, "deal": quote.deal})


@require_GET
def quote_pdf(request, pk: int):
    quote = _visible_quote(request, pk)
    if quote.document is None:
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
    order = get_object_or_404(access.visible_to(orders, request.user, prefix="deal__"), pk=pk)
    return render(request, "opportunities/quote_detail.html", {"document": order, "deal": order.deal})


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
