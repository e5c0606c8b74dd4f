"""Writes to companies and people: every view, import, task and test goes through here."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import required_fields
from contacts.models import Company, Person
from crm import access
from crm.models import Document
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
        if (relation.one_to_many or relation.one_to_one) and relation.related_model._meta.auto_created:
            continue  # the link table of one of our own many-to-many fields: merged by the caller
        yield relation


def merge_moves(model: type[models.Model]) -> list[str]:
    """What merging two `model` records moves to the survivor, by name, for the merge page."""
    names = [
        str(relation.related_model._meta.verbose_name_plural) for relation in _following_relations(model)
    ]
    return sorted(set(names) | {str(_("documents"))})


def _move_related_records(*, survivor: models.Model, duplicate: models.Model) -> dict[str, int]:
    """Point everything that references `duplicate` at `survivor`; returns counts per relation."""
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
    return person_update(actor=actor, person=survivor, changes=changes, expected_version=survivor.version)
