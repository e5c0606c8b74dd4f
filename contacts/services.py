"""Writes to companies and people: every view, import, task and test goes through here."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import required_fields
from contacts.models import Company, Person
from crm import access, bulk
from crm.models import AuditEvent, Document
from crm.search import normalise_for_search
from crm.services import audit_record, record_create, record_delete, record_update

COMPANY_FIELDS = frozenset(
    {
        "name", "contact_type", "business_unit", "market", "life_cycle", "sector", "segment", "status",
        "categories", "website", "email_domain", "phone", "description", "owner", "team", "custom_fields",
    }
)  # fmt: skip
PERSON_FIELDS = frozenset(
    {
        "first_name", "last_name", "email", "phone", "business_unit", "company", "title", "linkedin",
        "buying_influence", "buying_influence_concept", "response_mode", "win_result", "consent_email",
        "consent_phone", "owner", "team", "custom_fields",
    }
)  # fmt: skip


def _only(allowed: frozenset, values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - allowed
    if unknown:
        # A programming error, not user input: forms only pass their own fields.
        raise TypeError(f"not writable here: {', '.join(sorted(unknown))}")
    return values


def _normalised_domain(domain: str) -> str:
    return (domain or "").strip().lower().removeprefix("@")


def _company_values(values: dict[str, Any]) -> dict[str, Any]:
    values = _only(COMPANY_FIELDS, dict(values))
    if "name" in values:
        values["name"] = values["name"].strip()
    if "email_domain" in values:
        values["email_domain"] = _normalised_domain(values["email_domain"])
    required_fields.validate_values(Company, values)
    return values


def company_create(*, actor, values: dict[str, Any]) -> Company:
    """Create a company from field values; `owner` None (or absent) leaves it unassigned."""
    values = _company_values(values)
    categories = values.pop("categories", [])
    return record_create(actor=actor, instance=Company(**values), many_to_many={"categories": categories})


def company_update(*, actor, company: Company, changes: dict[str, Any], expected_version: int) -> Company:
    """Change a company unless someone else saved it since `expected_version`."""
    return record_update(
        actor=actor, instance=company, changes=_company_values(changes), expected_version=expected_version
    )


@transaction.atomic
def company_delete(*, actor, company: Company) -> None:
    """Delete a company with its documents (their files go once the deletion commits)."""
    _delete_documents(actor=actor, record=company)
    record_delete(actor=actor, instance=company)


def _person_values(values: dict[str, Any], *, before: Person | None = None) -> dict[str, Any]:
    values = _only(PERSON_FIELDS, dict(values))
    if "email" in values:
        values["email"] = (values["email"] or "").strip().lower()
    consent_changed = any(
        name in values and (before is None or getattr(before, name) != values[name])
        for name in ("consent_email", "consent_phone")
    )
    if consent_changed:
        values["consent_updated_at"] = timezone.now()
    required_fields.validate_values(Person, values)
    return values


def person_create(*, actor, values: dict[str, Any]) -> Person:
    """Create a person; creating counts as touching them (GDPR age starts now)."""
    return record_create(actor=actor, instance=Person(**_person_values(values)))


def person_update(*, actor, person: Person, changes: dict[str, Any], expected_version: int) -> Person:
    changes = _person_values(changes, before=person)
    changes["last_touched_at"] = timezone.now()
    return record_update(actor=actor, instance=person, changes=changes, expected_version=expected_version)


@transaction.atomic
def person_unsubscribe(*, person: Person, source: str = "") -> bool:
    """The person asked for no more marketing mail (an unsubscribe link): noted once, with an
    audit row; False when they had unsubscribed already. Consent to calls is left as it is."""
    now = timezone.now()
    changed = Person.objects.filter(pk=person.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now, consent_updated_at=now
    )
    if changed:
        person.unsubscribed_at = person.consent_updated_at = now
        audit_record(actor=None, verb="unsubscribe", instance=person, changes={"source": source[:200]})
    return bool(changed)


@transaction.atomic
def person_delete(*, actor, person: Person) -> None:
    _delete_documents(actor=actor, record=person)
    record_delete(actor=actor, instance=person)


def _delete_documents(*, actor, record) -> None:
    from crm.documents import document_delete, documents_of

    for document in documents_of(record):
        document_delete(actor=actor, document=document)


def _is_history(model: type[models.Model]) -> bool:
    # django-simple-history's tables keep the ids they recorded: that is the history.
    return hasattr(model, "instance_type")


def _following_relations(model: type[models.Model]):
    """The relations whose rows follow a merged `model` record to the survivor.

    Found from the model's reverse relations, whichever app declares them (people, deals, leads,
    and later activities and tickets), so contacts names none of those apps and a new app's
    foreign key to a company or person is moved without an edit here."""
    for relation in model._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete or _is_history(relation.related_model):
            continue
        if relation.field in relation.related_model._meta.private_fields:
            continue  # a relation without a column of its own (generic): its app's on_merge moves it
        if (relation.one_to_many or relation.one_to_one) and relation.related_model._meta.auto_created:
            continue  # the link table of one of our own many-to-many fields: merged by the caller
        yield relation


def merge_moves(model: type[models.Model]) -> list[str]:
    """What merging two `model` records moves to the survivor, by name, for the merge page."""
    names = [
        str(relation.related_model._meta.verbose_name_plural) for relation in _following_relations(model)
    ]
    return sorted(set(names) | {str(_("documents"))})


_merge_handlers: list[Callable[..., object]] = []


def on_merge(handler: Callable[..., object]) -> Callable[..., object]:
    """Register `handler(survivor=, duplicate=)`, called in a company or person merge before the
    records that reference the duplicate move over: an app whose rows would collide with the
    survivor's (one score per person, one recipient per mailing) or that links by content type
    resolves them there. Registered from an AppConfig.ready(); registering twice is a no-op."""
    if handler not in _merge_handlers:
        _merge_handlers.append(handler)
    return handler


def _move_related_records(*, survivor: models.Model, duplicate: models.Model) -> dict[str, int]:
    """Point everything that references `duplicate` at `survivor`; returns counts per relation."""
    for handler in _merge_handlers:
        handler(survivor=survivor, duplicate=duplicate)
    moved: dict[str, int] = {}
    model = type(survivor)
    for relation in _following_relations(model):
        if relation.one_to_many or relation.one_to_one:
            field_name = relation.field.name
            count = relation.related_model._base_manager.filter(**{field_name: duplicate}).update(
                **{field_name: survivor}
            )
        elif relation.many_to_many:
            through = relation.through
            source = relation.field.m2m_reverse_field_name()
            rows = through.objects.filter(**{source: duplicate})
            already = set(
                through.objects.filter(**{source: survivor}).values_list(
                    relation.field.m2m_field_name(), flat=True
                )
            )
            rows.filter(**{f"{relation.field.m2m_field_name()}__in": already}).delete()
            count = rows.update(**{source: survivor})
        else:
            continue
        if count:
            moved[relation.related_model._meta.label] = count
    documents = Document.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=duplicate.pk
    ).update(object_id=survivor.pk)
    if documents:
        moved[Document._meta.label] = documents
    return moved


def _fill_blanks(survivor: models.Model, duplicate: models.Model, field_names) -> dict[str, Any]:
    """The duplicate's values for fields the survivor leaves empty."""
    return {
        name: getattr(duplicate, name)
        for name in field_names
        if getattr(survivor, name) in (None, "") and getattr(duplicate, name) not in (None, "")
    }


