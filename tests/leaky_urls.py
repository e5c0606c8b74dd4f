"""A URLconf with deliberately broken views, to prove that the access matrix catches each kind of
leak (tests/test_access_matrix.py and tests/test_access_matrix_meta.py)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.html import escape

from contacts.filters import CompanyFilter
from contacts.models import Company, Person
from crm import access
from crm.exports import export_response
from crm.pagination import paginate
from crm.urls import urlpatterns as crm_urlpatterns
from leads.exports import lead_columns
from leads.models import Lead
from opportunities.models import Deal
from opportunities.sales import services as sales


def company_print_without_access_check(request, pk):
    company = get_object_or_404(Company, pk=pk)  # forgets crm.access on purpose
    return HttpResponse(company.name)


def company_list_without_visible_to(request):
    """contacts.views.company_list with every company instead of the visible ones."""
    company_filter = CompanyFilter(request.GET, queryset=Company.objects.all(), user=request.user)
    page = paginate(company_filter.qs, request.GET.get("page"), per_page=50)
    return render(
        request, "contacts/company_list.html", {"filter": company_filter, "page": page, "custom_columns": []}
    )


def person_autocomplete_without_visible_to(request):
    people = Person.objects.select_related("company")[:20]
    return render(request, "contacts/partials/person_options.html", {"people": people, "term": ""})


def deal_company_without_visibility_check(request, pk):
    """The deal is checked; its company, printed by name, is not."""
    deal = access.get_visible_or_404(Deal, request.user, pk=pk)
    return HttpResponse(escape(deal.company.name if deal.company else ""))


def lead_export_without_visible_to(request):
    return export_response(Lead.objects.all(), lead_columns(), file_format="csv", name="leads")


def deal_line_delete_without_access_check(request, pk, line_pk):
    """Checks the permission, then deletes a line of any deal."""
    access.require_permission(request.user, "opportunities.delete_dealline")
    deal = get_object_or_404(Deal, pk=pk)
    sales.deal_line_delete(actor=request.user, line=get_object_or_404(deal.lines, pk=line_pk))
    return HttpResponse("deleted")


urlpatterns = [
    *crm_urlpatterns,
    path("leaky/<int:pk>/", company_print_without_access_check, name="leaky_print"),
    path("leaky/companies/", company_list_without_visible_to, name="leaky_company_list"),
    path(
        "leaky/people/autocomplete/", person_autocomplete_without_visible_to, name="leaky_person_autocomplete"
    ),
    path("leaky/deals/<int:pk>/company/", deal_company_without_visibility_check, name="leaky_deal_company"),
    path("leaky/leads/export.csv", lead_export_without_visible_to, name="leaky_lead_export"),
    path(
        "leaky/deals/<int:pk>/lines/<int:line_pk>/delete/",
        deal_line_delete_without_access_check,
        name="leaky_deal_line_delete",
    ),
]
