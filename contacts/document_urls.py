"""Document routes, included inside the "contacts" namespace: path("", include("contacts.document_urls"))."""

from django.urls import path

from contacts import document_views

urlpatterns = [
    path(
        "<slug:model_name>/<int:pk>/documents/upload/",
        document_views.document_upload,
        name="document_upload",
    ),
    path("documents/<uuid:pk>/", document_views.document_download, name="document_download"),
    path("documents/<uuid:pk>/delete/", document_views.document_delete, name="document_delete"),
]