def _check_merge(*, actor, survivor, duplicate, permission: str) -> None:
    if survivor.pk == duplicate.pk:
        raise ValueError(_("Choose two different records to merge."))
    if not actor.has_perm(permission) or not (
        access.can_edit(actor, survivor) and access.can_edit(actor, duplicate)
    ):
        raise PermissionDenied


@transaction.atomic
def company_merge(*, actor, survivor: Company, duplicate: Company) -> Company:
    """Merge `duplicate` into `survivor`: every record that references it and its documents move
    over, empty fields are filled from it, categories are joined; then it is deleted. Its history
    stays."""
    _check_merge(actor=actor, survivor=survivor, duplicate=duplicate, permission="contacts.merge_company")
    survivor = Company.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Company.objects.select_for_update().get(pk=duplicate.pk)
    fill = _fill_blanks(
        survivor, duplicate,
        ["contact_type", "business_unit", "market", "life_cycle", "sector", "segment", "status", "website",
         "email_domain", "phone", "description", "owner", "team"],
    )  # fmt: skip
    categories = set(survivor.categories.all()) | set(duplicate.categories.all())
    custom_fields = {**duplicate.custom_fields, **survivor.custom_fields}
    moved = _move_related_records(survivor=survivor, duplicate=duplicate)
    audit_record(actor=actor, verb="merge", instance=survivor, changes={"merged": duplicate.name, **moved})
    record_delete(actor=actor, instance=duplicate)
    return record_update(
        actor=actor,
        instance=survivor,
        changes={**fill, "categories": categories, "custom_fields": custom_fields},
        expected_version=survivor.version,
    )


