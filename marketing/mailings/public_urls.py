from django.urls import path

from marketing.mailings import public_views

app_name = "mailings_public"

urlpatterns = [
    path("o/<str:token>.gif", public_views.open_pixel, name="open"),
    path("c/<str:token>/", public_views.click, name="click"),
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
]
