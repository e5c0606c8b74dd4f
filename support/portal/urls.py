from django.urls import path

from support.portal import inbound_views, views

app_name = "portal"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/<str:token>/", views.link, name="link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("answers/", views.article_list, name="article_list"),
    path("answers/<int:pk>/", views.article_detail, name="article_detail"),
    # For the mail gateway (support.inbound), behind CRM_INBOUND_MAIL_SECRET; 404 without one.
    path("mail/in", inbound_views.mail_in, name="mail_in"),
]
