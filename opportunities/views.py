from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm import access, cards, custom_fields, exports, linked, listings
from crm.documents import documents_panel
from crm.exceptions import StaleRecordError
from crm.exports import export_response
from crm.history import history_entries
from crm.pagination import paginate
from crm.record_views import create_flow, delete_flow, update_flow
from opportunities import pipeline as gates
from opportunities import selectors, services
from opportunities.board import selectors as board
from opportunities.filters import DealFilter
from opportunities.forms import (
    FILLED_IN,
    DealContactForm,
    DealForm,
    NewDealForm,
    StageChoiceForm,
    filled_in_move_form,
    stage_move_form,
)
from opportunities.models import Deal, DealContact, Pipeline, Stage, StageCriterion
from opportunities.sales import views as sales_views

# The records a deal card names; each is shown only to who may see it (crm.linked).
DEAL_CARD_LINKS = ("company", "primary_contact")


def deal_list(request):
    deal_filter = DealFilter(request.GET, queryset=selectors.deal_list(user=request.user), user=request.user)
    page = paginate(
        deal_filter.qs,
        request.GET.get("page"),
        rows_by_id=lambda ids: selectors.deal_rows_by_id(request.user, ids),
    )
    # Columns other apps add (activities: each deal's next step).
    badges = listings.list_badges(Deal, page.object_list, request.user)
    return render(
        request, "opportunities/deal_list.html", {"filter": deal_filter, "page": page, "badges": badges}
    )


@require_GET
def deal_export(request, file_format: str):
    """The filtered deals list as XLSX or CSV: the board export's columns, with the pipeline."""
    access.require_permission(request.user, "opportunities.export_deal")
    deal_filter = DealFilter(request.GET, queryset=selectors.deal_list(user=request.user), user=request.user)
    columns = [exports.field(_("Pipeline"), "pipeline__name"), *board.export_columns()]
    deals = linked.annotate_visible(deal_filter.qs.with_weighted_value(), request.user, *board.EXPORT_LINKS)
    return export_response(deals, columns, file_format=file_format, name="deals")


def deal_detail(request, pk: int):
    card = linked.annotate_visible(selectors.deal_card(user=request.user), request.user, *DEAL_CARD_LINKS)
    deal = access.get_visible_or_404(card, request.user, pk=pk)
    can_edit = access.can_edit(request.user, deal)
    stages = list(deal.pipeline.stages.all())
    next_stage = next(
        (s for s in stages if s.position > deal.stage.position and s.kind == Stage.Kind.OPEN), None
    )
    context = {
        **sales_views.deal_sales_context(deal, request.user),
        "deal": deal,
        "can_edit": can_edit,
        "stages": stages,
        "next_stage": next_stage,
        "next_missing": gates.missing_for_move(deal, next_stage) if next_stage else [],
        "volume_warning": gates.volume_warning(deal),
        "other_pipelines": Pipeline.objects.filter(is_active=True)
        .exclude(pk=deal.pipeline_id)
        .prefetch_related("stages")
        if can_edit
        else [],
        "history": history_entries(deal, user=request.user),
        # The panels other apps register on a deal's card (activities: the timeline).
        "panels": cards.panels_for(deal, request.user),
        "documents": documents_panel(deal),
        "deal_contacts": linked.annotate_visible(
            deal.deal_contacts.select_related("person", "role"), request.user, "person"
        ),
        "contact_form": DealContactForm(user=request.user) if can_edit else None,
        "upload_url": reverse("documents:document_upload", kwargs={"model_name": "deal", "pk": deal.pk}),
        "custom_values": custom_fields.display_values(deal, custom_fields.definitions_for(Deal)),
    }
    return render(request, "opportunities/deal_detail.html", context)


def deal_create(request):
    access.require_permission(request.user, "opportunities.add_deal")
    initial = {key: request.GET[key] for key in ("pipeline", "company") if request.GET.get(key, "").isdigit()}
    form = NewDealForm(request.POST or None, initial=initial, user=request.user)

    def create(values):
        try:
            return services.deal_create(
                actor=request.user,
                pipeline=form.cleaned_data["pipeline"],
                stage=form.cleaned_data["stage"],
                values=values,
                confirmed_criteria=form.confirmed_criteria(),
            )
        except gates.StageGateError as error:
            raise ValidationError([item.message for item in error.missing]) from error

    return create_flow(
        request, form=form, create=create, find_duplicates=None, template="opportunities/deal_form.html"
    )


def deal_update(request, pk: int):
    access.require_permission(request.user, "opportunities.change_deal")
    deal = access.get_editable_or_404(Deal, request.user, pk=pk)
    form = DealForm(request.POST or None, instance=deal, user=request.user)

    def update(changes, version):
        try:
            return services.deal_update(
                actor=request.user, deal=deal, changes=changes, expected_version=version
            )
        except gates.StageGateError as error:
            raise ValidationError([item.message for item in error.missing]) from error

    return update_flow(
        request, form=form, record=deal, update=update, template="opportunities/deal_form.html"
    )


