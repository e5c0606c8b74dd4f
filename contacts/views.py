from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contacts import exports, matching, selectors, services
from contacts.filters import CompanyFilter, PersonFilter
from contacts.forms import CompanyForm, MergeForm, PersonForm
from contacts.models import Company, Person
from crm import access, cards, custom_fields, linked, listings
from crm.documents import documents_panel
from crm.exports import export_response
from crm.history import history_entries
from crm.pagination import paginate
from crm.record_views import create_flow, delete_flow, update_flow
from crm.search import search

PAGE_SIZE = 50
AUTOCOMPLETE_LIMIT = 20


def _page(request, queryset):
    return paginate(queryset, request.GET.get("page"), per_page=PAGE_SIZE)


def _list_columns(list_filter):
    """The custom fields shown as columns, from the definitions the filter bar has read."""
    return [d for d in list_filter.custom_field_definitions if d.show_in_list]


# Companies


def company_list(request):
    company_filter = CompanyFilter(
        request.GET, queryset=selectors.company_list(user=request.user), user=request.user
    )
    page = paginate(
        company_filter.qs,
        request.GET.get("page"),
        per_page=PAGE_SIZE,
        rows_by_id=selectors.company_rows_by_id,
    )
    return render(
        request,
        "contacts/company_list.html",
        {
            "filter": company_filter,
            "page": page,
            "custom_columns": _list_columns(company_filter),
            # Columns other apps add (activities: each company's next step).
            "badges": listings.list_badges(Company, page.object_list, request.user),
        },
    )


@require_GET
def company_export(request, file_format: str):
    access.require_permission(request.user, "contacts.export_company")
    company_filter = CompanyFilter(
        request.GET, queryset=selectors.company_list(user=request.user), user=request.user
    )
    return export_response(
        company_filter.qs, exports.company_columns(), file_format=file_format, name="companies"
    )


@require_GET
def company_autocomplete(request):
    term = next((value for key, value in request.GET.items() if key.endswith("search") or key == "q"), "")
    companies = search(Company.objects.visible_to(request.user), term).order_by("name")[:AUTOCOMPLETE_LIMIT]
    return render(request, "contacts/partials/company_options.html", {"companies": companies, "term": term})


def company_detail(request, pk: int):
    company = access.get_visible_or_404(selectors.company_card(user=request.user), request.user, pk=pk)
    can_edit = access.can_edit(request.user, company)
    context = {
        "company": company,
        "can_edit": can_edit,
        # People, deals, leads… are panels their apps register: contacts names none of them.
        "panels": cards.panels_for(company, request.user),
        "documents": documents_panel(company),
        "upload_url": reverse(
            "documents:document_upload", kwargs={"model_name": "company", "pk": company.pk}
        ),
        "history": history_entries(company, user=request.user),
        "custom_values": custom_fields.display_values(company, custom_fields.definitions_for(Company)),
        "status_form": selectors.company_quick_form(company=company, user=request.user) if can_edit else None,
    }
    return render(request, "contacts/company_detail.html", context)


@require_POST
def company_quick_update(request, pk: int):
    """The card's inline edit of status and owner (htmx), version-checked like the full form."""
    access.require_permission(request.user, "contacts.change_company")
    company = access.get_editable_or_404(Company, request.user, pk=pk)
    form = selectors.company_quick_form(company=company, user=request.user, data=request.POST)
    return update_flow(
        request,
        form=form,
        record=company,
        update=lambda changes, version: services.company_update(
            actor=request.user, company=company, changes=changes, expected_version=version
        ),
        template="contacts/company_detail.html#quick_edit",
        context={"company": company, "status_form": form, "can_edit": True},
        # With htmx only the box is swapped; its fresh form carries the new version for the next
        # save. Without JavaScript the browser goes back to the card.
        on_success=None
        if not request.headers.get("HX-Request")
        else lambda saved: render(
            request,
            "contacts/company_detail.html#quick_edit",
            {
                "company": saved,
                "status_form": selectors.company_quick_form(company=saved, user=request.user),
                "can_edit": True,
                "saved": True,
            },
        ),
    )


def company_create(request):
    access.require_permission(request.user, "contacts.add_company")
    form = CompanyForm(request.POST or None, user=request.user)
    return create_flow(
        request,
        form=form,
        create=lambda values: services.company_create(actor=request.user, values=values),
        find_duplicates=lambda data: matching.similar_companies(
            Company.objects.visible_to(request.user), name=data["name"], email_domain=data["email_domain"]
        ),
        template="contacts/company_form.html",
    )


def company_update(request, pk: int):
    access.require_permission(request.user, "contacts.change_company")
    company = access.get_editable_or_404(Company, request.user, pk=pk)
    form = CompanyForm(request.POST or None, instance=company, user=request.user)
    return update_flow(
        request,
        form=form,
        record=company,
        update=lambda changes, version: services.company_update(
            actor=request.user, company=company, changes=changes, expected_version=version
        ),
        template="contacts/company_form.html",
    )


