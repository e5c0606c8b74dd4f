from django.urls import path

from marketing.mailings import views

app_name = "mailings"

urlpatterns = [
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_create, name="segment_create"),
    path("segments/count/", views.segment_count, name="segment_count"),
    path("segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", views.segment_update, name="segment_update"),
    path("", views.mailing_list, name="mailing_list"),
    path("new/", views.mailing_create, name="mailing_create"),
    path("<int:pk>/", views.mailing_detail, name="mailing_detail"),
    path("<int:pk>/edit/", views.mailing_update, name="mailing_update"),
    path("<int:pk>/test/", views.mailing_test_send, name="mailing_test_send"),
    path("<int:pk>/send/", views.mailing_send, name="mailing_send"),
]
