from django.urls import path

from marketing.webforms import public_views

app_name = "webforms_public"

urlpatterns = [
    path("f/<uuid:key>/", public_views.form_page, name="form_page"),
    path("t/visit", public_views.visit, name="visit"),
]
