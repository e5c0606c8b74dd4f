"""The administrator's GDPR settings and the GDPR log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gdpr import registry


class GdprSettings(models.Model):
    """One row: which personal fields anonymisation overwrites beyond the name, and how long an
    untouched person is kept before the retention job anonymises them."""

    anonymised_fields = models.JSONField(
        _("fields anonymised besides the name"),
        default=list,
        blank=True,
        help_text=_('Entries such as "person.email"; the name is always anonymised.'),
    )
    retention_months = models.PositiveSmallIntegerField(
        _("retention period (months)"),
        default=0,
        help_text=_("People untouched for longer are anonymised every night. 0 turns the job off."),
    )
    heads_up_days = models.PositiveSmallIntegerField(
        _("heads-up (days before)"),
        default=7,
        help_text=_(
            "Owners get a list of their people this many days before the retention job "
            "anonymises them. 0: no heads-up."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("GDPR settings")
        verbose_name_plural = _("GDPR settings")

    def __str__(self) -> str:
        return str(_("GDPR settings"))

    def save(self, *args, **kwargs):
        self.pk = 1  # a singleton
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> GdprSettings:
        instance, _created = cls.objects.get_or_create(pk=1)
        return instance

    def clean(self):
        offered = {value for value, _label in registry.field_choices()}
        if not isinstance(self.anonymised_fields, list) or not all(
            isinstance(item, str) for item in self.anonymised_fields
        ):
            raise ValidationError({"anonymised_fields": _("Give a list of field names.")})
        unknown = sorted(set(self.anonymised_fields) - offered)
        if unknown:
            raise ValidationError(
                {"anonymised_fields": _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}}
            )
        if self.retention_months > 1200:
            raise ValidationError({"retention_months": _("At most 1200 months.")})
        if self.heads_up_days > 365:
            raise ValidationError({"heads_up_days": _("At most 365 days.")})

    def covered_fields(self, subject: registry.Subject) -> list[str]:
        """The subject's fields anonymisation overwrites: the name, and those chosen."""
        chosen = {
            item.partition(".")[2] for item in self.anonymised_fields if item.startswith(f"{subject.key}.")
        }
        return [item.name for item in subject.fields if item.always or item.name in chosen]


class GdprEvent(models.Model):
    """The GDPR log: who anonymised, touched or exported which record, and when — which fields,
    never their old values. An "anonymise" row exists once per record: it also marks the record
    as anonymised (the unique constraint makes a second anonymisation a no-op)."""

    class Action(models.TextChoices):
        ANONYMISE = "anonymise", _("anonymised")
        TOUCH = "touch", _("touched")
        EXPORT = "export", _("exported")
        RETENTION_RUN = "retention", _("retention run")
        REQUEST = "request", _("erasure request recorded")
        REFUSAL = "refusal", _("erasure request refused")
        BULK = "bulk", _("bulk anonymisation queued")

    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("GDPR log entry")
        verbose_name_plural = _("GDPR log")
        indexes = [models.Index(fields=["content_type", "object_id", "action"])]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(action="anonymise"),
                name="gdpr_anonymise_once_per_record",
            )
        ]
        permissions = [
            ("manage_personal_data", _("Can see contacts by age, anonymise and touch people")),
            ("export_personal_data", _("Can export everything held on a person")),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_id or ''}".strip()


def export_path(export: SubjectAccessExport, filename: str) -> str:
    # Our own name, under a folder no URL serves: the files go out through the download view only.
    return f"gdpr-exports/{timezone.now():%Y/%m}/{export.pk}{filename[filename.rfind('.') :]}"


class SubjectAccessExport(models.Model):
    """A subject-access export produced in the background (gdpr.exports.subject_access_build):
    everything held on one person as `requested_by` may see it, as JSON and XLSX files. Only its
    requester downloads it (another user may see less, or more), while they still may."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    json_file = models.FileField(upload_to=export_path, max_length=255, blank=True)
    xlsx_file = models.FileField(upload_to=export_path, max_length=255, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subject-access export")
        verbose_name_plural = _("subject-access exports")
        indexes = [models.Index(fields=["content_type", "object_id", "requested_by", "created_at"])]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class RetentionOverride(models.Model):
    """A business unit's own retention period, overriding GdprSettings.retention_months for the
    records filed under that unit (a subject's `unit_field`). The unit is named by content type and
    id, as gdpr knows no domain app (the unit model is the one the subjects register)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    months = models.PositiveSmallIntegerField(
        _("retention period (months)"),
        help_text=_("0: the retention job leaves this unit's records alone."),
    )

    class Meta:
        verbose_name = _("retention period of a business unit")
        verbose_name_plural = _("retention periods of business units")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="gdpr_one_period_per_unit")
        ]

    def __str__(self) -> str:
        unit = self.unit
        return f"{unit if unit is not None else self.object_id}: {self.months}"

    @property
    def unit(self) -> models.Model | None:
        model = self.content_type.model_class()
        return model._base_manager.filter(pk=self.object_id).first() if model is not None else None

    def clean(self):
        if self.months > 1200:
            raise ValidationError({"months": _("At most 1200 months.")})


ERASURE_DAYS = 30  # GDPR art. 12(3): an answer within one month of receipt


class ErasureRequest(models.Model):
    """A data subject's request to be forgotten (GDPR art. 17): who asked, when and how, by when it
    is due, and how it ended — the person anonymised (gdpr.services.erasure_request_complete) or
    the request refused with the reason (a legal hold). Kept as the proof of the answer; its free
    text is scrubbed of the person's old values when they are anonymised."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        COMPLETED = "completed", _("completed: anonymised")
        REFUSED = "refused", _("refused")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        LETTER = "letter", _("Letter")
        WEB_FORM = "web_form", _("Web form or portal")
        IN_PERSON = "in_person", _("In person")
        OTHER = "other", _("Other")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    requester = models.CharField(
        _("asked by"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty when the person asked themself; else who asked on their behalf."),
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    received_on = models.DateField(_("received"), default=timezone.localdate)
    due_on = models.DateField(_("due"))
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusing"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["content_type", "object_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status="open"),
                name="gdpr_one_open_erasure_request_per_record",
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_on < timezone.localdate()


class BulkAnonymisation(models.Model):
    """A manual bulk anonymisation too large for one request: run by a worker a batch at a time
    (gdpr.services.bulk_anonymisation_run), its progress polled by the requester's page."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subject_key = models.CharField(max_length=40)
    pks = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    anonymised = models.PositiveIntegerField(_("anonymised"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bulk anonymisation")
        verbose_name_plural = _("bulk anonymisations")
        indexes = [models.Index(fields=["actor", "-created_at"])]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 100