def company_delete(request, pk: int):
    access.require_permission(request.user, "contacts.delete_company")
    company = access.get_editable_or_404(Company, request.user, pk=pk)
    return delete_flow(
        request,
        record=company,
        delete=lambda: services.company_delete(actor=request.user, company=company),
        redirect_to="contacts:company_list",
    )


def _merge(request, *, model, record, merge_service, template):
    form = MergeForm(
        request.POST or None,
        queryset=model.objects.editable_by(request.user).exclude(pk=record.pk),
        autocomplete_url=reverse(
            "contacts:company_autocomplete" if model is Company else "contacts:person_autocomplete"
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            survivor = merge_service(
                actor=request.user, survivor=record, duplicate=form.cleaned_data["duplicate"]
            )
        except PermissionDenied:
            form.add_error("duplicate", _("You may not merge these two records."))
        else:
            messages.success(request, _("Merged into %(record)s.") % {"record": survivor})
            return redirect(survivor)
    return render(request, template, {"form": form, "record": record, "moves": services.merge_moves(model)})


def company_merge(request, pk: int):
    access.require_permission(request.user, "contacts.merge_company")
    company = access.get_editable_or_404(Company, request.user, pk=pk)
    return _merge(
        request,
        model=Company,
        record=company,
        merge_service=services.company_merge,
        template="contacts/merge.html",
    )


# People


def person_list(request):
    person_filter = PersonFilter(
        request.GET, queryset=selectors.person_list(user=request.user), user=request.user
    )
    return render(
        request,
        "contacts/person_list.html",
        {
            "filter": person_filter,
            "page": _page(request, linked.annotate_visible(person_filter.qs, request.user, "company")),
            "custom_columns": _list_columns(person_filter),
        },
    )


@require_GET
def person_export(request, file_format: str):
    access.require_permission(request.user, "contacts.export_person")
    person_filter = PersonFilter(
        request.GET, queryset=selectors.person_list(user=request.user), user=request.user
    )
    people = linked.annotate_visible(person_filter.qs, request.user, *exports.PERSON_LINKS)
    return export_response(people, exports.person_columns(), file_format=file_format, name="people")


@require_GET
def person_autocomplete(request):
    term = next((value for key, value in request.GET.items() if key.endswith("search") or key == "q"), "")
    people = search(Person.objects.visible_to(request.user), term).select_related("company")[
        :AUTOCOMPLETE_LIMIT
    ]
    return render(request, "contacts/partials/person_options.html", {"people": people, "term": term})


def person_detail(request, pk: int):
    person = access.get_visible_or_404(selectors.person_card(user=request.user), request.user, pk=pk)
    context = {
        "person": person,
        "can_edit": access.can_edit(request.user, person),
        "company_visible": person.company_id is not None
        and Company.objects.visible_to(request.user).filter(pk=person.company_id).exists(),
        "panels": cards.panels_for(person, request.user),
        "documents": documents_panel(person),
        "upload_url": reverse("documents:document_upload", kwargs={"model_name": "person", "pk": person.pk}),
        "history": history_entries(person, user=request.user),
        "custom_values": custom_fields.display_values(person, custom_fields.definitions_for(Person)),
    }
    return render(request, "contacts/person_detail.html", context)


def person_create(request):
    access.require_permission(request.user, "contacts.add_person")
    initial = {}
    company_id = request.GET.get("company", "")
    if company_id.isdigit() and Company.objects.visible_to(request.user).filter(pk=company_id).exists():
        initial["company"] = company_id
    form = PersonForm(request.POST or None, initial=initial, user=request.user)
    return create_flow(
        request,
        form=form,
        create=lambda values: services.person_create(actor=request.user, values=values),
        find_duplicates=lambda data: matching.similar_people(
            Person.objects.visible_to(request.user),
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            company=data["company"],
        ),
        template="contacts/person_form.html",
    )


def person_update(request, pk: int):
    access.require_permission(request.user, "contacts.change_person")
    person = access.get_editable_or_404(Person, request.user, pk=pk)
    form = PersonForm(request.POST or None, instance=person, user=request.user)
    return update_flow(
        request,
        form=form,
        record=person,
        update=lambda changes, version: services.person_update(
            actor=request.user, person=person, changes=changes, expected_version=version
        ),
        template="contacts/person_form.html",
    )


def person_delete(request, pk: int):
    access.require_permission(request.user, "contacts.delete_person")
    person = access.get_editable_or_404(Person, request.user, pk=pk)
    return delete_flow(
        request,
        record=person,
        delete=lambda: services.person_delete(actor=request.user, person=person),
        redirect_to="contacts:person_list",
    )


def person_merge(request, pk: int):
    access.require_permission(request.user, "contacts.merge_person")
    person = access.get_editable_or_404(Person, request.user, pk=pk)
    return _merge(
        request,
        model=Person,
        record=person,
        merge_service=services.person_merge,
        template="contacts/merge.html",
    )
