"""Change history (django-simple-history) shown on a record's page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from crm import linked


@dataclass
class HistoryEntry:
    when: object
    who: object
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list[tuple[str, object, object]] = field(default_factory=list)


def _display(model, field_name: str, value, related: dict):
    model_field = model._meta.get_field(field_name)
    if model_field.is_relation and value is not None:
        return related.get((model_field.related_model, value), value)
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    return value


def history_entries(record: models.Model, *, user, limit: int = 20) -> list[HistoryEntry]:
    """The latest changes of `record`, newest first, with field labels and readable values; a
    linked record `user` may not see (a former company…) reads "hidden record".

    A fixed number of queries: the history rows, then one per related model shown."""
    rows = list(
        record.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    model = type(record)
    pairs = []
    for newer, older in zip(rows, [*rows[1:], None], strict=False):
        if len(pairs) == limit:
            break
        pairs.append((newer, older, newer.diff_against(older).changes if older is not None else []))
    wanted: dict[type, set] = {}
    for _newer, _older, changes in pairs:
        for change in changes:
            model_field = model._meta.get_field(change.field)
            if model_field.is_relation:
                wanted.setdefault(model_field.related_model, set()).update({change.old, change.new} - {None})
    related = {}
    for related_model, ids in wanted.items():
        # One query per model, each record flagged: a hidden one must not show its name, and a
        # deleted one (absent here) keeps showing its id as before.
        records = linked.annotate_own_visibility(related_model._default_manager.filter(pk__in=ids), user)
        for obj in records:
            related[(related_model, obj.pk)] = obj if obj.visible else linked.HIDDEN_RECORD
    entries = []
    for newer, _older, changes in pairs:
        entries.append(
            HistoryEntry(
                when=newer.history_date,
                who=newer.history_user,
                kind=newer.history_type,
                changes=[
                    (
                        model._meta.get_field(change.field).verbose_name,
                        _display(model, change.field, change.old, related),
                        _display(model, change.field, change.new, related),
                    )
                    for change in changes
                    if change.field != "custom_fields"
                ]
                + [("custom fields", "…", "…") for change in changes if change.field == "custom_fields"],
            )
        )
    return entries
