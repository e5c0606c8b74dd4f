from django.urls import path

from marketing.webforms import views

app_name = "webforms"

urlpatterns = [
    path("", views.form_list, name="form_list"),
    path("new/", views.form_create, name="form_create"),
    path("<int:pk>/", views.form_detail, name="form_detail"),
    path("<int:pk>/edit/", views.form_update, name="form_update"),
    path("tracking/", views.tracking, name="tracking"),
]
