"""The sales board: the page (and its htmx refresh), its export and its batch text message.

Cards are moved by static/js/board.js through opportunities.views.deal_move_stage, the one
stage-move endpoint (gate check, dialog of missing items, version check).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm import access, listings
from crm.exports import export_response
from opportunities.board import messaging
from opportunities.board import selectors as board
from opportunities.board.forms import BoardFilterForm, BoardMessageForm

PAGE = "opportunities/board.html"
COLUMNS = "opportunities/partials/board_columns.html"


def _board_url(request) -> str:
    """The board with the filters of this request."""
    query = request.GET.urlencode()
    return reverse("opportunities:board") + (f"?{query}" if query else "")


def _context(request, filters: BoardFilterForm, **extra) -> dict:
    """What the board page shows; the board itself only when the filters are valid."""
    valid = filters.is_valid()
    return {
        "filters": filters,
        "board": board.board_build(user=request.user, query=filters.board_query()) if valid else None,
        # What other apps show beside the stages (activities: the open first meetings).
        "lanes": listings.lanes_for("opportunities:board", request.user, query=filters.board_query())
        if valid
        else [],
        "board_url": _board_url(request),
        "query_string": request.GET.urlencode(),
        **extra,
    }


@require_GET
def board_page(request):
    access.require_permission(request.user, "opportunities.view_deal")
    filters = BoardFilterForm(request.GET, user=request.user)
    # An htmx refresh (after a card moved) gets the columns and totals only.
    template = COLUMNS if request.headers.get("HX-Request") else PAGE
    response = render(
        request, template, _context(request, filters), status=200 if filters.is_valid() else 400
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def board_export(request, file_format: str):
    access.require_permission(request.user, "opportunities.export_deal")
    filters = BoardFilterForm(request.GET, user=request.user)
    if not filters.is_valid():
        return render(request, PAGE, _context(request, filters), status=400)
    query = filters.board_query()
    return export_response(
        board.export_deals(user=request.user, query=query),
        board.export_columns(),
        file_format=file_format,
        name="sales-board",
        then=board.export_unprocessed(user=request.user, query=query),
    )


@require_http_methods(["GET", "POST"])
def board_message(request):
    """GET: the board with a message form and who would receive it; POST: send it."""
    access.require_permission(request.user, messaging.PERMISSION)
    filters = BoardFilterForm(request.GET, user=request.user)
    form = BoardMessageForm(request.POST or None)
    if not filters.is_valid():
        return render(request, PAGE, _context(request, filters, message_form=form), status=400)
    query = filters.board_query()
    if not messaging.sms_enabled(query.pipeline):
        # The board with a clear refusal; nothing is counted or sent.
        context = _context(request, filters, sms_refused=messaging.SMS_DISABLED)
        return render(request, PAGE, context, status=403)
    if form.is_valid():
        try:
            report = messaging.board_message_send(
                actor=request.user, query=query, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            text = _("Message queued for %(queued)s people (%(skipped)s skipped); it goes out in a minute.")
            messages.success(request, text % {"queued": report.queued, "skipped": report.skipped})
            return redirect(_board_url(request))
    recipients = messaging.board_recipients(user=request.user, query=query, with_people=False)
    context = _context(request, filters, message_form=form, recipients=recipients)
    return render(request, PAGE, context, status=422 if form.is_bound else 200)
