"""Admin of the CRM's own models, and what every admin of the project builds on to stay fast on
big tables: a page of a changelist, an add or a change page runs a fixed number of queries however
many rows the table holds or the page shows (tests/test_page_growth.py, tests/crm/test_admin_speed.py).

- BigTableAdminMixin, for the admins of tables that grow with the business: a changelist page
  reads its ids first (an index scan when the ordering has an index ending in the id), then those
  rows with their joins; and the total is counted once, not twice.
- FixedQueriesInlineMixin: inline rows come with the records they show, a <select> of a lookup
  reads its options once per page rather than once per row, and an autocomplete shows its row's
  record from the row instead of asking for it again.
- ExactTextListFilter: a list filter on a free-text column that is typed in, not a list of the
  column's values (listing them reads the whole table).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Model, OuterRef, QuerySet
from django.forms.models import BaseInlineFormSet, ModelChoiceIterator, model_to_dict
from django.utils.translation import gettext_lazy as _

from crm.exceptions import StaleRecordError
from crm.models import (
    AuditEvent,
    CustomFieldDefinition,
    Document,
    OrganisationSettings,
    OutboundEmail,
    OutboundSms,
    QueuedTask,
    Role,
    SearchField,
    Team,
    User,
)


class IdFirstPaginator(Paginator):
    """Reads a page's ids first, then only those rows with their joins (as crm/pagination.py does
    for the app's lists): sorting the whole table with every column and join of the rows shown
    costs far more than sorting ids, which an index often gives in order anyway."""

    def page(self, number):
        if not isinstance(self.object_list, QuerySet):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = self.object_list
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()} if ids else {}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


class BigTableAdminMixin:
    """For the admin of a table that grows with the business (companies, people, leads, deals).

    Its changelist pages by id first, and counts the rows once: Django counts the filtered rows
    and, for "(N total)" next to a filtered count, the whole table again. A page shows 50 rows,
    as the app's lists do: rendering a row's cells is most of the page's time. Not for an admin
    with list_editable, whose formset needs the page as a queryset."""

    paginator = IdFirstPaginator
    show_full_result_count = False
    list_per_page = 50


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that shows its chosen record from `preloaded` (pk as text → record) when it
    holds it, instead of reading it again (one query per widget, so per inline row)."""

    preloaded: dict = {}

    def optgroups(self, name, value, attr=None):
        chosen = [str(item) for item in value if str(item) not in self.choices.field.empty_values]
        if not chosen or any(pk not in self.preloaded for pk in chosen):
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        if not self.is_required and not self.allow_multiple_selected:
            default[1].append(self.create_option(name, "", "", False, 0))
        label = self.choices.field.label_from_instance
        for pk in dict.fromkeys(chosen):
            record = self.preloaded[pk]
            index = len(default[1])
            default[1].append(self.create_option(name, record.pk, label(record), set(chosen), index))
            if not self.allow_multiple_selected:
                break
        return [default]


