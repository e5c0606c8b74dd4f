from django.urls import path

from gdpr import views

app_name = "gdpr"

urlpatterns = [
    path("", views.contact_age_list, name="contact_age_list"),
    path("bulk/", views.contact_bulk, name="contact_bulk"),
    path("bulk/jobs/", views.bulk_job_progress, name="bulk_job_progress"),
    path("erasure-requests/", views.erasure_request_list, name="erasure_request_list"),
    path("people/<int:pk>/erasure-requests/", views.person_erasure_requests, name="person_erasure_requests"),
    path(
        "people/<int:pk>/erasure-requests/<int:request_pk>/decide/",
        views.person_erasure_request_decide,
        name="person_erasure_request_decide",
    ),
    path("people/<int:pk>/anonymise/", views.person_anonymise, name="person_anonymise"),
    path("people/<int:pk>/touch/", views.person_touch, name="person_touch"),
    path("people/<int:pk>/subject-access/", views.person_subject_access, name="person_subject_access"),
    path(
        "people/<int:pk>/subject-access/exports/",
        views.person_subject_access_exports,
        name="person_subject_access_exports",
    ),
]
