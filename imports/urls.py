from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("new/", views.job_create, name="job_create"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/saved-mapping/", views.job_apply_mapping, name="job_apply_mapping"),
    path("<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("<int:pk>/undo/", views.job_undo, name="job_undo"),
    path("<int:pk>/rejected.xlsx", views.job_rejected_download, name="job_rejected_download"),
    path("account-export/", views.account_export, name="account_export"),
]