class PreloadedInlineFormSet(BaseInlineFormSet):
    """Gives each row's autocompletes the records its row was read with (see inline_select_related)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        instance = form.instance
        if instance.pk is None:
            return form
        for name, field in form.fields.items():
            widget = getattr(field.widget, "widget", field.widget)  # inside RelatedFieldWidgetWrapper
            if not isinstance(widget, PreloadedAutocompleteSelect):
                continue
            model_field = instance._meta.get_field(name)
            if model_field.is_cached(instance):
                related = getattr(instance, name)
                key = model_field.target_field.attname  # what the widget's value is
                widget.preloaded = {str(getattr(related, key)): related} if related is not None else {}
        return form


class ChoicesReadOnce(ModelChoiceIterator):
    """The options of a ModelChoiceField, read when first shown and then reused by every copy of
    the field: each row of an inline gets its own copy, which would read them again. (Never read
    for a field that is not shown, like an inline's link to its parent record.)"""

    def rows(self) -> list:
        shared = self.field.shared_choices
        if "rows" not in shared:
            shared["rows"] = list(super().__iter__())
        return shared["rows"]

    def __iter__(self):
        return iter(self.rows())

    def __len__(self):
        return len(self.rows())

    def __bool__(self):
        return bool(self.rows())


class FixedQueriesInlineMixin:
    """An inline whose page costs the same number of queries for 1 row or 50.

    - `inline_select_related`: the relations read with the rows (what the rows' text, read-only
      fields and autocompletes show);
    - a <select> of a foreign key reads its options once for all rows (each row's form copies the
      field, and with it a queryset that would be read again);
    - autocompletes show the record their row was read with."""

    formset = PreloadedInlineFormSet
    inline_select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.inline_select_related:
            queryset = queryset.select_related(*self.inline_select_related)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        autocomplete = db_field.name in self.get_autocomplete_fields(request)
        if autocomplete and "widget" not in kwargs:
            using = kwargs.get("using")
            kwargs["widget"] = PreloadedAutocompleteSelect(db_field, self.admin_site, using=using)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if isinstance(field, forms.ModelChoiceField) and not autocomplete:
            field.iterator = ChoicesReadOnce
            field.shared_choices = {}  # a row's copy of the field shares it (copy.copy)
            field.widget.choices = field.choices
        return field


class ExactTextListFilter(admin.FieldListFilter):
    """Filters a free-text column by the value typed in: listing the column's values, as Django's
    default filter for it does, reads every row of the table on every page."""

    template = "admin/crm/exact_text_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.lookup_kwarg = field_path
        super().__init__(field, request, params, model, model_admin, field_path)
        if self.used_parameters.get(self.lookup_kwarg) in ("", [""]):
            del self.used_parameters[self.lookup_kwarg]  # an empty box: every row

    def expected_parameters(self):
        return [self.lookup_kwarg]

    def has_output(self):
        return True

    def choices(self, changelist):
        value = self.used_parameters.get(self.lookup_kwarg)
        if isinstance(value, list):
            value = value[-1] if value else None
        yield {
            "selected": value is None,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "display": _("All"),
            "parameter_name": self.lookup_kwarg,
            "value": value or "",
            # The other filters, the search, the sort: kept when the box is submitted.
            "hidden": [
                (name, item)
                for name, items in changelist.filter_params.items()
                if name != self.lookup_kwarg
                for item in items
            ],
        }


class ReadOnlyAdmin(admin.ModelAdmin):
    """An administrator's window on rows that only their app's pages and services write (so no
    rule, audit row or side effect is skipped): listed and opened here, never added, changed or
    deleted."""

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # Shown as text: never a <select> of a related table.
        self.readonly_fields = [
            field.name for field in [*model._meta.fields, *model._meta.many_to_many] if field.editable
        ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LookupAdmin(admin.ModelAdmin):
    """The admin of every admin-edited list of values (crm.lookups.Lookup), in any app."""

    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(Document)
class DocumentAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ["name", "content_type", "object_id", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["content_type", "mime_type"]
    search_fields = ["name"]
    list_select_related = ["content_type", "uploaded_by"]
    readonly_fields = ["content_type", "object_id", "file", "mime_type", "size", "uploaded_by", "uploaded_at"]


@admin.register(SearchField)
class SearchFieldAdmin(admin.ModelAdmin):
    list_display = ["list_name", "field_name", "mode", "position"]
    list_editable = ["mode", "position"]
    list_filter = ["list_name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "role_name", "is_active"]
    list_filter = ["groups", "is_active", "teams"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "start_page")}),
        (_("Role"), {"fields": ("is_active", "groups", "is_superuser", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        # User.role reads the names of the user's role groups from here instead of asking per row.
        role_groups = Group.objects.filter(user=OuterRef("pk"), name__in=Role.values).values("name")
        return super().get_queryset(request).annotate(role_group_names=ArraySubquery(role_groups))

    @admin.display(description=_("role"))
    def role_name(self, user):
        return user.role.label


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members", "managers", "permission_groups"]


@admin.register(OrganisationSettings)
class OrganisationSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "reps_see_only_own_customers",
        "managers_see_only_their_teams",
        "default_currency",
    ]

    def has_add_permission(self, request):
        return not OrganisationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor", "verb", "content_type", "object_repr"]
    # Every service write adds a row: the verb is typed in, not listed from every event.
    list_filter = [("verb", ExactTextListFilter), "content_type"]
    search_fields = ["object_repr", "actor__username"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


OUTBOX_FIELDS = ["status", "attempts", "last_error", "created_at", "published_at", "attempted_at", "retry_at",
                 "requeued", "sent_at"]  # fmt: skip


class OutboxAdmin(BigTableAdminMixin, admin.ModelAdmin):
    """What went out, what may have ("sending" after a crash) and what failed: read only, since
    crm.outbox alone writes these rows."""

    list_filter = ["status"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(OutboxAdmin):
    list_display = ["created_at", "subject", "status", "attempts", "sent_at"]
    search_fields = ["subject", "message_id"]
    fields = ["recipients", "subject", "body_text", "body_html", "message_id", *OUTBOX_FIELDS]


@admin.register(OutboundSms)
class OutboundSmsAdmin(OutboxAdmin):
    list_display = ["created_at", "to", "status", "attempts", "sent_at"]
    search_fields = ["to"]
    fields = ["to", "body", "reference", *OUTBOX_FIELDS]


@admin.register(QueuedTask)
class QueuedTaskAdmin(OutboxAdmin):
    list_display = ["created_at", "function", "status", "attempts", "last_error"]
    fields = ["function", "kwargs", *OUTBOX_FIELDS]


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "target",
        "key",
        "field_type",
        "required",
        "show_in_list",
        "filterable",
        "is_active",
    ]
    list_filter = ["target", "field_type", "is_active"]
    list_editable = ["show_in_list", "filterable", "is_active"]
    search_fields = ["label", "key"]


class ServiceRefused(Exception):
    """A service refused what was saved in admin; `error` says why, for the form."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


class ServiceAdminForm(forms.ModelForm):
    """The admin form of a record its app's services write. It carries the version the page was
    loaded at, so an edit saved in the app meanwhile is refused rather than overwritten, and it
    shows what a service refused on the form, like any other error."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    refusal: ValidationError | None = None  # set by ServiceAdminMixin when the service said no

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("loaded_version", self.instance.version)

    def expected_version(self) -> int:
        loaded = self.cleaned_data.get("loaded_version")
        return self.instance.version if loaded is None else loaded

    def clean(self):
        cleaned = super().clean()
        if self.refusal is not None:
            if hasattr(self.refusal, "error_dict"):
                for name, errors in self.refusal.error_dict.items():
                    self.add_error(name if name in self.fields else None, errors)
            else:
                self.add_error(None, self.refusal)
        return cleaned


def _comparable(value):
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, (list, tuple, set, QuerySet)):
        return sorted(_comparable(item) for item in value)
    return value


class ServiceAdminMixin:
    """For the admin of a model that has services: saving and deleting in admin call them, so
    admin gets every rule the app applies (gates, required fields, fixed labels, versions, audit
    rows, what happens when a deal is won) and is no way round them.

    A subclass names the fields its services write (the others are read-only here) and
    implements create_record / update_record / delete_record. When a service refuses, the
    attempt is rolled back with admin's transaction and the form comes back with the user's
    input and the service's message: never a 500, never half a save."""

    form = ServiceAdminForm
    service_fields: frozenset[str] = frozenset()

    def create_record(self, request, form) -> Model:
        raise NotImplementedError

    def update_record(self, request, record: Model, form, changes: dict, expected_version: int) -> Model:
        raise NotImplementedError

    def delete_record(self, request, record: Model) -> None:
        raise NotImplementedError

    def service_values(self, form) -> dict:
        return {name: form.cleaned_data[name] for name in self.service_fields if name in form.cleaned_data}

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        opts = self.model._meta
        for field in [*opts.concrete_fields, *opts.many_to_many]:
            through = getattr(field.remote_field, "through", None)
            if through is not None and not through._meta.auto_created:
                continue  # written by its own service (a deal's contacts), never a form field
            writable = field.name in self.service_fields or not field.editable or field.primary_key
            if not writable and field.name not in readonly:
                readonly.append(field.name)
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "service_refusal", None)
        if refusal is None:
            return form
        return type(form.__name__, (form,), {"refusal": refusal})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # changeform_view's transaction rolled back everything the attempt wrote (inlines,
            # the log entry); the same POST is shown again with the service's message on its form.
            request.service_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        try:
            if change:
                stored = type(obj)._default_manager.get(pk=obj.pk)  # `obj` already holds the form's values
                before = model_to_dict(stored, fields=[name for name in form.changed_data])
                # A form can see a change where there is none (a JSON field's text): the service
                # gets only real changes, so a save that changes nothing writes no new version.
                changes = {
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in self.service_fields
                    and _comparable(before.get(name)) != _comparable(form.cleaned_data[name])
                }
                saved = (
                    self.update_record(request, stored, form, changes, form.expected_version())
                    if changes
                    else stored
                )
            else:
                saved = self.create_record(request, form)
        except StaleRecordError as stale:
            raise ServiceRefused(
                ValidationError(
                    _(
                        "Someone else saved this record while you were editing it (version %(version)s "
                        "now). Reload the page; your changes were not saved."
                    )
                    % {"version": stale.current.version}
                )
            ) from stale
        except ValidationError as error:
            raise ServiceRefused(error) from error
        # Admin goes on with `obj` (inlines, its log entry, the redirect): make it the saved record.
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding, obj._state.db = False, saved._state.db

    def save_related(self, request, form, formsets, change):
        # Many-to-many values went to the service with the other fields (form.save_m2m would write
        # them again, behind its back); inline rows go through save_formset.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        self.delete_record(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        # The "delete selected" action: each record through its service (audit row, documents).
        for record in queryset:
            self.delete_record(request, record)
