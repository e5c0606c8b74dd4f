"""The agents' ticket pages (issue 15 items 1 and 6): the queue view with its saved views, a
ticket's page with its conversation, reply and note forms, quick status and assignee changes,
watchers, merging duplicates and logging calls; and an agent's callback list.

Every staff role works the tickets crm.access lets it see (owner = the assigned agent, team = the
queue's team): changing one (replying, noting, assigning, merging, logging a call) needs it to be
editable; watching it, only visible. No Django permission beyond that: setting up queues and
policies is support.manage_support's (support.sla_views)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import access, cards
from crm.document_views import documents_panel_context
from crm.exceptions import StaleRecordError
from crm.history import history_entries
from crm.pagination import paginate
from crm.record_views import create_flow, update_flow
from support import selectors, services
from support.filters import TicketFilter
from support.forms import (
    AssignForm,
    CallForm,
    MergeForm,
    NoteForm,
    ReplyForm,
    StatusForm,
    TicketForm,
    WatcherForm,
)
from support.models import Ticket

STALE = _(
    "Someone else saved this record while you were editing it. What is saved now is shown "
    "below the form: check your changes against it and save again."
)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _knowledge_insert_available() -> bool:
    """Whether the knowledge base offers its "insert answer" box (support.knowledge)."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template("knowledge/_insert_answer.html")
    except TemplateDoesNotExist:
        return False
    return True


# -- The queue view -----------------------------------------------------------------------------


def ticket_list(request):
    view = request.GET.get("view", selectors.DEFAULT_VIEW)
    if view not in selectors.VIEWS:
        view = selectors.DEFAULT_VIEW
    # A chosen status applies to the view's tickets in place of "open" (a closed one too).
    tickets = selectors.ticket_list(user=request.user, view=view, status=request.GET.get("status", ""))
    ticket_filter = TicketFilter(request.GET, queryset=tickets, user=request.user)
    page = paginate(
        ticket_filter.qs,
        request.GET.get("page"),
        rows_by_id=lambda ids: selectors.list_rows(request.user, ids),
    )
    return render(
        request,
        "support/ticket_list.html",
        {"filter": ticket_filter, "page": page, "views": selectors.VIEWS, "view": view},
    )


def callbacks(request):
    page = paginate(selectors.callbacks(user=request.user), request.GET.get("page"))
    return render(request, "support/callbacks.html", {"page": page})


# -- A ticket -----------------------------------------------------------------------------------


def _detail_context(request, ticket: Ticket, **forms) -> dict:
    can_edit = access.can_edit(request.user, ticket)
    watchers = list(ticket.watchers.order_by("first_name", "last_name", "username"))
    earlier = request.GET.get("earlier", "")
    earlier = int(earlier) if earlier.isdigit() and len(earlier) < 6 else 0
    conversation, has_earlier = selectors.conversation(ticket, request.user, earlier=earlier)
    context = {
        "ticket": ticket,
        "can_edit": can_edit,
        "conversation": conversation,
        "earlier": earlier,
        "has_earlier": has_earlier,
        "history": history_entries(ticket, user=request.user),
        "calls": selectors.ticket_calls(ticket, request.user),
        "watchers": watchers,
        "watching": any(user.pk == request.user.pk for user in watchers),
        "knowledge_insert": _knowledge_insert_available(),
        **documents_panel_context(ticket, can_edit=can_edit),
        "panels": cards.panels_for(ticket, request.user),
    }
    if can_edit:
        context.update(
            reply_form=forms.get("reply_form") or ReplyForm(),
            note_form=forms.get("note_form") or NoteForm(prefix="note"),
            status_form=StatusForm(initial={"status": ticket.status}),
            assign_form=AssignForm(
                initial={"owner": ticket.owner_id, "version": ticket.version}, user=request.user
            ),
            watcher_form=WatcherForm(),
            call_form=forms.get("call_form") or CallForm(),
        )
    return context


def ticket_detail(request, pk: int):
    ticket = access.get_visible_or_404(selectors.ticket_card(user=request.user), request.user, pk=pk)
    return render(request, "support/ticket_detail.html", _detail_context(request, ticket))


def _editable(request, pk: int) -> Ticket:
    return access.get_editable_or_404(selectors.ticket_card(user=request.user), request.user, pk=pk)


