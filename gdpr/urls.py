from django.urls import path

from gdpr import views

app_name = "gdpr"

urlpatterns = [
    path("", views.contact_age_list, name="contact_age_list"),
    path("bulk/", views.contact_bulk, name="contact_bulk"),
    path("people/<int:pk>/anonymise/", views.person_anonymise, name="person_anonymise"),
    path("people/<int:pk>/touch/", views.person_touch, name="person_touch"),
    path("people/<int:pk>/subject-access/", views.person_subject_access, name="person_subject_access"),
    path(
        "people/<int:pk>/subject-access/exports/",
        views.person_subject_access_exports,
        name="person_subject_access_exports",
    ),
]
