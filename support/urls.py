"""The agents' ticket pages, namespace "support", mounted at support/ by crm/urls.py."""

from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/edit/", views.ticket_update, name="ticket_update"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/note/", views.ticket_note, name="ticket_note"),
    path("tickets/<int:pk>/status/", views.ticket_set_status, name="ticket_set_status"),
    path("tickets/<int:pk>/assign/", views.ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/watch/", views.ticket_watch, name="ticket_watch"),
    path("tickets/<int:pk>/unwatch/", views.ticket_unwatch, name="ticket_unwatch"),
    path("tickets/<int:pk>/merge/", views.ticket_merge, name="ticket_merge"),
    path("tickets/<int:pk>/call/", views.ticket_call, name="ticket_call"),
    path("callbacks/", views.callbacks, name="callbacks"),
]
