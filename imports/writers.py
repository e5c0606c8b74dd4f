"""Turning staged rows into records: validation (the same rules as the forms), matching of
existing records by the chosen key, linking of related records, and the bulk writes.

A batch costs a fixed number of queries whatever its size: one for the owners named, one for the
companies named, one for the existing records matched, then the bulk inserts and updates (with
their history rows). Companies and people are written in bulk; leads go through
leads.services one by one, because creating a lead triggers the automation rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from contacts import required_fields
from contacts.matching import usable_domain
from contacts.models import Company
from crm import access, custom_fields
from crm.search import normalise_for_search
from imports.mapping import CUSTOM_PREFIX, MODELS
from imports.models import ImportJob, ImportRow, Kind, Mode
from leads import services as lead_services
from leads.models import Lead


@dataclass
class Planned:
    """What one row will do (or did): its outcome, the record, the errors per field."""

    number: int
    outcome: str = ImportRow.Outcome.PENDING
    record: models.Model | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field name ("" for the row) → message
    message: str = ""
    company_name: str = ""  # a company to create for this person, when the job allows it

    @property
    def label(self) -> str:
        return str(ImportRow.Outcome(self.outcome).label)

    def reject(self, errors: dict[str, str]) -> None:
        self.outcome = ImportRow.Outcome.REJECTED
        self.errors.update(errors)
        self.message = "; ".join(str(message) for message in self.errors.values())

    def skip(self, message: str) -> None:
        self.outcome = ImportRow.Outcome.SKIPPED
        self.message = message


def _errors_of(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {name: " ".join(str(m) for m in messages) for name, messages in error.message_dict.items()}
    return {"": " ".join(error.messages)}


def _is_empty(record: models.Model, name: str) -> bool:
    value = getattr(record, record._meta.get_field(name).attname)
    return not value.strip() if isinstance(value, str) else value in (None, "", [], {})


def _split_name(full: str) -> tuple[str, str]:
    first, _space, last = full.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def _key_value(key: str, value: str) -> str:
    value = (value or "").strip()
    if key in ("email", "email_domain"):
        return value.lower().removeprefix("@")
    if key == "website":
        return value.lower().removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")
    return value


class Writer:
    """The rows of one job of one kind: `plan` validates, `write` stores what `plan` accepted."""

    model: type[models.Model]
    text_fields: tuple[str, ...] = ()

    def __init__(self, job: ImportJob, actor):
        self.job = job
        self.actor = actor
        self.model = MODELS[job.kind]
        self.mapping = {int(index): name for index, name in job.mapping.items() if name}
        self.definitions = {d.key: d for d in custom_fields.definitions_for(self.model)}
        self.required = set(required_fields.required_fields_for(self.model))

    # -- reading a row ---------------------------------------------------------------------------

    def raw_values(self, cells: list[str]) -> dict[str, str]:
        return {name: cells[index].strip() for index, name in self.mapping.items() if index < len(cells)}

    def convert(self, raw: dict[str, str], planned: Planned) -> dict[str, Any]:
        """Field values of the row (owner and company resolved later); errors noted on `planned`."""
        values: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, text in raw.items():
            if name.startswith(CUSTOM_PREFIX):
                definition = self.definitions.get(name.removeprefix(CUSTOM_PREFIX))
                if definition is None or not text:
                    continue
                try:
                    cleaned = custom_fields.form_field(definition).clean(text)
                except ValidationError as error:
                    errors[name] = f"{definition.label}: {' '.join(error.messages)}"
                    continue
                custom[definition.key] = custom_fields.to_json(definition, cleaned)
            elif name == "full_name":
                if text:
                    first, last = _split_name(text)
                    values.setdefault("first_name", first)
                    values.setdefault("last_name", last)
            elif name in ("owner", "company"):
                continue
            else:
                values[name] = text
        if custom:
            values["custom_fields"] = custom
        if "email" in values:
            values["email"] = values["email"].lower()
        if "email_domain" in values:
            values["email_domain"] = values["email_domain"].lower().removeprefix("@")
        if errors:
            planned.reject(errors)
        return values

    # -- the batch -------------------------------------------------------------------------------

    def _owners(self, raws: list[dict[str, str]]) -> dict[str, Any]:
        names = {raw["owner"].lower() for raw in raws if raw.get("owner")}
        if not names:
            return {}
        users = (
            get_user_model().objects.filter(is_active=True).filter(Q(username__in=names) | Q(email__in=names))
        )
        found: dict[str, Any] = {}
        visible = set(access.visible_users(self.actor).values_list("pk", flat=True))
        for user in users:
            if user.pk in visible:
                found[user.username.lower()] = user
                found[(user.email or "").lower()] = user
        return found

    def _matches(self, keys: set[str]) -> dict[str, models.Model]:
        """Existing records the actor may edit, by the value of the match key."""
        key = self.job.match_key
        if not key or not keys:
            return {}
        records = access.editable_by(self.model._default_manager.all(), self.actor)
        if key.startswith(CUSTOM_PREFIX):
            lookup = f"custom_fields__{key.removeprefix(CUSTOM_PREFIX)}__in"
            records = records.filter(**{lookup: list(keys)})
            return {
                _key_value(key, str(r.custom_fields.get(key.removeprefix(CUSTOM_PREFIX)))): r for r in records
            }
        if key == "email":
            records = records.annotate(email_upper=Upper("email")).filter(
                email_upper__in=[value.upper() for value in keys]
            )
        elif key == "website":
            condition = Q()
            for value in keys:
                condition |= Q(website__icontains=value)
            records = records.filter(condition)
        else:
            records = records.filter(**{f"{key}__in": list(keys)})
        return {_key_value(key, str(getattr(r, key))): r for r in records}

    def _key_of(self, values: dict[str, Any]) -> str:
        key = self.job.match_key
        if not key:
            return ""
        if key.startswith(CUSTOM_PREFIX):
            return _key_value(
                key, str(values.get("custom_fields", {}).get(key.removeprefix(CUSTOM_PREFIX), ""))
            )
        return _key_value(key, str(values.get(key, "")))

    def link(self, planned_rows, raws, values_list) -> None:
        """Resolve the related records the rows name (a person's company)."""

    def plan(self, rows: list[ImportRow]) -> list[Planned]:
        """Validate the rows as the forms would, without writing."""
        raws = [self.raw_values(row.cells) for row in rows]
        planned_rows = [Planned(number=row.number) for row in rows]
        values_list = [self.convert(raw, planned) for raw, planned in zip(raws, planned_rows, strict=True)]
        owners = self._owners(raws)
        self.link(planned_rows, raws, values_list)
        keys = {self._key_of(values) for values in values_list} - {""}
        existing = self._matches(keys)
        seen: dict[str, int] = {}
        for raw, planned, values in zip(raws, planned_rows, values_list, strict=True):
            if planned.outcome:
                continue
            if raw.get("owner"):
                owner = owners.get(raw["owner"].lower())
                if owner is None:
                    planned.reject(
                        {"owner": _("No user “%(name)s” to make the owner.") % {"name": raw["owner"]}}
                    )
                    continue
                values["owner"] = owner
            key = self._key_of(values)
            if key and key in seen:
                planned.skip(_("The same as row %(number)s of the file.") % {"number": seen[key]})
                continue
            if key:
                seen[key] = planned.number
            record = existing.get(key) if key else None
            self._plan_one(planned, values, record)
        return planned_rows

    def _plan_one(self, planned: Planned, values: dict[str, Any], record) -> None:
        mode = self.job.mode
        if record is None:
            if mode == Mode.UPDATE:
                planned.skip(_("No existing record matches it."))
                return
            values.setdefault("owner", self.actor)
            instance = self.model(**values)
            self._validate(planned, instance, values, creating=True)
            if not planned.outcome:
                planned.outcome = ImportRow.Outcome.CREATED
                planned.record = instance
            return
        if mode == Mode.CREATE:
            planned.skip(_("It exists already."))
            return
        if "custom_fields" in values:
            values["custom_fields"] = {**record.custom_fields, **values["custom_fields"]}
        changes = {name: value for name, value in values.items() if getattr(record, name) != value}
        if not changes:
            planned.skip(_("Nothing to change."))
            return
        for name, value in changes.items():
            setattr(record, name, value)
        self._validate(planned, record, changes, creating=False)
        if not planned.outcome:
            planned.outcome = ImportRow.Outcome.UPDATED
            planned.record = record
            planned.changes = changes

    def _validate(self, planned: Planned, instance, values: dict[str, Any], *, creating: bool) -> None:
        # Foreign keys are set from records fetched for the batch: checking them again would
        # cost a query per row.
        exclude = [f.name for f in self.model._meta.concrete_fields if f.is_relation]
        errors: dict[str, str] = {}
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors.update(_errors_of(error))
        try:
            if creating:
                # The setting read once per batch (self.required), not once per row.
                missing = [name for name in self.required if _is_empty(instance, name)]
                if missing:
                    raise ValidationError(
                        {name: required_fields.required_message(self.model, name) for name in missing}
                    )
            else:
                required_fields.validate_values(self.model, values)
        except ValidationError as error:
            errors.update(_errors_of(error))
        missing = [
            d.label for d in self.definitions.values()
            if d.required and creating and (instance.custom_fields or {}).get(d.key) in (None, "")
        ]  # fmt: skip
        if missing:
            errors["custom_fields"] = _("Required: %(fields)s.") % {"fields": ", ".join(missing)}
        if errors:
            planned.reject(errors)

    # -- writing ---------------------------------------------------------------------------------

    def _prepare(self, instance) -> None:
        instance.search_text = normalise_for_search(" ".join(w for w in instance.search_words() if w))

    def write(self, planned_rows: list[Planned]) -> None:
        """Store what `plan` accepted (inside the caller's transaction)."""
        now = timezone.now()
        new = [p.record for p in planned_rows if p.outcome == ImportRow.Outcome.CREATED]
        changed = [p for p in planned_rows if p.outcome == ImportRow.Outcome.UPDATED]
        for instance in new:
            self._prepare(instance)
        if new:
            bulk_create_with_history(new, self.model, default_user=self.actor, default_date=now)
        if changed:
            fields = {"version", "updated_at", "search_text"}
            for planned in changed:
                record = planned.record
                record.version += 1
                record.updated_at = now
                self._prepare(record)
                fields.update(planned.changes)
            bulk_update_with_history(
                [p.record for p in changed],
                self.model,
                sorted(fields),
                default_user=self.actor,
                default_date=now,
            )


class CompanyWriter(Writer):
    pass


class PersonWriter(Writer):
    def link(self, planned_rows, raws, values_list) -> None:
        names = {raw["company"] for raw in raws if raw.get("company")}
        if not names:
            return
        domains = {usable_domain(name) for name in names if "." in name and " " not in name} - {""}
        found: dict[str, Company] = {}
        for company in Company.objects.visible_to(self.actor).filter(
            Q(name__in=names) | Q(email_domain__in=domains)
        ):
            found.setdefault(company.name, company)
            if company.email_domain:
                found.setdefault(company.email_domain, company)
        created: dict[str, Company] = {}
        for raw, planned, values in zip(raws, planned_rows, values_list, strict=True):
            name = raw.get("company", "")
            if not name or planned.outcome:
                continue
            company = found.get(name) or found.get(name.lower())
            if company is None and self.job.create_related:
                company = created.get(name)
                if company is None:
                    company = Company(name=name[:200], owner=self.actor)
                    created[name] = company
                planned.company_name = name
            if company is None:
                message = _(
                    "No company “%(name)s”: add it first, or let the import create missing companies."
                )
                planned.reject({"company": message % {"name": name[:200]}})
                continue
            values["company"] = company
        self.new_companies = created

    def write(self, planned_rows: list[Planned]) -> None:
        used = {
            p.company_name for p in planned_rows if p.company_name and p.outcome in ("created", "updated")
        }
        companies = [company for name, company in getattr(self, "new_companies", {}).items() if name in used]
        for company in companies:
            self._prepare(company)
        if companies:
            bulk_create_with_history(companies, Company, default_user=self.actor)
        super().write(planned_rows)


class LeadWriter(Writer):
    """Leads are written through leads.services: a new lead sets off the automation rules."""

    def write(self, planned_rows: list[Planned]) -> None:
        for planned in planned_rows:
            if planned.outcome not in (ImportRow.Outcome.CREATED, ImportRow.Outcome.UPDATED):
                continue
            try:
                with transaction.atomic():
                    if planned.outcome == ImportRow.Outcome.CREATED:
                        lead = planned.record
                        values = {
                            f.name: getattr(lead, f.name)
                            for f in Lead._meta.concrete_fields
                            if f.name in lead_services.LEAD_FIELDS
                        }
                        planned.record = lead_services.lead_create(actor=self.actor, values=values)
                    else:
                        planned.record = lead_services.lead_update(
                            actor=self.actor,
                            lead=planned.record,
                            changes=planned.changes,
                            expected_version=planned.record.version,
                        )
            except ValidationError as error:
                planned.record = None
                planned.reject(_errors_of(error))


WRITERS: dict[str, type[Writer]] = {
    Kind.COMPANIES: CompanyWriter,
    Kind.PEOPLE: PersonWriter,
    Kind.LEADS: LeadWriter,
}


def writer_for(job: ImportJob, actor) -> Writer:
    return WRITERS[job.kind](job, actor)
