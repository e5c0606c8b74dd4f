"""Turning staged rows into records: validation (the same rules as the forms), matching of
existing records by the chosen key, linking of related records, and the bulk writes.

Nothing here writes a record itself: every write goes through the owning app's services.
Companies and people cost a fixed number of queries a batch whatever its size: one for the owners
named, one for the companies named, one for the existing records matched, then
contacts.services' bulk entry points (COPY of the records, their history and audit rows). Leads,
deals and activities go through their services one by one (in a savepoint each), because
creating those sets off automation rules or checks per record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Lookup, Q, Value
from django.db.models.functions import Concat, Upper
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from activities import services as activity_services
from activities.models import Activity, ActivityType, MeetingCategory
from contacts import required_fields
from contacts import services as contact_services
from contacts.matching import usable_domain
from contacts.models import Company, Person
from crm import access, custom_fields
from imports.mapping import CUSTOM_PREFIX, FIELDS, MODELS
from imports.models import ImportJob, ImportRelated, ImportRow, Kind, Mode
from leads import services as lead_services
from leads.models import Lead
from opportunities import pipeline as gates
from opportunities import services as deal_services
from opportunities.models import Deal, Stage


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
    values: dict[str, Any] = field(default_factory=dict)  # a new record's, for contacts.services
    version: int = 0  # the version of the record an update read

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


def _is_empty_value(value) -> bool:
    return not value.strip() if isinstance(value, str) else value in (None, [], {})


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


class AnyOf(Lookup):
    """`lhs = ANY(%s)` with the values as one array: a batch's thousand keys are one parameter,
    not a thousand placeholders to build, send and parse (the ORM's `__in`)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, sorted(self.rhs))


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
        try:
            # The setting read once per batch: each read outside a request costs a query.
            self.required_in_order = required_fields.required_fields_for(self.model)
        except LookupError:  # deals and activities have no minimum-field setting
            self.required_in_order = ()
        self.required = set(self.required_in_order)
        self.lookup_fields = {
            spec.name: spec for spec in FIELDS[job.kind] if spec.lookup and spec.name in self.mapping.values()
        }
        self._lookup_values: dict[str, dict[str, models.Model]] = {}
        self._fields = {field.name: field for field in self.model._meta.concrete_fields}

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
            elif name in ("owner", "company") or name in self.lookup_fields:
                continue  # resolved for the whole batch in plan()
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
            records = records.filter(AnyOf(Upper("email"), {value.upper() for value in keys}))
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

    def plan(self, rows: list[ImportRow], *, writing: bool = False) -> list[Planned]:
        """Validate the rows as the forms would, without writing (`writing`: `write` follows, and
        checks what its service checks itself)."""
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
            if not self._resolve_lookups(raw, values, planned):
                continue
            key = self._key_of(values)
            if key and key in seen:
                planned.skip(_("The same as row %(number)s of the file.") % {"number": seen[key]})
                continue
            if key:
                seen[key] = planned.number
            record = existing.get(key) if key else None
            self._plan_one(planned, values, record)
        return planned_rows

    def _resolve_lookups(self, raw: dict[str, str], values: dict[str, Any], planned: Planned) -> bool:
        """The list values the row names (a sector “IT”), by name without case; an unknown
        name rejects the row, naming the field and the value."""
        errors = {}
        for name, spec in self.lookup_fields.items():
            text = raw.get(name, "")
            if not text:
                continue
            value = self._values_of(name).get(text.casefold())
            if value is None:
                errors[name] = _("No %(field)s “%(value)s” in the list the administrator keeps.") % {
                    "field": str(spec.label).lower(),
                    "value": text,
                }
            else:
                values[name] = value
        if errors:
            planned.reject(errors)
        return not errors

    def _values_of(self, name: str) -> dict[str, models.Model]:
        """One query per list per job: {name without case: value}."""
        if name not in self._lookup_values:
            related = self.model._meta.get_field(name).related_model
            items = related._default_manager.all()
            self._lookup_values[name] = {item.name.casefold(): item for item in items}
        return self._lookup_values[name]

    def _differs(self, record, name: str, value) -> bool:
        field = self._fields.get(name)
        if field is not None and field.many_to_one:
            # By id: reading `record.company` would cost a query per row.
            return getattr(record, field.attname) != (None if value is None else value.pk)
        return getattr(record, name) != value

    def _changes(self, planned: Planned, values: dict[str, Any], record) -> dict[str, Any] | None:
        """What the row changes in the existing `record`; None (the row skipped) when the mode
        creates only or nothing differs."""
        if self.job.mode == Mode.CREATE:
            planned.skip(_("It exists already."))
            return None
        if "custom_fields" in values:
            values["custom_fields"] = {**record.custom_fields, **values["custom_fields"]}
        changes = {name: value for name, value in values.items() if self._differs(record, name, value)}
        if not changes:
            planned.skip(_("Nothing to change."))
            return None
        return changes

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
        changes = self._changes(planned, values, record)
        if changes is None:
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
                required_fields.validate_values(self.model, values, required=self.required_in_order)
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

    def write(self, planned_rows: list[Planned]) -> None:
        """Store what `plan` accepted (inside the caller's transaction)."""
        raise NotImplementedError


class ContactWriter(Writer):
    """Companies and people, through contacts.services' bulk entry points: the rules of
    company_create / person_create (and their updates), checked set-wise, written by COPY with
    their history and audit rows. The rules of the forms on top of those (the minimum-field
    setting for a new record, required custom fields) are checked here, on the values."""

    check_many: Any
    create_many: Any
    update_many: Any

    def _plan_one(self, planned: Planned, values: dict[str, Any], record) -> None:
        mode = self.job.mode
        if record is None:
            if mode == Mode.UPDATE:
                planned.skip(_("No existing record matches it."))
                return
            values.setdefault("owner", self.actor)
            errors = self._form_errors(values)
            if errors:
                planned.reject(errors)
                return
            planned.outcome = ImportRow.Outcome.CREATED
            planned.values = values
            return
        changes = self._changes(planned, values, record)
        if changes is None:
            return
        version = record.version
        for name, value in changes.items():
            setattr(record, name, value)
        self._validate(planned, record, changes, creating=False)
        if not planned.outcome:
            planned.outcome = ImportRow.Outcome.UPDATED
            planned.record = record
            planned.changes = changes
            planned.version = version

    def _form_errors(self, values: dict[str, Any]) -> dict[str, str]:
        errors = {
            name: required_fields.required_message(self.model, name)
            for name in self.required
            if _is_empty_value(values.get(name))
        }
        custom = values.get("custom_fields") or {}
        missing = [
            d.label for d in self.definitions.values() if d.required and custom.get(d.key) in (None, "")
        ]
        if missing:
            errors["custom_fields"] = _("Required: %(fields)s.") % {"fields": ", ".join(missing)}
        return errors

    def plan(self, rows: list[ImportRow], *, writing: bool = False) -> list[Planned]:
        planned_rows = super().plan(rows)
        if writing:  # the create_many service checks the same and answers by row
            return planned_rows
        new = [p for p in planned_rows if p.outcome == ImportRow.Outcome.CREATED]
        records, errors = type(self).check_many(values_list=[p.values for p in new])
        for index, (planned, record) in enumerate(zip(new, records, strict=True)):
            if index in errors:
                planned.reject(errors[index])
            else:
                planned.record = record  # unsaved: what the preview shows
        return planned_rows

    def write(self, planned_rows: list[Planned]) -> None:
        new = [p for p in planned_rows if p.outcome == ImportRow.Outcome.CREATED]
        changed = [p for p in planned_rows if p.outcome == ImportRow.Outcome.UPDATED]
        if new:
            records, errors = type(self).create_many(actor=self.actor, values_list=[p.values for p in new])
            self._answer(new, records, errors)
        if changed:
            records, errors = type(self).update_many(
                actor=self.actor, updates=[(p.record, p.changes, p.version) for p in changed]
            )
            self._answer(changed, records, errors)

    @staticmethod
    def _answer(planned_rows: list[Planned], records: list, errors: dict[int, dict[str, str]]) -> None:
        for index, (planned, record) in enumerate(zip(planned_rows, records, strict=True)):
            planned.record = record
            if index in errors:
                planned.reject(errors[index])


class CompanyWriter(ContactWriter):
    check_many = staticmethod(contact_services.companies_check_many)
    create_many = staticmethod(contact_services.companies_create_many)
    update_many = staticmethod(contact_services.companies_update_many)


class PersonWriter(ContactWriter):
    check_many = staticmethod(contact_services.people_check_many)
    create_many = staticmethod(contact_services.people_create_many)
    update_many = staticmethod(contact_services.people_update_many)

    def link(self, planned_rows, raws, values_list) -> None:
        names = {raw["company"] for raw in raws if raw.get("company")}
        self.new_companies: dict[str, Company] = {}
        if not names:
            return
        domains = {usable_domain(name) for name in names if "." in name and " " not in name} - {""}
        found: dict[str, Company] = {}
        # Only what linking needs: the whole rows (search vector, custom fields) cost more to
        # read than the rest of the batch's matching.
        for company in (
            Company.objects.visible_to(self.actor)
            .filter(Q(AnyOf(F("name"), names)) | Q(AnyOf(F("email_domain"), domains)))
            .only("pk", "name", "email_domain")
        ):
            found.setdefault(company.name, company)
            if company.email_domain:
                found.setdefault(company.email_domain, company)
        for raw, planned, values in zip(raws, planned_rows, values_list, strict=True):
            name = raw.get("company", "")
            if not name or planned.outcome:
                continue
            company = found.get(name) or found.get(name.lower())
            if company is None and self.job.create_related:
                # A stand-in until the batch is written: companies_create_many makes the real one.
                company = self.new_companies.setdefault(name, Company(name=name[:200], owner=self.actor))
                planned.company_name = name
            if company is None:
                message = _(
                    "No company “%(name)s”: add it first, or let the import create missing companies."
                )
                planned.reject({"company": message % {"name": name[:200]}})
                continue
            values["company"] = company

    def write(self, planned_rows: list[Planned]) -> None:
        written = (ImportRow.Outcome.CREATED, ImportRow.Outcome.UPDATED)
        named = [p for p in planned_rows if p.company_name and p.outcome in written]
        used = list(dict.fromkeys(p.company_name for p in named))
        if used:
            created, errors = contact_services.companies_create_many(
                actor=self.actor, values_list=[{"name": name[:200], "owner": self.actor} for name in used]
            )
            made = dict(zip(used, created, strict=True))
            _note_related(self.job, Company, [company for company in created if company is not None])
            refused = {used[index]: problems for index, problems in errors.items()}
            for planned in named:
                company = made[planned.company_name]
                if company is None:
                    planned.reject({"company": "; ".join(refused[planned.company_name].values())})
                elif planned.outcome == ImportRow.Outcome.CREATED:
                    planned.values["company"] = company
                else:
                    planned.changes["company"] = company
        super().write(planned_rows)


def _note_related(job: ImportJob, model: type[models.Model], records: list[models.Model]) -> None:
    """Records the import created besides its rows' own, for the undo (in the batch's transaction)."""
    content_type = ContentType.objects.get_for_model(model)
    ImportRelated.objects.bulk_create(
        [ImportRelated(job=job, content_type=content_type, record_id=record.pk) for record in records]
    )


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


# -- related records named by a row: one query per kind of record per batch ------------------------

# A company's organisation number is an administrator's custom field of companies; these keys are
# the ones the import knows as such.
ORG_NUMBER_KEYS = ("org_number", "orgnr", "org_nr", "organisation_number", "organization_number")


def _index(records, keys_of) -> dict[str, list]:
    """Records by each of their keys (lower-cased); a key naming several records lists them all."""
    found: dict[str, list] = {}
    for record in records:
        for key in {key.strip().lower() for key in keys_of(record) if key and key.strip()}:
            found.setdefault(key, []).append(record)
    return found


def companies_named(actor, names: set[str]) -> dict[str, list[Company]]:
    """The companies `actor` can see by name (any case), organisation number or e-mail domain."""
    if not names:
        return {}
    domains = {usable_domain(name) for name in names if "." in name and " " not in name} - {""}
    org_keys = [d.key for d in custom_fields.definitions_for(Company) if d.key in ORG_NUMBER_KEYS]
    condition = Q(name_upper__in=[name.upper() for name in names]) | Q(email_domain__in=domains)
    for key in org_keys:
        condition |= Q(**{f"custom_fields__{key}__in": sorted(names)})
    records = Company.objects.visible_to(actor).annotate(name_upper=Upper("name")).filter(condition)
    return _index(
        records.order_by("pk"),
        lambda c: [c.name, c.email_domain, *(str(c.custom_fields.get(key) or "") for key in org_keys)],
    )


def _named_by_email_or_full_name(queryset, names: set[str]) -> dict[str, list]:
    """People or leads by e-mail address (any case) or "first last" name (any case)."""
    if not names:
        return {}
    emails = [name.upper() for name in names if "@" in name]
    full = [name.upper() for name in names if "@" not in name]
    records = queryset.annotate(
        email_upper=Upper("email"), full_upper=Upper(Concat("first_name", Value(" "), "last_name"))
    ).filter(Q(email_upper__in=emails) | Q(full_upper__in=full))
    return _index(records.order_by("pk"), lambda r: [r.email, f"{r.first_name} {r.last_name}"])


def people_named(actor, names: set[str]) -> dict[str, list[Person]]:
    return _named_by_email_or_full_name(Person.objects.visible_to(actor), names)


def leads_named(actor, names: set[str]) -> dict[str, list[Lead]]:
    return _named_by_email_or_full_name(Lead.objects.visible_to(actor), names)


def deals_named(actor, names: set[str]) -> dict[str, list[Deal]]:
    if not names:
        return {}
    records = Deal.objects.visible_to(actor).annotate(name_upper=Upper("name"))
    return _index(
        records.filter(name_upper__in=[n.upper() for n in names]).order_by("pk"), lambda d: [d.name]
    )


def _pick(found: dict[str, list], name: str, what: str, company: Company | None = None):
    """The one record `name` names, or the reason there is none (a str)."""
    candidates = found.get(name.strip().lower(), [])
    if len(candidates) > 1 and company is not None:
        # A person named twice: the one at the row's company, if only one is.
        at_company = [c for c in candidates if getattr(c, "company_id", None) == company.pk]
        candidates = at_company or candidates
    if not candidates:
        return _("No %(what)s “%(name)s” that you can see.") % {"what": what, "name": name[:200]}
    if len(candidates) > 1:
        return _("Several %(what)s match “%(name)s”: use a unique key (e-mail, org number or domain).") % {
            "what": what,
            "name": name[:200],
        }
    return candidates[0]


def _link_all(planned_rows, raws, values_list, links: dict[str, tuple[dict, str]]) -> None:
    """Put the record each row names into its values (`links`: field → (records by key, what));
    a row naming one that cannot be found, or several, is rejected naming the field."""
    for raw, planned, values in zip(raws, planned_rows, values_list, strict=True):
        if planned.outcome:
            continue
        errors: dict[str, str] = {}
        for name, (found, what) in links.items():
            text = raw.get(name, "")
            if not text:
                continue
            picked = _pick(found, text, what, values.get("company"))
            if isinstance(picked, str):
                errors[name] = picked
            else:
                values[name] = picked
        if errors:
            planned.reject(errors)


class DealWriter(Writer):
    """Deals through opportunities.services, one by one (each in a savepoint).

    A row in an open stage is created as the deal form creates it: every stage gate up to that
    stage applies (a rejected row names the stage and what it lacks), and the automation rules
    fire. A row in a won or lost stage is a past sale, recorded on its close date by
    `deal_record_closed`: no gates (it went through the pipeline elsewhere), no automation rules,
    and no sales order (decided there: the order of a past sale lives in the previous system)."""

    RELATED = ("pipeline", "stage", "company", "primary_contact")

    def convert(self, raw: dict[str, str], planned: Planned) -> dict[str, Any]:
        # An empty cell leaves the field at its default (an empty number is not "").
        kept = {k: v for k, v in raw.items() if k not in self.RELATED and v != ""}
        return super().convert(kept, planned)

    def link(self, planned_rows, raws, values_list) -> None:
        stages = list(
            Stage.objects.select_related("pipeline")
            .filter(pipeline__is_active=True)
            .order_by("pipeline__position", "pipeline__name", "position")
        )
        pipelines = {stage.pipeline.name.lower(): stage.pipeline for stage in stages}
        default = stages[0].pipeline if stages else None
        by_name = {(stage.pipeline_id, stage.name.lower()): stage for stage in stages}
        first = {}
        for stage in stages:
            first.setdefault(stage.pipeline_id, stage)
        for raw, planned, values in zip(raws, planned_rows, values_list, strict=True):
            if planned.outcome:
                continue
            pipeline = default
            if raw.get("pipeline"):
                pipeline = pipelines.get(raw["pipeline"].lower())
                if pipeline is None:
                    planned.reject(
                        {"pipeline": _("No pipeline “%(name)s” in use.") % {"name": raw["pipeline"][:100]}}
                    )
                    continue
            if pipeline is None:
                planned.reject({"pipeline": _("There is no pipeline in use to import deals into.")})
                continue
            stage = (
                by_name.get((pipeline.pk, raw["stage"].lower())) if raw.get("stage") else first[pipeline.pk]
            )
            if stage is None:
                planned.reject(
                    {
                        "stage": _("No stage “%(stage)s” in the pipeline %(pipeline)s.")
                        % {"stage": raw["stage"][:100], "pipeline": pipeline.name}
                    }
                )
                continue
            values["pipeline"], values["stage"] = pipeline, stage
        companies = companies_named(self.actor, {raw["company"] for raw in raws if raw.get("company")})
        _link_all(planned_rows, raws, values_list, {"company": (companies, _("company"))})
        people = people_named(
            self.actor, {raw["primary_contact"] for raw in raws if raw.get("primary_contact")}
        )
        _link_all(planned_rows, raws, values_list, {"primary_contact": (people, _("person"))})

    def _plan_one(self, planned: Planned, values: dict[str, Any], record) -> None:
        values.setdefault("owner", self.actor)
        deal = Deal(**values)
        self._validate(planned, deal, values, creating=True)  # also turns the text into values
        if planned.outcome:
            return
        labels = {name: getattr(deal, name) for name in ("name", "probability") if name in values}
        errors = gates.fixed_label_errors(deal.pipeline, labels)
        if errors:
            planned.reject(errors)
            return
        if deal.stage.kind == Stage.Kind.OPEN:
            deal.closed_on = None
            missing = gates.missing_for_move(deal, deal.stage, confirmed=set())
            if missing:
                planned.reject({"stage": " ".join(item.message for item in missing)})
                return
        elif deal.closed_on is None:
            planned.reject({"closed_on": _("A won or lost deal needs the date it was closed.")})
            return
        elif deal.closed_on > timezone.localdate():
            planned.reject({"closed_on": _("The date a deal was won or lost cannot be in the future.")})
            return
        planned.outcome = ImportRow.Outcome.CREATED
        planned.record = deal

    def write(self, planned_rows: list[Planned]) -> None:
        for planned in planned_rows:
            if planned.outcome != ImportRow.Outcome.CREATED:
                continue
            deal = planned.record
            values = {name: getattr(deal, name) for name in deal_services.DEAL_FIELDS if name != "colleagues"}
            try:
                with transaction.atomic():
                    if deal.stage.kind == Stage.Kind.OPEN:
                        planned.record = deal_services.deal_create(
                            actor=self.actor, pipeline=deal.pipeline, stage=deal.stage, values=values
                        )
                    else:
                        planned.record = deal_services.deal_record_closed(
                            actor=self.actor,
                            pipeline=deal.pipeline,
                            stage=deal.stage,
                            values=values,
                            closed_on=deal.closed_on,
                        )
            except gates.StageGateError as error:
                planned.record = None
                planned.reject({"stage": str(error)})
            except ValidationError as error:
                planned.record = None
                planned.reject(_errors_of(error))


YES = {"yes", "y", "x", "1", "true", "done", "ja", "j", "klar", "utförd", "igen", "i", "kész", "elvégezve"}
NO = {"", "no", "n", "0", "false", "open", "nej", "öppen", "nem", "nyitott"}
MEETING = {"meeting", "möte", "megbeszélés", "találkozó"}
# A to-do's words, and the seeded activity type (seed 002) each names.
TODO = {
    "": "other", "to-do": "other", "todo": "other", "task": "other", "att göra": "other",
    "uppgift": "other", "feladat": "other", "teendő": "other", "call": "phone call",
    "phone": "phone call", "samtal": "phone call", "telefon": "phone call", "hívás": "phone call",
    "email": "e-mail", "mail": "e-mail", "e-post": "e-mail", "levél": "e-mail",
}  # fmt: skip


class ActivityWriter(Writer):
    """Past activities (history) and open to-dos, linked to the records they name.

    Validated as activities.services validates (the model's rules, links only to records the
    importer can see, the company following the deal, person or lead when none is named), then
    written by activities.services.activity_create (its checks, its audit row), one by one, with
    `hooks=False`: an imported activity is history from the previous system, so the hooks of live
    work (calendar invitations, touching the person "now") do not run."""

    RELATED = ("company", "person", "deal", "lead", "kind")

    def convert(self, raw: dict[str, str], planned: Planned) -> dict[str, Any]:
        kept = {k: v for k, v in raw.items() if k not in self.RELATED and (v != "" or k == "status")}
        values = super().convert(kept, planned)
        errors: dict[str, str] = {}
        done = values.get("status", "").lower()
        if done in YES:
            values["status"] = Activity.Status.DONE
        elif done in NO:
            values["status"] = Activity.Status.OPEN
        else:
            errors["status"] = _("Say yes or no, not “%(value)s”.") % {"value": done[:50]}
        if values.get("due_at"):
            when = _parse_moment(values["due_at"])
            if when is None:
                errors["due_at"] = _("Give a date (2024-03-31) or a date and time.")
            else:
                values["due_at"] = when
        else:
            values.pop("due_at", None)
        if values.get("status") == Activity.Status.DONE:
            values["done_at"] = values.get("due_at") or timezone.now()
        if errors:
            planned.reject(errors)
        return values

    def _kinds(self, planned_rows, raws, values_list) -> None:
        """A row's kind: a meeting category or activity type by name, or a word for either."""
        types = {t.name.lower(): t for t in ActivityType.objects.order_by("position", "pk")}
        categories = {c.name.lower(): c for c in MeetingCategory.objects.order_by("position", "pk")}
        for raw, planned, values in zip(raws, planned_rows, values_list, strict=True):
            text = raw.get("kind", "").strip().lower()
            if text in categories:
                values["kind"], values["meeting_category"] = Activity.Kind.MEETING, categories[text]
            elif text in types:
                values["kind"], values["activity_type"] = Activity.Kind.TODO, types[text]
            elif text in MEETING and categories:
                category = categories.get("meeting") or next(iter(categories.values()))
                values["kind"], values["meeting_category"] = Activity.Kind.MEETING, category
            elif text in TODO and types:
                kind = types.get(TODO[text]) or types.get("other") or next(iter(types.values()))
                values["kind"], values["activity_type"] = Activity.Kind.TODO, kind
            else:
                planned.reject(
                    {
                        "kind": _("Say “to-do”, “meeting” or a type of activity, not “%(value)s”.")
                        % {"value": text[:50]}
                    }
                )

    def link(self, planned_rows, raws, values_list) -> None:
        self._kinds(planned_rows, raws, values_list)

        def names(field):
            return {raw[field] for raw in raws if raw.get(field)}

        _link_all(
            planned_rows,
            raws,
            values_list,
            {
                "company": (companies_named(self.actor, names("company")), _("company")),
                "person": (people_named(self.actor, names("person")), _("person")),
                "deal": (deals_named(self.actor, names("deal")), _("deal")),
                "lead": (leads_named(self.actor, names("lead")), _("lead")),
            },
        )
        for values in values_list:
            if values.get("company") is None:  # as activities.services: the company follows
                for name in ("deal", "person", "lead"):
                    company_id = getattr(values.get(name), "company_id", None)
                    if company_id is not None:
                        values["company_id"] = company_id
                        break

    def _plan_one(self, planned: Planned, values: dict[str, Any], record) -> None:
        values.setdefault("owner", self.actor)
        activity = Activity(**values)
        self._validate(planned, activity, values, creating=True)
        if not planned.outcome:
            planned.outcome = ImportRow.Outcome.CREATED
            planned.record = activity
            planned.values = values

    def write(self, planned_rows: list[Planned]) -> None:
        for planned in planned_rows:
            if planned.outcome != ImportRow.Outcome.CREATED:
                continue
            try:
                with transaction.atomic():
                    planned.record = activity_services.activity_create(
                        actor=self.actor, values=planned.values, hooks=False
                    )
            except ValidationError as error:
                planned.record = None
                planned.reject(_errors_of(error))


def _parse_moment(text: str):
    """A date or a date and time from a cell (ISO, as the readers give dates), made aware."""
    text = text.strip()
    try:
        moment = parse_datetime(text.replace("T", " ")) or None
        if moment is None:
            day = parse_date(text)
            moment = datetime.combine(day, time(9, 0)) if day else None
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


WRITERS: dict[str, type[Writer]] = {
    Kind.COMPANIES: CompanyWriter,
    Kind.PEOPLE: PersonWriter,
    Kind.LEADS: LeadWriter,
    Kind.DEALS: DealWriter,
    Kind.ACTIVITIES: ActivityWriter,
}


def writer_for(job: ImportJob, actor) -> Writer:
    return WRITERS[job.kind](job, actor)
