from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contacts.documents import documents_panel
from crm import access, custom_fields, exports
from crm.exceptions import StaleRecordError
from crm.exports import export_response
from crm.history import history_entries
from crm.pagination import paginate
from crm.record_views import create_flow, delete_flow, update_flow
from opportunities import pipeline as gates
from opportunities import selectors, services
from opportunities.board import selectors as board
from opportunities.filters import DealFilter
from opportunities.forms import DealContactForm, DealForm, NewDealForm, stage_move_form
from opportunities.models import Deal, DealContact, Pipeline, Stage, StageCriterion
from opportunities.sales import views as sales_views


def deal_list(request):
    deal_filter = DealFilter(request.GET, queryset=selectors.deal_list(user=request.user), user=request.user)
    page = paginate(selectors.deal_rows(deal_filter.qs), request.GET.get("page"))
    return render(request, "opportunities/deal_list.html", {"filter": deal_filter, "page": page})


@require_GET
def deal_export(request, file_format: str):
    """The filtered deals list as XLSX or CSV: the board export's columns, with the pipeline."""
    access.require_permission(request.user, "opportunities.export_deal")
    deal_filter = DealFilter(request.GET, queryset=selectors.deal_list(user=request.user), user=request.user)
    columns = [exports.field(_("Pipeline"), "pipeline__name"), *board.export_columns()]
    return export_response(deal_filter.qs, columns, file_format=file_format, name="deals")


def deal_detail(request, pk: int):
    deal = access.get_visible_or_404(selectors.deal_card(user=request.user), request.user, pk=pk)
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
        "history": history_entries(deal),
        "documents": documents_panel(deal),
        "deal_contacts": deal.deal_contacts.select_related("person", "role"),
        "contact_form": DealContactForm(user=request.user) if can_edit else None,
        "upload_url": reverse("contacts:document_upload", kwargs={"model_name": "deal", "pk": deal.pk}),
        "custom_values": custom_fields.display_values(deal, custom_fields.definitions_for(Deal)),
        "company_visible": deal.company_id is not None
        and access.visible_to(deal.company.__class__.objects.all(), request.user)
        .filter(pk=deal.company_id)
        .exists(),
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
    dialog); posting it completes the move in one step."""
    access.require_permission(request.user, "opportunities.change_deal")
    deal = access.get_editable_or_404(selectors.deal_card(user=request.user), request.user, pk=pk)
    stage_id = request.POST.get("stage", "")
    stage = get_object_or_404(Stage, pk=stage_id if stage_id.isdigit() else 0, pipeline_id=deal.pipeline_id)
    form, missing = stage_move_form(deal=deal, stage=stage, user=request.user, data=request.POST)
    status = 200
    if not form.is_bound:
        status = 422  # the move waits for the missing items the form asks for
    elif form.is_valid():
        try:
            moved = services.deal_move_stage(
                actor=request.user,
                deal=deal,
                stage=stage,
                expected_version=form.cleaned_data["version"],
                changes=form.changes(),
                confirmed_criteria=form.confirmed_criteria(),
            )
        except gates.StageGateError as error:
            missing = error.missing
            form.add_error(None, [item.message for item in missing])
            status = 422
        except StaleRecordError:
            form.add_error(None, _("Someone else changed this deal meanwhile. Reload it and try again."))
            status = 409
        else:
            if request.headers.get("HX-Request"):
                return render(request, "opportunities/partials/stage_moved.html", {"deal": moved}, status=200)
            messages.success(
                request, _("%(deal)s moved to %(stage)s.") % {"deal": moved, "stage": stage.name}
            )
            return redirect(moved)
    else:
        status = 422
    # htmx (the board's dialog) gets the form alone; a plain POST gets it inside the page.
    template = (
        "opportunities/partials/stage_move_form.html"
        if request.headers.get("HX-Request")
        else "opportunities/deal_move.html"
    )
    return render(
        request, template, {"deal": deal, "stage": stage, "form": form, "missing": missing}, status=status
    )


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
