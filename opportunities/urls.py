from django.urls import include, path

from opportunities import views

app_name = "opportunities"

urlpatterns = [
    path("", views.deal_list, name="deal_list"),
    path("new/", views.deal_create, name="deal_create"),
    path("export.<str:file_format>", views.deal_export, name="deal_export"),
    path("<int:pk>/", views.deal_detail, name="deal_detail"),
    path("<int:pk>/edit/", views.deal_update, name="deal_update"),
    path("<int:pk>/stage/", views.deal_move_stage, name="deal_move_stage"),
    path("<int:pk>/pipeline/", views.deal_change_pipeline, name="deal_change_pipeline"),
    path("<int:pk>/delete/", views.deal_delete, name="deal_delete"),
    path("<int:pk>/contacts/add/", views.deal_contact_add, name="deal_contact_add"),
    path("<int:pk>/contacts/<int:contact_pk>/remove/", views.deal_contact_remove, name="deal_contact_remove"),
    path("", include("opportunities.board.urls")),
    path("", include("opportunities.sales.urls")),
]
