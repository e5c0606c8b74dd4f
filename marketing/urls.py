from django.urls import path

from marketing import views

app_name = "marketing"

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_update, name="campaign_update"),
    path("campaigns/<int:pk>/tasks/", views.campaign_task_create, name="campaign_task_create"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_update, name="plan_update"),
    path("campaign-of/<str:model_name>/<int:pk>/", views.record_campaign_set, name="record_campaign_set"),
    path("scoring/", views.scoring_settings, name="scoring_settings"),
    path("mail-settings/", views.mail_settings, name="mail_settings"),
]
