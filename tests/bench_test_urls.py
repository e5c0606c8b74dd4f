"""The project's URLs and two routes the access matrix does not know yet, to prove that the
benchmark walk (bench_routes) measures a new route without anyone adding it to the bench."""

from django.http import HttpResponse
from django.urls import path

from crm.urls import urlpatterns as crm_urlpatterns


def bench_new_page(request):
    return HttpResponse("A page nobody classified yet.")


def bench_new_record(request, pk):
    return HttpResponse(f"Record {pk}")


urlpatterns = [
    *crm_urlpatterns,
    path("bench-new/", bench_new_page, name="bench_new_page"),
    path("bench-new/<int:pk>/", bench_new_record, name="bench_new_record"),
]
