"""The "forget this person" request (GDPR art. 17): recorded with who asked, when and how, due one
month after receipt (art. 12(3)), then completed — the person anonymised by the same service as
everywhere (gdpr.services.records_anonymise) — or refused with the reason (a legal hold, a
contract still running). Every step is logged in the GDPR log, never with the old values."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gdpr import registry, services
from gdpr.models import ERASURE_DAYS, ErasureRequest, GdprEvent

OPEN_LISTED = 200  # open requests on the list page; more is said, the oldest due come first


class ErasureRequestError(ValueError):
    """The request cannot take that step (already decided, a refusal without a reason…)."""


def due_date(received_on: datetime.date) -> datetime.date:
    return received_on + datetime.timedelta(days=ERASURE_DAYS)


def _check(actor, record: models.Model) -> registry.Subject:
    subject = registry.subject_for_model(type(record))
    if subject is None:
        raise services.NotAPersonError(type(record)._meta.label)
    services.check_may_manage(actor, [record])
    return subject


def _log(action: str, actor, request: ErasureRequest, **detail) -> None:
    GdprEvent.objects.create(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        content_type_id=request.content_type_id,
        object_id=request.object_id,
        detail={"request": request.pk, **detail},
        reason=request.refusal_reason[:200],
    )


@transaction.atomic
def erasure_request_record(
    *,
    actor,
    record: models.Model,
    channel: str,
    received_on: datetime.date | None = None,
    requester: str = "",
    notes: str = "",
) -> ErasureRequest:
    """Record that the person of `record` asked to be forgotten; one open request per person."""
    _check(actor, record)
    if services.is_anonymised(record):
        raise ErasureRequestError(_("This person has already been anonymised."))
    received_on = received_on or timezone.localdate()
    request = ErasureRequest(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        channel=channel,
        received_on=received_on,
        due_on=due_date(received_on),
        requester=requester.strip(),
        notes=notes.strip(),
        recorded_by=actor,
    )
    request.full_clean(exclude=["content_type"])
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("The request cannot have been received in the future.")})
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        raise ErasureRequestError(_("An open request for this person exists already.")) from None
    _log(GdprEvent.Action.REQUEST, actor, request, channel=channel, due_on=str(request.due_on))
    return request


def _open_request(record: models.Model, pk: int) -> ErasureRequest:
    request = (
        ErasureRequest.objects.select_for_update()
        .filter(pk=pk, content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk)
        .first()
    )
    if request is None:
        raise ErasureRequest.DoesNotExist
    if request.status != ErasureRequest.Status.OPEN:
        raise ErasureRequestError(_("This request has already been decided."))
    return request


@transaction.atomic
def erasure_request_complete(*, actor, record: models.Model, request_pk: int) -> ErasureRequest:
    """Answer the request by anonymising the person (irreversible), in the same transaction."""
    _check(actor, record)
    request = _open_request(record, request_pk)
    services.records_anonymise(actor=actor, model=type(record), pks=[record.pk])
    request.status = ErasureRequest.Status.COMPLETED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    _log(GdprEvent.Action.REQUEST, actor, request, decision="completed")
    return request


@transaction.atomic
def erasure_request_refuse(*, actor, record: models.Model, request_pk: int, reason: str) -> ErasureRequest:
    """Refuse the request with the reason the person is told (art. 17(3): a legal obligation…)."""
    _check(actor, record)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"refusal_reason": _("Give the reason for refusing.")})
    request = _open_request(record, request_pk)
    request.status = ErasureRequest.Status.REFUSED
    request.refusal_reason = reason[:300]
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at"])
    _log(GdprEvent.Action.REFUSAL, actor, request, decision="refused")
    return request


def requests_of(record: models.Model) -> models.QuerySet:
    return ErasureRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).select_related("recorded_by", "decided_by")


def open_requests(*, user) -> tuple[list[tuple[ErasureRequest, models.Model]], int]:
    """The open requests about records `user` may see, the earliest due first, each with its
    record (a request about a hidden record is left out, not named), and how many there are."""
    if not user.has_perm(services.MANAGE_PERMISSION):
        raise PermissionDenied
    visible = models.Q(pk__in=[])
    for subject in registry.subjects():
        visible |= models.Q(
            content_type=ContentType.objects.get_for_model(subject.model),
            object_id__in=subject.model.objects.visible_to(user).values("pk"),
        )
    rows = ErasureRequest.objects.filter(visible, status=ErasureRequest.Status.OPEN)
    requests = list(rows.select_related("recorded_by").order_by("due_on", "pk")[:OPEN_LISTED])
    records: dict[tuple[int, int], models.Model] = {}
    for content_type_id in {request.content_type_id for request in requests}:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        ids = [request.object_id for request in requests if request.content_type_id == content_type_id]
        records |= {(content_type_id, row.pk): row for row in model._base_manager.filter(pk__in=ids)}
    listed = [(request, records[(request.content_type_id, request.object_id)]) for request in requests]
    return listed, rows.count()