@require_POST
def deal_move_stage(request, pk: int):
    """Move a deal to another stage of its pipeline. When the stage's requirements are not met,
    answer with a form listing every missing item, with inputs to fill them in (also the board's
    dialog); posting it completes the move in one step. The gate runs once per post: in the
    service, whose refusal says what the form asks for."""
    access.require_permission(request.user, "opportunities.change_deal")
    deal = access.get_editable_or_404(selectors.deal_card(user=request.user), request.user, pk=pk)
    target = StageChoiceForm(request.POST, deal=deal)
    if not target.is_valid():
        # Not a stage of the deal's pipeline (a tampered page or a stale board): a bad request,
        # which the board answers with "not possible" and a reload, not with the gate's dialog.
        return _stage_move_page(request, deal=deal, stage=None, form=target, missing=[], status=400)
    stage, version = target.cleaned_data["stage"], target.cleaned_data["version"]
    filled_in = bool(request.POST.get(FILLED_IN))
    form = filled_in_move_form(deal=deal, user=request.user, data=request.POST) if filled_in else None
    if form is not None and not form.is_valid():
        return _stage_move_page(request, deal=deal, stage=stage, form=form, missing=[], status=422)
    try:
        moved = services.deal_move_stage(
            actor=request.user,
            deal=deal,
            stage=stage,
            expected_version=version,
            changes=form.changes() if form else {},
            confirmed_criteria=form.confirmed_criteria() if form else [],
        )
    except gates.StageGateError as error:
        # A drop or a stage button gets the form unbound (no errors on what is not typed yet);
        # a filled-in form comes back with what is still empty marked.
        asked = stage_move_form(
            deal=deal,
            stage=stage,
            user=request.user,
            missing=error.missing,
            data=request.POST if filled_in else None,
        )
        if asked.is_bound:
            asked.is_valid()
        return _stage_move_page(
            request, deal=deal, stage=stage, form=asked, missing=error.missing, status=422
        )
    except StaleRecordError:
        form = form or target
        form.add_error(None, _("Someone else changed this deal meanwhile. Reload it and try again."))
        return _stage_move_page(request, deal=deal, stage=stage, form=form, missing=[], status=409)
    except ValidationError as error:  # e.g. a deal name outside the pipeline's fixed list
        form = form or target
        form.add_error(None, error.messages)
        return _stage_move_page(request, deal=deal, stage=stage, form=form, missing=[], status=422)
    if request.headers.get("HX-Request"):
        return render(request, "opportunities/partials/stage_moved.html", {"deal": moved}, status=200)
    messages.success(request, _("%(deal)s moved to %(stage)s.") % {"deal": moved, "stage": stage.name})
    return redirect(moved)


def _stage_move_page(request, *, deal, stage, form, missing, status: int):
    # htmx (the board's dialog) gets the form alone; a plain POST gets it inside the page.
    template = (
        "opportunities/partials/stage_move_form.html"
        if request.headers.get("HX-Request")
        else "opportunities/deal_move.html"
    )
    context = {"deal": deal, "stage": stage, "form": form, "missing": missing}
    return render(request, template, context, status=status)


@require_POST
def deal_change_pipeline(request, pk: int):
    """Register the deal under another pipeline, in a stage of it, through that pipeline's gates;
    the page of missing items offers the checklist ticks those stages need."""
    access.require_permission(request.user, "opportunities.change_deal")
    deal = access.get_editable_or_404(selectors.deal_card(user=request.user), request.user, pk=pk)
    stage_id, version = request.POST.get("stage", ""), request.POST.get("version", "")
    stage = get_object_or_404(
        Stage.objects.select_related("pipeline"),
        pk=stage_id if stage_id.isdigit() else 0,
        pipeline__is_active=True,
    )
    if not version.isdigit():
        return HttpResponseBadRequest(_("Reload the page and try again."))
    ticked = [value for value in request.POST.getlist("criteria") if value.isdigit()]
    criteria = list(StageCriterion.objects.filter(pk__in=ticked, stage__pipeline_id=stage.pipeline_id))
    try:
        moved = services.deal_change_pipeline(
            actor=request.user,
            deal=deal,
            stage=stage,
            expected_version=int(version),
            confirmed_criteria=criteria,
        )
    except gates.StageGateError as error:
        context = {
            "deal": deal,
            "stage": stage,
            "missing": error.missing,
            "criteria": [*criteria, *gates.criteria_of(error.missing)],
            "ticked": {criterion.pk for criterion in criteria},
        }
        return render(request, "opportunities/deal_change_pipeline.html", context, status=422)
    except StaleRecordError:
        messages.error(request, _("Someone else changed this deal meanwhile. Reload it and try again."))
        return redirect(deal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(deal)
    messages.success(
        request,
        _("%(deal)s is now in %(pipeline)s, %(stage)s.")
        % {"deal": moved, "pipeline": stage.pipeline.name, "stage": stage.name},
    )
    return redirect(moved)


def deal_delete(request, pk: int):
    access.require_permission(request.user, "opportunities.delete_deal")
    deal = access.get_editable_or_404(Deal, request.user, pk=pk)
    return delete_flow(
        request,
        record=deal,
        delete=lambda: services.deal_delete(actor=request.user, deal=deal),
        redirect_to="opportunities:deal_list",
    )


@require_POST
def deal_contact_add(request, pk: int):
    access.require_permission(request.user, "opportunities.change_deal")
    deal = access.get_editable_or_404(Deal, request.user, pk=pk)
    form = DealContactForm(request.POST, user=request.user)
    if form.is_valid():
        services.deal_contact_add(
            actor=request.user, deal=deal, person=form.cleaned_data["person"], role=form.cleaned_data["role"]
        )
        messages.success(
            request, _("%(person)s added to the deal.") % {"person": form.cleaned_data["person"]}
        )
    else:
        errors = "; ".join(str(error) for field_errors in form.errors.values() for error in field_errors)
        messages.error(request, _("The contact was not added: %(errors)s") % {"errors": errors})
    return redirect(deal)


@require_POST
def deal_contact_remove(request, pk: int, contact_pk: int):
    access.require_permission(request.user, "opportunities.change_deal")
    deal = access.get_editable_or_404(Deal, request.user, pk=pk)
    deal_contact = get_object_or_404(DealContact, pk=contact_pk, deal=deal)
    services.deal_contact_remove(actor=request.user, deal_contact=deal_contact)
    messages.success(request, _("%(person)s removed from the deal.") % {"person": deal_contact.person})
    return redirect(deal)
