"""The shared kernel: users, roles, teams, organisation settings, owned records, audit."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from crm.search import search_list, search_list_choices


class Role(models.TextChoices):
    """The four permission levels of the MiniCRM seed (003), most privileged first.

    Each is a Django group of the same name; its permissions are edited in admin. The seed's
    "Normal user" keeps the group name and label "Sales rep" that the app has always shown.
    What each role sees is crm.access; what it may do beyond that, its group's permissions
    (plus those of its teams' permission groups, crm.auth_backends).
    """

    ADMINISTRATOR = "Administrator", _("Administrator")
    MANAGER = "Manager", _("Manager")
    NORMAL_USER = "Sales rep", _("Sales rep")
    RESTRICTED = "Restricted", _("Restricted")


ROLES_BY_PRIVILEGE = [Role.ADMINISTRATOR, Role.MANAGER, Role.NORMAL_USER, Role.RESTRICTED]


class StartPage(models.TextChoices):
    """The page a user lands on at "/" and after signing in (seed 001: CRM users start on the
    sales board). Each value names the URL it opens."""

    DASHBOARD = "dashboard", _("Dashboard")
    SALES_BOARD = "opportunities:board", _("Sales board")


def avatar_path(user: User, filename: str) -> str:
    # The stored name is ours, never the uploader's.
    return f"avatars/{user.pk}-{uuid.uuid4().hex[:12]}"


class User(AbstractUser):
    email = models.EmailField(_("email address"), blank=True)
    start_page = models.CharField(
        _("start page"),
        max_length=40,
        choices=StartPage.choices,
        default=StartPage.DASHBOARD,
        help_text=_("The page opened at sign-in and by the CRM logo."),
    )
    # The profile (seed 003): a picture beside their to-dos and history, a signature for mails.
    avatar = models.ImageField(_("profile picture"), upload_to=avatar_path, blank=True)
    email_signature = models.TextField(_("e-mail signature"), blank=True)
    # The private calendar feed: whoever holds the token reads the feed, so it is long, random,
    # and can be revoked (empty) or made anew from the profile.
    calendar_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    reminders_enabled = models.BooleanField(_("e-mail me my to-dos each day"), default=True)
    reminder_time = models.TimeField(_("at"), default=datetime.time(7, 30))

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def role(self) -> Role:
        """The most privileged role group the user is in; no role group means Restricted."""
        if self.is_superuser:
            return Role.ADMINISTRATOR
        # Users loaded for a request (crm.auth_backends.RoleBackend.get_user) bring their role
        # groups' names along; others ask.
        names = getattr(self, "role_group_names", None)
        if names is None:
            names = self.groups.filter(name__in=Role.values).values_list("name", flat=True)
        names = set(names)
        for role in ROLES_BY_PRIVILEGE:
            if role.value in names:
                return role
        return Role.RESTRICTED

    @property
    def is_administrator(self) -> bool:
        return self.is_active and self.role == Role.ADMINISTRATOR

    @property
    def is_manager(self) -> bool:
        return self.is_active and self.role == Role.MANAGER


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="managed_teams",
        blank=True,
        verbose_name=_("managers"),
        help_text=_(
            'With the organisation setting "managers see only their teams", a manager sees and '
            "edits the records of the teams they manage or belong to; otherwise every record."
        ),
    )
    # Seed 002: teams may have different permissions. A role is the user's own group; a team
    # adds permissions, never a role, so the role groups are not offered here.
    permission_groups = models.ManyToManyField(
        Group,
        related_name="teams",
        blank=True,
        limit_choices_to=~models.Q(name__in=Role.values),
        verbose_name=_("permission groups"),
        help_text=_(
            "Extra permissions for the team's members and managers, e.g. a marketing team that may "
            "export people or open reports. Their role still decides which records they see."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class OrganisationSettings(models.Model):
    """Org-wide settings: one row, edited by administrators in admin."""

    name = models.CharField(_("organisation name"), max_length=200, default="Our company")
    reps_see_only_own_customers = models.BooleanField(
        _("sales reps see only their own customers"),
        default=False,
        help_text=_(
            "Sales-intelligence mode: a sales rep sees only records they own or that nobody owns, "
            "instead of every customer card."
        ),
    )
    managers_see_only_their_teams = models.BooleanField(
        _("managers see only their teams"),
        default=False,
        help_text=_(
            "A manager sees every record unless this is on; then only their own, unassigned ones, "
            "those of the members of the teams they manage or belong to, and those filed under "
            "these teams."
        ),
    )
    default_currency = models.CharField(_("default currency"), max_length=3, default="EUR")

    class Meta:
        verbose_name = _("organisation settings")
        verbose_name_plural = _("organisation settings")

    def __str__(self) -> str:
        return str(_("Organisation settings"))

    def save(self, *args, **kwargs):
        self.pk = 1  # a singleton
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> OrganisationSettings:
        """The settings, as a fresh instance (callers may change and save it); the row is read
        once per process until it changes (crm.lookup_cache)."""
        from crm import lookup_cache

        def read_row() -> tuple:
            instance, _created = cls.objects.get_or_create(pk=1)
            return tuple(getattr(instance, field.attname) for field in cls._meta.concrete_fields)

        row = lookup_cache.cached("organisation-settings", read_row)
        return cls.from_db("default", [field.attname for field in cls._meta.concrete_fields], row)


class Report(models.Model):
    """No table: it holds the permission to open reports (pages that add up figures across
    records and sellers, e.g. the sales targets page), since a Django permission belongs to a
    model. Managers hold it; grant it to a user or to a team's permission group in admin."""

    PERMISSION = "crm.view_reports"  # for access.require_permission and user.has_perm

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_reports", _("Can open reports"))]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return str(_("Reports"))


class OwnedQuerySet(models.QuerySet):
    """Every list, detail, board, search, export and feed scopes records through here."""

    def visible_to(self, user) -> OwnedQuerySet:
        from crm import access

        return access.visible_to(self, user)

    def editable_by(self, user) -> OwnedQuerySet:
        from crm import access

        return access.editable_by(self, user)


class OwnedModel(models.Model):
    """A record with a responsible user (the owner) and an optional team.

    ``version`` grows with every save through a service, so that a form posted
    against an older version is refused instead of overwriting a colleague's edit.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """Who did what to which record, and when. Written by services, never by views."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=60)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.verb} {self.object_repr}"


class OutboxItem(models.Model):
    """Background work that is a row first (the transactional outbox): a mail, a text message, a
    queued task. Written in the caller's transaction, so it exists exactly when the caller's data
    does; Celery carries only its id. crm.outbox delivers it — one live worker at a time, the
    attempt committed before the outside world is touched — and requeues what a fault stranded."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        # The attempt was committed before the message went out: a row left here by a worker that
        # died may or may not have reached the recipient (a repeat reuses its Message-ID).
        SENDING = "sending", _("sending (may have gone out)")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, help_text=_("last handed to the broker"))
    attempted_at = models.DateTimeField(null=True, blank=True, help_text=_("the last attempt began"))
    retry_at = models.DateTimeField(null=True, blank=True, help_text=_("not requeued before this"))
    requeued = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]


def new_message_id() -> str:
    """A Message-ID for an outbound mail, in the domain of the sender address."""
    from email.utils import make_msgid, parseaddr

    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


class OutboundEmail(OutboxItem):
    """An outbound mail. Its Message-ID is fixed when the row is written, so a mail sent again
    after a crash is the same message to the receiving servers, which drop the repeat."""

    recipients = models.JSONField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, unique=True, default=new_message_id, editable=False)
    # Files sent with the mail: [{"filename", "content" (text), "mimetype"}], e.g. a calendar invite.
    attachments = models.JSONField(default=list, blank=True)
    # One mail per occurrence (a reminder of a given day, an invite of a given version): a second
    # attempt to queue the same key finds the first (crm.email.email_queue).
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True, editable=False)

    class Meta(OutboxItem.Meta):
        indexes = [models.Index(fields=["status", "created_at"])]
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")

    def __str__(self) -> str:
        return self.subject


class OutboundSms(OutboxItem):
    """An outbound text message. Its reference goes to the gateway with every attempt, so a
    gateway that deduplicates by client reference sends a repeat after a crash once."""

    to = models.CharField(max_length=32)
    body = models.TextField()
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta(OutboxItem.Meta):
        indexes = [models.Index(fields=["status", "created_at"])]
        verbose_name = _("outbound text message")
        verbose_name_plural = _("outbound text messages")

    def __str__(self) -> str:
        return f"{self.to}: {self.body[:40]}"


class QueuedTask(OutboxItem):
    """A function to run in a worker (crm.outbox.queueable), stored until it has run. It runs in
    one transaction with the deletion of its row, so its writes happen exactly once."""

    function = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)

    class Meta(OutboxItem.Meta):
        indexes = [models.Index(fields=["status", "created_at"])]
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")

    def __str__(self) -> str:
        return self.function


def custom_field_targets() -> list[tuple[str, str]]:
    """The kinds of record that apps registered for custom fields (crm.custom_fields.register_target).

    A callable, so that migrations store its path and a new app's target needs none."""
    from crm.custom_fields import target_choices  # it reads CustomFieldDefinition

    return target_choices()


def document_path(document: Document, filename: str) -> str:
    # The stored name is ours, never the uploader's: no traversal, no collisions.
    return f"documents/{timezone.now():%Y/%m}/{document.pk}"


class Document(models.Model):
    """A file attached to a company, a person, a deal…; visible with its record (crm.documents)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to=document_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Created by contacts before documents moved to the kernel; the table kept its name.
        db_table = "contacts_document"
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.name


class SearchField(models.Model):
    """The admin's search configuration: which fields a list offers as filters, and how."""

    class Mode(models.TextChoices):
        DROPDOWN = "dropdown", _("Dropdown of existing values")
        TEXT = "text", _("Free text")

    # The lists are those registered with crm.search.register_search_list.
    list_name = models.CharField(_("list"), max_length=20, choices=search_list_choices)
    field_name = models.CharField(_("field"), max_length=60)
    mode = models.CharField(_("search by"), max_length=10, choices=Mode.choices, default=Mode.DROPDOWN)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        # Created by contacts before the search configuration moved to the kernel.
        db_table = "contacts_searchfield"
        ordering = ["list_name", "position"]
        constraints = [
            models.UniqueConstraint(fields=["list_name", "field_name"], name="search_field_once_per_list")
        ]
        verbose_name = _("search field")
        verbose_name_plural = _("search configuration")

    def __str__(self) -> str:
        return f"{self.get_list_name_display()}: {self.field_name}"

    def clean(self):
        # A field the list's filter bar cannot offer would be saved and silently ignored.
        from django.core.exceptions import ValidationError

        registered = search_list(self.list_name)
        if registered is None or registered.filterset is None:
            return
        offered = registered.filterset.configurable_fields
        if self.field_name not in offered:
            raise ValidationError(
                {
                    "field_name": _(
                        "The %(list)s list cannot be filtered by “%(field)s”. Choose one of: %(fields)s."
                    )
                    % {"list": registered.label, "field": self.field_name, "fields": ", ".join(offered)}
                }
            )


class CustomFieldDefinition(models.Model):
    """An admin-defined extra field of a kind of record that an app registered (companies,
    people, deals…); values live in the record's ``custom_fields`` JSON column under ``key``."""

    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Single choice")
        BOOLEAN = "boolean", _("Yes/no")

    target = models.CharField(_("record"), max_length=40, choices=custom_field_targets)
    key = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Stored name; letters, digits and underscores. Do not change it later."),
    )
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=10, choices=FieldType.choices, default=FieldType.TEXT)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For single choice: one value per line.")
    )
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    show_in_list = models.BooleanField(_("show as a list column"), default=False)
    filterable = models.BooleanField(_("offer as a list filter"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["target", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["target", "key"], name="custom_field_key_unique_per_target")
        ]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.label}"

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.field_type == self.FieldType.CHOICE and not self.choice_list:
            raise ValidationError({"choices": _("A single-choice field needs at least one choice.")})
