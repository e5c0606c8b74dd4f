from django.urls import path  # noqa: F401

app_name = "activities"

# Each part of the app adds its routes here (timeline, my work, calendar feed, templates).
urlpatterns: list = []