@transaction.atomic
def person_merge(*, actor, survivor: Person, duplicate: Person) -> Person:
    """Merge `duplicate` into `survivor`. Consent is kept only where both records gave it."""
    _check_merge(actor=actor, survivor=survivor, duplicate=duplicate, permission="contacts.merge_person")
    survivor = Person.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Person.objects.select_for_update().get(pk=duplicate.pk)
    fill = _fill_blanks(
        survivor, duplicate,
        ["last_name", "email", "phone", "business_unit", "company", "title", "linkedin", "buying_influence",
         "buying_influence_concept", "response_mode", "win_result", "owner", "team"],
    )  # fmt: skip
    changes = {
        **fill,
        "consent_email": survivor.consent_email and duplicate.consent_email,
        "consent_phone": survivor.consent_phone and duplicate.consent_phone,
        "custom_fields": {**duplicate.custom_fields, **survivor.custom_fields},
    }
    moved = _move_related_records(survivor=survivor, duplicate=duplicate)
    audit_record(
        actor=actor, verb="merge", instance=survivor, changes={"merged": duplicate.full_name, **moved}
    )
    record_delete(actor=actor, instance=duplicate)
    changes = _person_values(changes, before=survivor)
    # Whoever asked for no more marketing mail as either record still gets none.
    changes["unsubscribed_at"] = min(
        (moment for moment in (survivor.unsubscribed_at, duplicate.unsubscribed_at) if moment), default=None
    )
    changes["last_touched_at"] = timezone.now()
    return record_update(actor=actor, instance=survivor, changes=changes, expected_version=survivor.version)


# bulk (imports) ----------------------------------------------------------------------------------
# person_create / company_create / *_update for many records at once (the import's batches): the
# same rules, checked set-wise, and written by COPY (crm.bulk) with the same history and audit
# rows. Each takes value dicts by position and answers by position: the record, or the errors by
# field ("" for the record as a whole) that the single service would have raised.

Errors = dict[int, dict[str, str]]


