"""Upload, download and delete the documents of a record; access follows the parent record."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from crm import access, documents
from crm.document_forms import DocumentUploadForm
from crm.models import Document

PARTIAL = "crm/partials/documents.html"
STORAGE_RETRY_AFTER_SECONDS = 60


def documents_panel_context(record: models.Model, *, can_edit: bool) -> dict:
    """What crm/partials/documents.html needs, for a detail view that shows `record`."""
    return {
        "record": record,
        "documents": documents.documents_panel(record),
        "can_edit": can_edit,
        "upload_url": reverse(
            "documents:document_upload", kwargs={"model_name": record._meta.model_name, "pk": record.pk}
        ),
        "accept": ",".join(f".{extension}" for extension in documents.allowed_extensions()),
        "max_megabytes": documents.megabytes(documents.max_bytes()),
    }


def _parent_model(document: Document) -> type[models.Model]:
    model = document.content_type.model_class()
    if not documents.is_parent_model(model):
        raise Http404
    return model


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_POST
def document_upload(request, model_name: str, pk: int):
    access.require_permission(request.user, "crm.add_document")
    model = documents.parent_model(model_name)
    if model is None:
        raise Http404
    record = access.get_editable_or_404(model, request.user, pk=pk)
    form = DocumentUploadForm(request.POST, request.FILES)
    error = document = None
    storage_failed = False
    if form.is_valid():
        try:
            document = documents.document_attach(
                actor=request.user, record=record, uploaded_file=form.cleaned_data["file"]
            )
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
            storage_failed = isinstance(invalid, documents.DocumentStorageError)
    else:
        error = " ".join(form.errors["file"])
    if _is_htmx(request):
        # htmx swaps only 2xx answers, so the refusal comes back as 200 with the error shown.
        context = {**documents_panel_context(record, can_edit=True), "document_error": error}
        return render(request, PARTIAL, context)
    if storage_failed:
        # Our fault, not the file's: the form again with the reason, as 503 "try again later".
        context = {**documents_panel_context(record, can_edit=True), "document_error": error}
        response = render(request, "crm/document_upload_failed.html", context, status=503)
        response["Retry-After"] = str(STORAGE_RETRY_AFTER_SECONDS)
        return response
    if error:
        messages.error(request, _("The file was not attached: %(reason)s") % {"reason": error})
    else:
        messages.success(request, _("%(name)s attached.") % {"name": document.name})
    return redirect(record)


@require_safe
def document_download(request, pk):
    access.require_permission(request.user, "crm.view_document")
    document = get_object_or_404(Document.objects.select_related("content_type"), pk=pk)
    access.get_visible_or_404(_parent_model(document), request.user, pk=document.object_id)
    if documents.is_withheld(document, request.user):
        raise Http404
    try:
        stored_file = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Always an attachment with our MIME type: an uploaded HTML or SVG must never run in our origin.
    response = FileResponse(
        stored_file, as_attachment=True, filename=document.name, content_type=document.mime_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def document_delete(request, pk):
    access.require_permission(request.user, "crm.delete_document")
    document = get_object_or_404(Document.objects.select_related("content_type"), pk=pk)
    record = access.get_editable_or_404(_parent_model(document), request.user, pk=document.object_id)
    documents.document_delete(actor=request.user, document=document)
    messages.success(request, _("%(name)s deleted.") % {"name": document.name})
    return redirect(record)
