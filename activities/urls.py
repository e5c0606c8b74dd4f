from django.urls import path

from activities import calendar_views, mail_views, my_work, views

app_name = "activities"

# Each part of the app adds its routes under its own heading.
urlpatterns: list = [
    # the timeline and the activity forms
    path("new/", views.activity_create, name="activity_create"),
    path("<int:pk>/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/complete/", views.activity_complete, name="activity_complete"),
    path("<int:pk>/cancel/", views.activity_cancel, name="activity_cancel"),
    path("<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("timeline/<str:model_name>/<int:pk>/", views.timeline_panel, name="timeline_panel"),
    path("deals/autocomplete/", views.activity_deal_autocomplete, name="activity_deal_autocomplete"),
    path("leads/autocomplete/", views.activity_lead_autocomplete, name="activity_lead_autocomplete"),
    # my work and the calendar view
    path("my-work/", my_work.my_work, name="my_work"),
    path("calendar/", my_work.calendar_view, name="calendar_view"),
    # calendar feeds and invites
    path("calendar/<str:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
    path("<int:pk>/ics", calendar_views.activity_ics_download, name="activity_ics_download"),
    # reminders and automation rules
    # e-mail templates and the profile
    path("mail/person/<int:pk>/", mail_views.mail_person, name="mail_person"),
    path("mail/deal/<int:pk>/", mail_views.mail_deal, name="mail_deal"),
]