def _message(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {name: " ".join(str(m) for m in messages) for name, messages in error.message_dict.items()}
    return {"": " ".join(str(m) for m in error.messages)}


def _check_fields(model: type[models.Model], records: list[models.Model], names: set[str]) -> Errors:
    """What full_clean says about `records` (foreign keys aside: the caller fetched those
    records), each distinct value checked once; cleaned values are set back. Only the fields
    `names` and those that may not be blank: the others hold their defaults."""
    errors: Errors = {}
    for field in model._meta.concrete_fields:
        if field.is_relation or (field.name not in names and field.blank):
            continue
        verdicts: dict[Any, tuple[Any, str]] = {}
        plain, limit = _is_plain_text(field), field.max_length or 0
        for index, record in enumerate(records):
            value = getattr(record, field.attname)
            if field.blank and value in field.empty_values:
                continue
            if (
                plain
                and type(value) is str
                and value
                and (not limit or len(value) <= limit)
                and "\x00" not in value
            ):
                continue  # what field.clean would pass unchanged
            try:
                cleaned, message = verdicts[value]
            except (KeyError, TypeError):  # TypeError: a dict (custom fields) is not a key
                try:
                    cleaned, message = field.clean(value, record), ""
                except ValidationError as error:
                    cleaned, message = value, " ".join(str(m) for m in error.messages)
                with contextlib.suppress(TypeError):
                    verdicts[value] = (cleaned, message)
            if message:
                errors.setdefault(index, {})[field.name] = message
            elif cleaned is not value:
                setattr(record, field.attname, cleaned)
    return errors


def _check_required(model: type[models.Model], values_list: list[dict[str, Any]], errors: Errors) -> None:
    """required_fields.validate_values for every row, the setting read once."""
    required = required_fields.required_fields_for(model)
    for index, values in enumerate(values_list):
        for name in required:
            if name in values and required_fields._is_empty_value(values[name]):
                errors.setdefault(index, {}).setdefault(name, required_fields.required_message(model, name))


def _is_plain_text(field: models.Field) -> bool:
    """A CharField whose only rules are its length, no NUL character and (unless blank) not
    empty: those a set check can apply without calling the field."""
    return (
        type(field) in (models.CharField, models.TextField)
        and not field.choices
        and all(
            type(v).__name__ in ("MaxLengthValidator", "ProhibitNullCharactersValidator")
            for v in field.validators
        )
    )


def _instances(model: type[models.Model], values_list: list[dict[str, Any]]) -> list[models.Model]:
    """`model(**values)` for each of `values_list`, by the positional path Django itself uses for
    rows read from the database (a tenth of the keyword path's cost); defaults as the keyword
    path gives them, related records kept in the instance's cache."""
    fields = model._meta.concrete_fields
    now = timezone.now()
    template: list[Any] = []
    fresh = []  # callable defaults other than "now" (a dict): one value per record
    position: dict[str, int] = {}
    for index, field in enumerate(fields):
        position[field.name] = position[field.attname] = index
        if getattr(field, "generated", False):
            template.append(models.DEFERRED)
        elif field.has_default() and field.default is timezone.now:
            template.append(now)
        else:
            template.append(field.get_default())
            if field.has_default() and callable(field.default):
                fresh.append((index, field))
    records = []
    for values in values_list:
        args = template.copy()
        for index, field in fresh:
            args[index] = field.get_default()
        related = []
        for name, value in values.items():
            index = position[name]
            field = fields[index]
            if field.is_relation and name == field.name:
                related.append((field, value))
                value = None if value is None else value.pk
            args[index] = value
        record = model(*args)
        for field, value in related:
            field.set_cached_value(record, value)
        records.append(record)
    return records


def _build(
    model: type[models.Model], allowed: frozenset, values_list: list[dict[str, Any]], prepare
) -> tuple[list[models.Model], Errors]:
    errors: Errors = {}
    names: set[str] = set()
    prepared = []
    for values in values_list:
        values = prepare(_only(allowed, dict(values)))
        names.update(values)
        prepared.append(values)
    records = _instances(model, prepared)
    _check_required(model, prepared, errors)
    for index, problems in _check_fields(model, records, names).items():
        # The single service checks the minimum fields first and stops there.
        errors.setdefault(index, problems)
    return records, errors


def _person_prepared(values: dict[str, Any]) -> dict[str, Any]:
    if "email" in values:
        values["email"] = (values["email"] or "").strip().lower()
    if "consent_email" in values or "consent_phone" in values:
        values["consent_updated_at"] = timezone.now()
    return values


def _company_prepared(values: dict[str, Any]) -> dict[str, Any]:
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
    if "email_domain" in values:
        values["email_domain"] = _normalised_domain(values["email_domain"])
    return values


def people_check_many(*, values_list: list[dict[str, Any]]) -> tuple[list[Person], Errors]:
    """The people `values_list` describes, unsaved, and what person_create would refuse of each."""
    return _build(Person, PERSON_FIELDS, values_list, _person_prepared)


def companies_check_many(*, values_list: list[dict[str, Any]]) -> tuple[list[Company], Errors]:
    """The companies `values_list` describes, unsaved, and what company_create would refuse."""
    values_list = [{k: v for k, v in values.items() if k != "categories"} for values in values_list]
    return _build(Company, COMPANY_FIELDS, values_list, _company_prepared)


def _insert_valid(actor, model, records: list, errors: Errors) -> list:
    valid = [record for index, record in enumerate(records) if index not in errors]
    for record in valid:
        record.search_text = normalise_for_search(" ".join(w for w in record.search_words() if w))
    bulk.records_insert(actor=actor, model=model, instances=valid)
    return [None if index in errors else record for index, record in enumerate(records)]


@transaction.atomic
def people_create_many(*, actor, values_list: list[dict[str, Any]]) -> tuple[list[Person | None], Errors]:
    """person_create for each of `values_list`: the valid ones are created (with their history
    and audit rows, touched now), the others are answered with their errors."""
    records, errors = people_check_many(values_list=values_list)
    return _insert_valid(actor, Person, records, errors), errors


@transaction.atomic
def companies_create_many(*, actor, values_list: list[dict[str, Any]]) -> tuple[list[Company | None], Errors]:
    """company_create for each of `values_list` (categories are not taken here)."""
    records, errors = companies_check_many(values_list=values_list)
    return _insert_valid(actor, Company, records, errors), errors


def _comparable(model: type[models.Model], name: str, value):
    """`value` of the field `name` as compared before and after a change: a related record by
    its id (reading the record a row held before would cost a query per row)."""
    if model._meta.get_field(name).many_to_one and isinstance(value, models.Model):
        return value.pk
    return value


def _before(record: models.Model, name: str):
    field = record._meta.get_field(name)
    return getattr(record, field.attname if field.many_to_one else name)


def _update_many(actor, model, allowed, prepare, updates, *, touch: bool) -> tuple[list, Errors]:
    """record_update for each (record, changes, expected_version) of `updates`."""
    errors: Errors = {}
    stored = model._default_manager.select_for_update().in_bulk([record.pk for record, _c, _v in updates])
    required = required_fields.required_fields_for(model)
    changed_records, audit_changes, fields = [], [], {"version", "updated_at", "search_text"}
    now = timezone.now()
    results: list = []
    for index, (record, changes, expected_version) in enumerate(updates):
        current = stored.get(record.pk)
        if current is None or current.version != expected_version:
            errors[index] = {"": str(_("Someone else changed this record meanwhile."))}
            results.append(None)
            continue
        changes = prepare(_only(allowed, dict(changes)))
        if "consent_updated_at" in changes and all(
            getattr(current, name) == changes.get(name, getattr(current, name))
            for name in ("consent_email", "consent_phone")
        ):
            changes.pop("consent_updated_at")
        if touch:
            changes["last_touched_at"] = now
        # required_fields.validate_values, with the setting read once for all the records
        missing = {
            name: required_fields.required_message(model, name)
            for name in required
            if name in changes and required_fields._is_empty_value(changes[name])
        }
        if missing:
            errors[index] = missing
            results.append(None)
            continue
        before = {name: _before(current, name) for name in changes}
        for name, value in changes.items():
            setattr(current, name, value)
        problems = _check_fields(model, [current], set(changes)).get(0)
        if problems:
            errors[index] = problems
            results.append(None)
            continue
        current.version += 1
        current.updated_at = now
        current.search_text = normalise_for_search(" ".join(w for w in current.search_words() if w))
        fields.update(changes)
        changed_records.append(current)
        audit_changes.append(
            {
                name: value
                for name, value in changes.items()
                if before[name] != _comparable(model, name, value)
            }
        )
        results.append(current)
    if changed_records:
        model._default_manager.bulk_update(changed_records, sorted(fields), batch_size=500)
        bulk.history_insert(model, changed_records, actor=actor, when=now, kind="~")
        bulk.copy_rows(
            AuditEvent,
            bulk.audit_rows(
                model, changed_records, actor=actor, verb="update", when=now, changes=audit_changes
            ),
        )
    return results, errors


@transaction.atomic
def people_update_many(*, actor, updates: list[tuple[Person, dict[str, Any], int]]) -> tuple[list, Errors]:
    """person_update for each (person, changes, expected_version): touched now, a history and an
    audit row each; a person saved by someone else since `expected_version` is refused."""
    return _update_many(actor, Person, PERSON_FIELDS, _person_prepared, updates, touch=True)


@transaction.atomic
def companies_update_many(
    *, actor, updates: list[tuple[Company, dict[str, Any], int]]
) -> tuple[list, Errors]:
    """company_update for each (company, changes, expected_version)."""
    return _update_many(actor, Company, COMPANY_FIELDS, _company_prepared, updates, touch=False)
