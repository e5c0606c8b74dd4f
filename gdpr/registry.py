"""Where personal data lives: each app declares its own from its AppConfig.ready(); gdpr reads
this registry and names no app (DESIGN.md "GDPR", STYLE.md "Which app may import which").

* A **subject** is a kind of record that *is* a person (contacts' Person): its personal fields
  (the name always anonymised, the others as the administrator chooses in GdprSettings), the
  field that dates its last touch, and its consent fields.
* A **linked** record holds data about a subject without being one: a lead converted into the
  person (its copies of the person's fields), an activity about or attended by the person (free
  text that may quote the name, e-mail or phone). `lookup` finds them from a subject instance.

History copies (django-simple-history's `history`), audit rows (crm.models.AuditEvent), search
text (crm.search.SearchableModel) and e-mail logs (crm.models.OutboundEmail) are found from the
models themselves, so an app registers only its fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class PersonalField:
    name: str
    replacement: Any = ""  # what the value becomes; a callable(instance) for a per-record value
    always: bool = False  # the name: anonymised whatever the settings say

    def replacement_for(self, instance: models.Model) -> Any:
        return self.replacement(instance) if callable(self.replacement) else self.replacement


@dataclass(frozen=True)
class Subject:
    key: str  # stable name, stored nowhere but used in URLs and settings ("person")
    model: type[models.Model]
    fields: tuple[PersonalField, ...]
    touched_field: str  # a DateTimeField: when the record was last created, edited or contacted
    consent_fields: tuple[str, ...] = ()
    export_fields: tuple[str, ...] = ()  # shown in the subject-access export besides `fields`
    label: str = ""  # plural, for the contacts-by-age tabs ("People", "Leads")
    # Which rows are data subjects of this kind (a Q; None: all). A lead converted into a person
    # is no subject of its own: it is linked to the person, and anonymised with them.
    scope: Callable[[], Any] | None = None
    # Free text of the record itself (a lead's description): the old values are cut out of it.
    text_fields: tuple[str, ...] = ()
    # A ForeignKey to the record's business unit: the retention period of the unit applies.
    unit_field: str = ""
    # The lookup of the company's name the contacts-by-age page filters by ("company__name").
    company_lookup: str = ""

    def field(self, name: str) -> PersonalField:
        return next(item for item in self.fields if item.name == name)

    @property
    def title(self) -> str:
        return str(self.label or self.model._meta.verbose_name_plural).capitalize()

    def in_scope(self, rows: models.QuerySet) -> models.QuerySet:
        return rows.filter(self.scope()) if self.scope is not None else rows

    @property
    def unit_model(self) -> type[models.Model] | None:
        return self.model._meta.get_field(self.unit_field).related_model if self.unit_field else None

    @property
    def always_fields(self) -> list[str]:
        return [item.name for item in self.fields if item.always]

    @property
    def optional_fields(self) -> list[str]:
        return [item.name for item in self.fields if not item.always]


@dataclass(frozen=True)
class LinkedField:
    name: str  # the field on the linked record
    covers: str  # the subject's field it copies: anonymised when that one is
    replacement: Any = ""


@dataclass(frozen=True)
class Linked:
    subject: str  # a Subject.key
    model: type[models.Model]
    lookup: str  # model.objects.filter(**{lookup: subject_instance})
    label: str  # for the subject-access export
    fields: tuple[LinkedField, ...] = ()
    text_fields: tuple[str, ...] = ()  # free text: the subject's old values are cut out of it
    export_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hold:
    """A reason another app has to keep a subject's records: the retention job leaves them alone
    (an open deal the person is a contact of). `condition()` returns an expression over the
    subject's rows (a Q or an Exists with OuterRef("pk")), true for the held ones."""

    subject: str  # a Subject.key
    label: str
    condition: Callable[[], Any]


_subjects: dict[str, Subject] = {}
_linked: list[Linked] = []
_holds: list[Hold] = []


def register_subject(subject: Subject) -> None:
    _subjects[subject.key] = subject


def register_linked(linked: Linked) -> None:
    if linked not in _linked:
        _linked.append(linked)


def register_hold(hold: Hold) -> None:
    if hold not in _holds:
        _holds.append(hold)


def holds_for(subject_key: str) -> list[Hold]:
    return [item for item in _holds if item.subject == subject_key]


def subject(key: str) -> Subject | None:
    return _subjects.get(key)


def subjects() -> list[Subject]:
    return list(_subjects.values())


def subject_for_model(model: type[models.Model]) -> Subject | None:
    return next((item for item in _subjects.values() if item.model is model), None)


def linked_to(subject_key: str) -> list[Linked]:
    return [item for item in _linked if item.subject == subject_key]


def registered_fields() -> set[tuple[str, str]]:
    """(model label, field name) of every registered personal field, for the coverage test."""
    covered = set()
    for item in _subjects.values():
        covered |= {(item.model._meta.label, personal.name) for personal in item.fields}
        covered |= {(item.model._meta.label, name) for name in item.text_fields}
    for item in _linked:
        covered |= {(item.model._meta.label, linked.name) for linked in item.fields}
        covered |= {(item.model._meta.label, name) for name in item.text_fields}
    return covered


def field_choices() -> list[tuple[str, str]]:
    """The fields an administrator may add to anonymisation: "<subject>.<field>" with a label."""
    choices = []
    for item in _subjects.values():
        for name in item.optional_fields:
            verbose = item.model._meta.get_field(name).verbose_name
            choices.append((f"{item.key}.{name}", f"{item.model._meta.verbose_name}: {verbose}"))
    return choices
