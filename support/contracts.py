"""Contracts and warranties (issue 15 item 3): their write path and the owner's reminder before
a contract ends.

A contract is an owned record (crm.access): its owner gets a to-do `remind_days` before
`ends_on` (the daily beat task `contracts_remind`). `reminded_at` records it: the task claims a
contract with a conditional UPDATE (only while `reminded_at` is empty) before it makes the
to-do, in the same transaction, so two runs at once make one to-do. Moving the end date of a
contract clears `reminded_at`, so the new end is reminded of again.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import DateField, ExpressionWrapper, F, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import Company
from crm import access
from crm.services import record_create, record_update
from support.models import Contract

EDITABLE_FIELDS = ["company", "kind", "name", "product", "starts_on", "ends_on", "sla_policy", "remind_days",
                   "notes", "owner", "team"]  # fmt: skip
REMIND_BATCH = 500


def _check(values: dict[str, Any]) -> None:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not contract fields: {sorted(unknown)}")


@transaction.atomic
def contract_create(*, actor, values: dict[str, Any]) -> Contract:
    """A new contract or warranty of a company."""
    _check(values)
    return record_create(actor=actor, instance=Contract(**values))


@transaction.atomic
def contract_update(*, actor, contract: Contract, changes: dict[str, Any], expected_version: int) -> Contract:
    """Change a contract (StaleRecordError when saved since `expected_version`); a new end date
    or reminder lead time is reminded of again."""
    _check(changes)
    saved = record_update(actor=actor, instance=contract, changes=changes, expected_version=expected_version)
    if saved.reminded_at is not None and (
        changes.get("ends_on", contract.ends_on) != contract.ends_on
        or changes.get("remind_days", contract.remind_days) != contract.remind_days
    ):
        Contract.objects.filter(pk=saved.pk).update(reminded_at=None)
        saved.reminded_at = None
    return saved


def due_for_reminder(today: datetime.date):
    """Contracts whose reminder day has come (ends_on − remind_days ≤ today), that have not ended
    and whose owner was not reminded yet."""
    return Contract.objects.filter(
        reminded_at__isnull=True,
        ends_on__gte=today,
        ends_on__lte=today + datetime.timedelta(days=366),
        owner__isnull=False,
        owner__is_active=True,
    ).filter(
        ends_on__lte=ExpressionWrapper(
            Value(today) + F("remind_days") * Value(datetime.timedelta(days=1)), output_field=DateField()
        )
    )


def _remind(contract_id: int, now: datetime.datetime) -> bool:
    from activities.models import ActivityType
    from activities.services import activity_create

    with transaction.atomic():
        # The claim: the one run whose UPDATE changes the row makes the to-do.
        if not Contract.objects.filter(pk=contract_id, reminded_at__isnull=True).update(reminded_at=now):
            return False
        contract = Contract.objects.select_related("owner", "company").get(pk=contract_id)
        ends = contract.ends_on
        values = {
            "subject": (
                _("%(contract)s ends on %(date)s: renew or follow up")
                % {"contract": contract.name, "date": ends.isoformat()}
            )[:200],
            "owner": contract.owner,
            "activity_type": (
                ActivityType.objects.filter(name="Other").first() or ActivityType.objects.first()
            ),
            "due_at": max(now, timezone.make_aware(datetime.datetime.combine(ends, datetime.time(9)))),
        }
        # On the company's timeline when the owner sees the company (a to-do links only records
        # its owner sees); else the to-do stands alone.
        if access.visible_to(Company.objects.filter(pk=contract.company_id), contract.owner).exists():
            values["company"] = contract.company
            values["notes"] = _("The %(kind)s of %(company)s ends on %(date)s.") % {
                "kind": contract.get_kind_display(),
                "company": contract.company,
                "date": ends.isoformat(),
            }
        activity_create(actor=contract.owner, values=values)
    return True


def contracts_remind(*, now: datetime.datetime | None = None) -> int:
    """Make the owner's to-do for each contract whose reminder day has come, once per contract
    end (safe to run twice or concurrently). Returns how many were made."""
    now = now or timezone.now()
    made = 0
    ids = list(
        due_for_reminder(timezone.localdate(now)).order_by("ends_on", "pk").values_list("pk", flat=True)
    )
    for contract_id in ids:
        made += _remind(contract_id, now)
    return made
