from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/export.<str:file_format>", views.company_export, name="company_export"),
    path("companies/autocomplete/", views.company_autocomplete, name="company_autocomplete"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_update, name="company_update"),
    path("companies/<int:pk>/quick-edit/", views.company_quick_update, name="company_quick_update"),
    path("companies/<int:pk>/merge/", views.company_merge, name="company_merge"),
    path("companies/<int:pk>/delete/", views.company_delete, name="company_delete"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/export.<str:file_format>", views.person_export, name="person_export"),
    path("people/autocomplete/", views.person_autocomplete, name="person_autocomplete"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_update, name="person_update"),
    path("people/<int:pk>/merge/", views.person_merge, name="person_merge"),
    path("people/<int:pk>/delete/", views.person_delete, name="person_delete"),
]