def ticket_create(request):
    initial = {}
    for name in ("company", "contact"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    form = TicketForm(request.POST or None, initial=initial, user=request.user)
    return create_flow(
        request,
        form=form,
        create=lambda values: services.ticket_create(actor=request.user, values=_without_version(values)),
        find_duplicates=None,
        template="support/ticket_form.html",
    )


def _without_version(values: dict) -> dict:
    return {name: value for name, value in values.items() if name != "version"}


def ticket_update(request, pk: int):
    ticket = _editable(request, pk)
    form = TicketForm(request.POST or None, instance=ticket, user=request.user)
    return update_flow(
        request,
        form=form,
        record=ticket,
        update=lambda values, version: services.ticket_update(
            actor=request.user, ticket=ticket, values=_without_version(values), version=version
        ),
        template="support/ticket_form.html",
    )


@require_POST
def ticket_reply(request, pk: int):
    ticket = _editable(request, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_reply(
                actor=request.user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"] or None,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Reply sent."))
            return redirect(ticket)
    context = _detail_context(request, ticket, reply_form=form)
    return render(request, "support/ticket_detail.html", context, status=400)


@require_POST
def ticket_note(request, pk: int):
    ticket = _editable(request, pk)
    form = NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            services.ticket_note(actor=request.user, ticket=ticket, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Note added."))
            return redirect(ticket)
    context = _detail_context(request, ticket, note_form=form)
    return render(request, "support/ticket_detail.html", context, status=400)


def _actions(request, ticket: Ticket, *, error: str = "", status: int = 200):
    """The quick actions box: with htmx only it is swapped, otherwise back to the ticket."""
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        return redirect(ticket)
    ticket = selectors.ticket_card(user=request.user).get(pk=ticket.pk)
    context = _detail_context(request, ticket)
    context["action_error"] = error
    return render(request, "support/ticket_detail.html#actions", context, status=status)


@require_POST
def ticket_set_status(request, pk: int):
    ticket = _editable(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _actions(request, ticket, error=_("Choose a status."), status=400)
    services.ticket_set_status(actor=request.user, ticket=ticket, status=form.cleaned_data["status"])
    return _actions(request, ticket)


@require_POST
def ticket_assign(request, pk: int):
    ticket = _editable(request, pk)
    form = AssignForm(request.POST, user=request.user)
    if not form.is_valid():
        return _actions(request, ticket, error=_("Choose an agent, or reload the page."), status=400)
    try:
        services.ticket_update(
            actor=request.user,
            ticket=ticket,
            values={"owner": form.cleaned_data["owner"]},
            version=form.cleaned_data["version"],
        )
    except StaleRecordError:
        return _actions(request, ticket, error=STALE, status=409)
    except ValidationError as error:
        return _actions(request, ticket, error=" ".join(error.messages), status=400)
    return _actions(request, ticket)


@require_POST
def ticket_watch(request, pk: int):
    """Watch the ticket (oneself: it needs only to be visible), or add a colleague (editable)."""
    ticket = access.get_visible_or_404(Ticket, request.user, pk=pk)
    watcher = request.user
    if request.POST.get("user"):
        if not access.can_edit(request.user, ticket):
            raise PermissionDenied
        form = WatcherForm(request.POST)
        if not form.is_valid():
            return _actions(request, ticket, error=_("Choose a colleague."), status=400)
        watcher = form.cleaned_data["user"]
    try:
        services.ticket_watch(actor=request.user, ticket=ticket, user=watcher)
    except ValidationError as error:
        return _actions(request, ticket, error=" ".join(error.messages), status=400)
    return _actions(request, ticket)


@require_POST
def ticket_unwatch(request, pk: int):
    """Stop watching (oneself), or remove a colleague (the ticket must be editable)."""
    ticket = access.get_visible_or_404(Ticket, request.user, pk=pk)
    watcher = request.user
    if request.POST.get("user") and request.POST["user"] != str(request.user.pk):
        if not access.can_edit(request.user, ticket):
            raise PermissionDenied
        form = WatcherForm(request.POST)
        if not form.is_valid():
            return _actions(request, ticket, error=_("Choose a colleague."), status=400)
        watcher = form.cleaned_data["user"]
    services.ticket_unwatch(actor=request.user, ticket=ticket, user=watcher)
    return _actions(request, ticket)


def ticket_merge(request, pk: int):
    ticket = _editable(request, pk)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same answer for a ticket that does not exist and one the user may not change.
        duplicate = Ticket.objects.editable_by(request.user).filter(pk=form.cleaned_data["duplicate"]).first()
        if duplicate is None:
            form.add_error("duplicate", _("There is no ticket with that number that you may change."))
        else:
            try:
                services.ticket_merge(actor=request.user, survivor=ticket, duplicate=duplicate)
            except ValidationError as error:
                form.add_error("duplicate", error.messages)
            else:
                messages.success(
                    request,
                    _("Ticket %(duplicate)s was merged into this one.") % {"duplicate": duplicate.number},
                )
                return redirect(ticket)
    return render(request, "support/ticket_merge.html", {"ticket": ticket, "form": form})


@require_POST
def ticket_call(request, pk: int):
    ticket = _editable(request, pk)
    form = CallForm(request.POST)
    if form.is_valid():
        try:
            services.call_log(actor=request.user, ticket=ticket, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Call logged."))
            return redirect(reverse("support:ticket_detail", args=[ticket.pk]) + "#calls")
    context = _detail_context(request, ticket, call_form=form)
    return render(request, "support/ticket_detail.html", context, status=400)
