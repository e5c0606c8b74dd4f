"""Imports of companies, people, leads, deals and activities from a spreadsheet (issue 12).

An ImportJob records who imported what, from which file, with which mapping, and the counts.
The file is parsed once into ImportRow rows (the staging area): each batch of the run reads its
rows from there, writes the records, and notes each row's outcome on its ImportRow, in one
transaction — so a batch happens once, whatever the worker does, and the rejected rows and the
undo read their rows from the same place.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import access
from crm.models import Team


class Kind(models.TextChoices):
    COMPANIES = "companies", _("Companies")
    PEOPLE = "people", _("People")
    LEADS = "leads", _("Leads")
    DEALS = "deals", _("Deals")
    ACTIVITIES = "activities", _("Activities")


class Mode(models.TextChoices):
    CREATE = "create", _("Create new records only")
    UPDATE = "update", _("Update existing records only")
    CREATE_OR_UPDATE = "create_or_update", _("Create or update")


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> ImportJobQuerySet:
        """The imports `user` may open: none without the permission to import; otherwise those
        the visibility policy shows them, the importer being the owner (crm.access)."""
        if not user.is_authenticated or not user.has_perm("imports.run_import"):
            return self.none()
        return access.visible_to(self, user)


class ImportJob(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Mapping")
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")
        UNDONE = "undone", _("Undone")
        FAILED = "failed", _("Failed")

    FINISHED = (Status.DONE, Status.CANCELLED, Status.UNDONE, Status.FAILED)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The importer's team: an import is seen as the records of that team are (crm.access).
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    headers = models.JSONField(_("column headings"), default=list, blank=True)
    # Column index (as a string) → field name ("" or absent: the column is not imported).
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.CREATE)
    match_key = models.CharField(_("match on"), max_length=60, blank=True)
    create_related = models.BooleanField(
        _("create missing companies"),
        default=False,
        help_text=_("A company named in a row that does not exist yet is created."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    # Why a failed import stopped (the error the background work gave up on).
    message = models.TextField(_("message"), blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        permissions = [("run_import", _("Can import"))]
        indexes = [models.Index(fields=["owner", "-created_at"], name="import_job_by_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name or _('pasted cells')}"

    def get_absolute_url(self) -> str:
        return reverse("imports:job_detail", kwargs={"pk": self.pk})

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class ImportRow(models.Model):
    """One data row of the file (its cells as text) and, once its batch ran, what became of it."""

    class Outcome(models.TextChoices):
        PENDING = "", _("Waiting")
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SKIPPED = "skipped", _("Skipped")
        REJECTED = "rejected", _("Rejected")

    # Found by (job, number): the unique constraint's index serves it, a second one on job alone
    # would only slow the staging COPY down.
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows", db_index=False)
    number = models.PositiveIntegerField(_("row"))  # the row's line in the file (headings are 1)
    cells = models.JSONField(_("cells"), default=list)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True, default="")
    message = models.TextField(_("reason"), blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="import_row_once_per_job")]
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")

    def __str__(self) -> str:
        return f"{self.job_id}:{self.number}"


class ImportRelated(models.Model):
    """A record an import created besides its rows' own: the company a person row named when the
    job may create missing companies. Undo deletes it with the rows' records."""

    job = models.ForeignKey(  # found by job: the unique constraint's index serves it
        ImportJob, on_delete=models.CASCADE, related_name="related_records", db_index=False
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    record_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "content_type", "record_id"], name="import_related_once_per_job"
            )
        ]
        verbose_name = _("record created by an import")
        verbose_name_plural = _("records created by imports")

    def __str__(self) -> str:
        return f"{self.job_id}:{self.content_type_id}:{self.record_id}"


class SavedMapping(models.Model):
    """A mapping kept for the next import of the same kind: column heading → field name."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    columns = models.JSONField(_("columns"), default=dict)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "kind", "name"], name="saved_mapping_name_once")
        ]
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")

    def __str__(self) -> str:
        return self.name


EXPORT_ACCOUNT = "imports.export_account"  # held by Administrators alone


class AccountExportQuerySet(models.QuerySet):
    def visible_to(self, user) -> AccountExportQuerySet:
        """Who may export the whole account (Administrators) sees every such export; nobody else
        sees any."""
        if not user.is_authenticated or not user.is_active or not user.has_perm(EXPORT_ACCOUNT):
            return self.none()
        return self


class AccountExport(models.Model):
    """A workbook of the whole account (one sheet per kind of record), written by a queued task
    (imports.exports) and downloaded from its page when ready."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    # Rows written per sheet ({"companies": 1200, …}), and the sheets cut at the row cap.
    counts = models.JSONField(_("rows"), default=dict, blank=True)
    truncated = models.JSONField(_("sheets cut at the row cap"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)

    objects = AccountExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("full-account export")
        verbose_name_plural = _("full-account exports")
        permissions = [("export_account", _("Can export the whole account"))]

    def __str__(self) -> str:
        return _("Full-account export of %(date)s") % {
            "date": timezone.localtime(self.created_at).strftime("%Y-%m-%d")
        }
