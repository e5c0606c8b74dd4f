from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm import access, cards, linked
from crm.exports import export_response
from crm.history import history_entries
from crm.pagination import paginate
from crm.record_views import create_flow, delete_flow, update_flow
from leads import exports, selectors, services
from leads.filters import LeadFilter
from leads.forms import LeadConversionForm, LeadForm
from leads.models import Lead


def lead_list(request):
    lead_filter = LeadFilter(request.GET, queryset=selectors.lead_list(user=request.user), user=request.user)
    page = paginate(lead_filter.qs, request.GET.get("page"))
    return render(request, "leads/lead_list.html", {"filter": lead_filter, "page": page})


@require_GET
def lead_export(request, file_format: str):
    access.require_permission(request.user, "leads.export_lead")
    lead_filter = LeadFilter(request.GET, queryset=selectors.lead_list(user=request.user), user=request.user)
    return export_response(lead_filter.qs, exports.lead_columns(), file_format=file_format, name="leads")


# What a converted lead became; each is named only to who may see it (crm.linked).
LEAD_CARD_LINKS = ("converted_person", "converted_company", "converted_deal")


def lead_detail(request, pk: int):
    card = linked.annotate_visible(selectors.lead_card(user=request.user), request.user, *LEAD_CARD_LINKS)
    lead = access.get_visible_or_404(card, request.user, pk=pk)
    return render(
        request,
        "leads/lead_detail.html",
        {
            "lead": lead,
            "can_edit": access.can_edit(request.user, lead),
            "history": history_entries(lead, user=request.user),
            # The panels other apps register on a lead's card (marketing: score and campaigns).
            "panels": cards.panels_for(lead, request.user),
        },
    )


def lead_create(request):
    access.require_permission(request.user, "leads.add_lead")
    form = LeadForm(request.POST or None, user=request.user)
    return create_flow(
        request,
        form=form,
        create=lambda values: services.lead_create(actor=request.user, values=values),
        find_duplicates=None,
        template="leads/lead_form.html",
    )


def lead_update(request, pk: int):
    access.require_permission(request.user, "leads.change_lead")
    lead = access.get_editable_or_404(Lead, request.user, pk=pk)
    form = LeadForm(request.POST or None, instance=lead, user=request.user)
    return update_flow(
        request,
        form=form,
        record=lead,
        update=lambda changes, version: services.lead_update(
            actor=request.user, lead=lead, changes=changes, expected_version=version
        ),
        template="leads/lead_form.html",
    )


def lead_delete(request, pk: int):
    access.require_permission(request.user, "leads.delete_lead")
    lead = access.get_editable_or_404(Lead, request.user, pk=pk)
    return delete_flow(
        request,
        record=lead,
        delete=lambda: services.lead_delete(actor=request.user, lead=lead),
        redirect_to="leads:lead_list",
    )


def lead_convert(request, pk: int):
    access.require_permission(request.user, "leads.convert_lead")
    lead = access.get_editable_or_404(Lead, request.user, pk=pk)
    if not lead.is_open:
        messages.info(request, _("This lead is already converted or disqualified."))
        return redirect(lead)
    candidates = services.lead_conversion_candidates(user=request.user, lead=lead)
    form = LeadConversionForm(request.POST or None, user=request.user, lead=lead, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        conversion = form.conversion()
        try:
            person, company = services.lead_convert(actor=request.user, lead=lead, **conversion)
        except services.LeadConversionError as error:
            form.add_error(None, error.message)
        else:
            lead.refresh_from_db()
            messages.success(
                request,
                conversion_message(
                    lead,
                    person=person,
                    company=company,
                    person_created=conversion["person"] is None,
                    company_created=conversion["create_company"],
                ),
            )
            return redirect(lead.converted_deal or company or person)
    return render(request, "leads/lead_convert.html", {"lead": lead, "form": form, "candidates": candidates})


def conversion_message(lead, *, person, company, person_created: bool, company_created: bool) -> str:
    """What the conversion made of the lead, each record linked."""

    def link(record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), str(record))

    parts = [
        format_html(
            _("person {link} created") if person_created else _("linked to person {link}"), link=link(person)
        )
    ]
    if company is not None:
        text = _("company {link} created") if company_created else _("linked to company {link}")
        parts.append(format_html(text, link=link(company)))
    if lead.converted_deal is not None:
        parts.append(format_html(_("deal {link} created"), link=link(lead.converted_deal)))
    return format_html(
        _("Lead {lead} converted: {parts}."),
        lead=lead.full_name,
        parts=format_html_join(", ", "{}", ((part,) for part in parts)),
    )
