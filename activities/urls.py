from django.urls import path  # noqa: F401

app_name = "activities"

# Each part of the app adds its routes under its own heading.
urlpatterns: list = [
    # the timeline and the activity forms
    # my work and the calendar view
    # calendar feeds and invites
    # reminders and automation rules
    # e-mail templates and the profile
]
