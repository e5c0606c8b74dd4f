"""A manual bulk anonymisation of many people, run by a worker with a progress bar.

Above BACKGROUND_FROM people the confirm step queues a job (crm.outbox: exactly once) instead of
anonymising in the request. Each batch is one queued task and one transaction — the batch, the
job's progress and the next batch's queued task commit together — so the page that polls sees
the progress grow, a killed worker loses nothing and a batch is never done twice. The actor's
permission and each record's editability are checked again by the worker (they may have changed
since the confirm); a refusal fails the job and keeps the finished batches."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm import outbox
from gdpr import registry, services
from gdpr.models import BulkAnonymisation, GdprEvent

BACKGROUND_FROM = 100  # more people than this: a background job with a progress bar
BATCH = 500  # as the retention job (gdpr.services.RETENTION_BATCH): 100 steps for 50,000 people
JOBS_LISTED = 10


def should_run_in_background(count: int) -> bool:
    return count > BACKGROUND_FROM


@transaction.atomic
def bulk_anonymisation_start(*, actor, subject: registry.Subject, pks: list[int]) -> BulkAnonymisation:
    """Queue the anonymisation of `pks` (the caller resolved them through crm.access)."""
    services.check_may_manage(actor, [])
    job = BulkAnonymisation.objects.create(
        actor=actor, subject_key=subject.key, pks=sorted(set(pks)), total=len(set(pks))
    )
    GdprEvent.objects.create(
        action=GdprEvent.Action.BULK, actor=actor, detail={"job": str(job.pk), "count": job.total}
    )
    outbox.enqueue(bulk_anonymisation_run, job_id=str(job.pk))
    return job


def _fail(job: BulkAnonymisation, error: str) -> None:
    BulkAnonymisation.objects.filter(pk=job.pk).update(
        status=BulkAnonymisation.Status.FAILED, error=error[:200], finished_at=timezone.now()
    )


@outbox.queueable
def bulk_anonymisation_run(*, job_id: str) -> None:
    """One batch of the job, then the next one queued in the same transaction."""
    job = BulkAnonymisation.objects.select_for_update().select_related("actor").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    subject = registry.subject(job.subject_key)
    batch = job.pks[job.done : job.done + BATCH]
    if subject is None:
        _fail(job, "unknown subject")
        return
    if not batch:
        BulkAnonymisation.objects.filter(pk=job.pk).update(
            status=BulkAnonymisation.Status.DONE, finished_at=timezone.now()
        )
        return
    actor = job.actor
    try:
        with transaction.atomic():
            if not actor.is_active:
                raise PermissionDenied
            count = services.records_anonymise(actor=actor, model=subject.model, pks=batch)
    except PermissionDenied:
        _fail(job, "permission denied")
        return
    finished = job.done + len(batch) >= job.total
    BulkAnonymisation.objects.filter(pk=job.pk).update(
        status=BulkAnonymisation.Status.DONE if finished else BulkAnonymisation.Status.RUNNING,
        done=F("done") + len(batch),
        anonymised=F("anonymised") + count,
        finished_at=timezone.now() if finished else None,
    )
    if not finished:
        outbox.enqueue(bulk_anonymisation_run, job_id=job_id)


def jobs_of(*, user):
    """`user`'s own bulk anonymisations, newest first."""
    services.check_may_manage(user, [])
    return BulkAnonymisation.objects.filter(actor=user).defer("pks")
