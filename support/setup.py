"""Setting customer service up (issue 15 items 2 and 5): queues and SLA policies with their
targets per priority, business hours and holidays. support.manage_support's (support.sla_views).

Only one queue and one policy may be the default (partial unique constraints): making a second
one the default is refused with a clear message naming the current one; two people doing it at
the same moment meet the constraint, which is turned into the same message.

Changing a policy does not move the due times of tickets already open under it: a customer was
promised those times when the ticket came in. `policy_recompute_open_tickets` is the explicit
alternative (a button on the policy's page, run by Celery in batches): the open tickets of the
policy take due times from its current targets, hours and holidays.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.services import audit_record
from support.models import Holiday, Queue, SlaPolicy, SlaTarget, Ticket

QUEUE_FIELDS = ["name", "team", "assignment", "email_address", "is_default", "is_active"]
POLICY_FIELDS = ["name", "is_default", "uses_business_hours", "working_days", "day_starts", "day_ends",
                 "time_zone"]  # fmt: skip
RECOMPUTE_BATCH = 1000


def _check_fields(values: dict[str, Any], allowed: list[str]) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")


def _one_default(model, instance, message: str) -> None:
    if not instance.is_default:
        return
    current = model.objects.filter(is_default=True).exclude(pk=instance.pk).first()
    if current is not None:
        raise ValidationError({"is_default": message % {"name": current.name}})


def _save(instance, message: str) -> None:
    """full_clean and save; a race on the one default ends as the same form error."""
    instance.full_clean(validate_constraints=False)
    _one_default(type(instance), instance, message)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        if "one_default" in str(error):
            raise ValidationError({"is_default": message % {"name": "?"}}) from error
        raise


QUEUE_DEFAULT_TAKEN = gettext_lazy("%(name)s is the default queue: untick it there first.")
POLICY_DEFAULT_TAKEN = gettext_lazy("%(name)s is the default policy: untick it there first.")


@transaction.atomic
def queue_save(*, actor, queue: Queue | None, values: dict[str, Any]) -> Queue:
    """Create (`queue` None) or change a queue."""
    _check_fields(values, QUEUE_FIELDS)
    queue = queue or Queue()
    for name, value in values.items():
        setattr(queue, name, value)
    _save(queue, str(QUEUE_DEFAULT_TAKEN))
    audit_record(actor=actor, verb="saved", instance=queue, changes={k: str(v) for k, v in values.items()})
    return queue


@transaction.atomic
def policy_save(
    *,
    actor,
    policy: SlaPolicy | None,
    values: dict[str, Any],
    targets: dict[str, tuple[int, int]],
    holidays: list[tuple[datetime.date, str]],
) -> SlaPolicy:
    """Create or change a policy with its targets ({priority: (first response, resolution)
    minutes}; a priority left out has no target) and holidays ([(date, name)]), all in one
    transaction. Tickets already open keep their due times (see policy_recompute_open_tickets)."""
    _check_fields(values, POLICY_FIELDS)
    policy = policy or SlaPolicy()
    for name, value in values.items():
        setattr(policy, name, value)
    if policy.uses_business_hours:
        errors = {}
        if not policy.working_days:
            errors["working_days"] = _("Choose the working days.")
        if not policy.day_starts or not policy.day_ends:
            errors["day_starts"] = _("Business hours need a start and an end.")
        elif policy.day_ends <= policy.day_starts:
            errors["day_ends"] = _("The day ends after it starts.")
        if errors:
            raise ValidationError(errors)
    _save(policy, str(POLICY_DEFAULT_TAKEN))
    SlaTarget.objects.filter(policy=policy).exclude(priority__in=list(targets)).delete()
    for priority, (first_response, resolution) in targets.items():
        target = SlaTarget.objects.filter(policy=policy, priority=priority).first() or SlaTarget(
            policy=policy, priority=priority
        )
        target.first_response_minutes, target.resolution_minutes = first_response, resolution
        target.full_clean()
        target.save()
    dates = [day for day, _name in holidays]
    if len(dates) != len(set(dates)):
        raise ValidationError({"holidays": _("Each holiday date only once.")})
    Holiday.objects.filter(policy=policy).exclude(date__in=dates).delete()
    for day, name in holidays:
        Holiday.objects.update_or_create(policy=policy, date=day, defaults={"name": name})
    audit_record(actor=actor, verb="saved", instance=policy)
    return policy


def policy_recompute_open_tickets(*, policy_id: int, batch: int = RECOMPUTE_BATCH) -> int:
    """Give the open tickets of the policy due times from its current targets, hours and holidays
    (batches of `batch`, each its own transaction). Escalations already made stay made. Returns
    how many tickets were recomputed."""
    from support import sla

    policy = SlaPolicy.objects.filter(pk=policy_id).first()
    if policy is None:
        return 0
    clock = sla.Clock(policy)
    targets = {target.priority: target for target in policy.targets.all()}
    done, after = 0, 0
    while True:
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update()
                .filter(sla_policy=policy, status__in=Ticket.OPEN_STATUSES, pk__gt=after)
                .order_by("pk")
                .only("pk", "priority", "created_at", "paused_minutes")[:batch]
            )
            for ticket in tickets:
                target = targets.get(ticket.priority)
                if target is None:
                    ticket.first_response_due_at = ticket.resolution_due_at = None
                else:
                    ticket.first_response_due_at = clock.add(ticket.created_at, target.first_response_minutes)
                    ticket.resolution_due_at = clock.add(
                        ticket.created_at, target.resolution_minutes + ticket.paused_minutes
                    )
            Ticket.objects.bulk_update(tickets, ["first_response_due_at", "resolution_due_at"])
        done += len(tickets)
        if len(tickets) < batch:
            return done
        after = tickets[-1].pk
