"""A URLconf with a deliberately broken view, to prove the access matrix catches it."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from contacts.models import Company
from crm.urls import urlpatterns as crm_urlpatterns


def company_print_without_access_check(request, pk):
    company = get_object_or_404(Company, pk=pk)  # forgets crm.access on purpose
    return HttpResponse(company.name)


urlpatterns = [
    *crm_urlpatterns,
    path("leaky/<int:pk>/", company_print_without_access_check, name="leaky_print"),
]
