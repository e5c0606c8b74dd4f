"""Document routes, namespace "documents". Mounted under /contacts/ by crm/urls.py, where they
were when contacts owned documents, so that links already sent keep working."""

from django.urls import path

from crm import document_views

app_name = "documents"

urlpatterns = [
    path(
        "<slug:model_name>/<int:pk>/documents/upload/",
        document_views.document_upload,
        name="document_upload",
    ),
    path("documents/<uuid:pk>/", document_views.document_download, name="document_download"),
    path("documents/<uuid:pk>/delete/", document_views.document_delete, name="document_delete"),
]
