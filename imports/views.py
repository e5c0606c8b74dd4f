"""The import wizard: upload → mapping and preview → progress → result (seed 003, issue 12)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm import access
from imports import exports as account_exports
from imports import readers, services
from imports.forms import MappingForm, SavedMappingForm, UploadForm
from imports.models import AccountExport, ImportJob

PERMISSION = services.PERMISSION


def _job_or_404(request, pk: int) -> ImportJob:
    access.require_permission(request.user, PERMISSION)
    return get_object_or_404(services.jobs_visible_to(request.user), pk=pk)


@require_GET
def job_list(request):
    access.require_permission(request.user, PERMISSION)
    jobs = services.jobs_visible_to(request.user).order_by("-created_at")[:50]
    return render(request, "imports/job_list.html", {"jobs": jobs})


def job_create(request):
    access.require_permission(request.user, PERMISSION)
    form = UploadForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.job_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                data=upload.read() if upload else None,
                file_name=upload.name if upload else "",
                pasted=form.cleaned_data["pasted"],
            )
            return redirect(job)
        except (readers.ImportFileError, services.ImportError_) as error:
            form.add_error("file" if upload else "pasted", str(error))
    return render(request, "imports/job_create.html", {"form": form})


def job_detail(request, pk: int):
    """A job not yet started shows its mapping and the preview; a started one its progress."""
    job = _job_or_404(request, pk)
    if job.status != ImportJob.Status.DRAFT:
        return render(request, "imports/job_detail.html", _progress_context(job))
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.job_configure(
                actor=request.user,
                job=job,
                mapping=form.mapping(),
                mode=form.cleaned_data["mode"],
                match_key=form.cleaned_data["match_key"],
                create_related=form.cleaned_data.get("create_related", False),
                save_as=form.cleaned_data["save_as"],
            )
            if "start" in request.POST:
                services.job_start(actor=request.user, job=job)
                return redirect(job)
            form = MappingForm(job=job)
        except ValidationError as error:
            form.add_error(None, error)
        except services.ImportError_ as error:
            form.add_error(None, str(error))
    context = {
        "job": job,
        "form": form,
        "saved_form": SavedMappingForm(user=request.user, kind=job.kind),
        "preview": services.job_preview(actor=request.user, job=job),
    }
    return render(request, "imports/job_mapping.html", context)


@require_POST
def job_apply_mapping(request, pk: int):
    job = _job_or_404(request, pk)
    form = SavedMappingForm(request.POST, user=request.user, kind=job.kind)
    if form.is_valid() and job.status == ImportJob.Status.DRAFT:
        services.saved_mapping_apply(actor=request.user, job=job, saved=form.cleaned_data["saved"])
    return redirect(job)


def _progress_context(job: ImportJob) -> dict:
    percent = int(job.rows_done * 100 / job.rows_total) if job.rows_total else 100
    return {
        "job": job,
        "percent": percent,
        "seconds_left": services.seconds_left(job),
        "undo_blockers": services.undo_blockers(job) if job.is_finished else [],
    }


@require_GET
def job_progress(request, pk: int):
    job = _job_or_404(request, pk)
    return render(request, "imports/job_detail.html#progress", _progress_context(job))


@require_POST
def job_cancel(request, pk: int):
    job = _job_or_404(request, pk)
    services.job_cancel(actor=request.user, job=job)
    messages.info(request, _("The import stops after the batch it is writing."))
    return redirect(job)


@require_POST
def job_undo(request, pk: int):
    job = _job_or_404(request, pk)
    try:
        result = services.job_undo(actor=request.user, job=job)
        messages.success(
            request,
            _("Import undone: %(deleted)s records deleted, %(restored)s restored.") % result,
        )
    except services.ImportError_ as error:
        messages.error(request, str(error))
    return redirect(job)


@require_GET
def job_rejected_download(request, pk: int):
    job = _job_or_404(request, pk)
    response = HttpResponse(
        services.rejected_rows_xlsx(job),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{job.pk}.xlsx"'
    return response


# The full-account export (Administrators)


def _require_administrator(request) -> None:
    if not account_exports.is_administrator(request.user):
        raise PermissionDenied


def account_export(request):
    """The full-account exports: request one (POST), watch them get ready, download one
    (?download=<id>). One route: every export is every Administrator's, so the permission is the
    whole of the access rule (tests/access_matrix.py)."""
    _require_administrator(request)
    if request.method == "POST":
        account_exports.account_export_request(actor=request.user)
        messages.info(request, _("The export is being written; its download appears here when it is ready."))
        return redirect("imports:account_export")
    if "download" in request.GET:
        return _download(request, request.GET["download"])
    recent = list(account_exports.exports_visible_to(request.user)[:20])
    context = {
        "exports": recent,
        "waiting": any(export.status == AccountExport.Status.QUEUED for export in recent),
        "row_cap": account_exports.ROW_CAP,
    }
    if request.headers.get("HX-Request"):
        return render(request, "imports/account_export.html#export-table", context)
    return render(request, "imports/account_export.html", context)


def _download(request, pk: str):
    if not pk.isdigit():
        raise Http404
    export = get_object_or_404(
        account_exports.exports_visible_to(request.user), pk=int(pk), status=AccountExport.Status.DONE
    )
    name = export.file.name.rsplit("/", 1)[-1]
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=name)
