"""Background work that survives broker, worker and database faults.

Every piece of work is a row first (crm.models.OutboxItem: a mail, a text message, a queued task),
written in the caller's transaction; Celery carries only the row's id.

- **Enqueueing never fails a request.** After the caller commits, the row is handed to the broker
  once, with short socket timeouts (settings CELERY_BROKER_TRANSPORT_OPTIONS): a broker that is
  down or frozen costs the request about a second at most, is logged, and the row waits for the
  requeue job. After a failure this process skips the broker for a few seconds, so an outage does
  not slow every request.
- **One live worker per row, the attempt committed first.** `deliver` takes a PostgreSQL
  advisory lock on the row (it goes with the connection when a worker dies), then commits the
  attempt (status "sending") before the outside world is touched, so the outbox shows what may
  have gone out. A repeat after a crash reuses the row's Message-ID or reference: the same
  message. A queued task runs in one transaction with the deletion of its row: exactly once.
- **Recovered in seconds.** `requeue_stalled` (beat, every 15 s) hands the broker again what a
  fault stranded: rows that never reached it, rows whose worker died mid-attempt (sending, lock
  free), failed attempts whose retry time came, and rows the broker lost (handed over, never
  started, and the broker's queue is empty — or minutes have passed). Each requeue of a row
  waits twice as long as the one before, so a long backlog is not flooded with copies. Database
  and broker errors in a worker retry within seconds (`run_delivery`); errors of the outside
  world (SMTP, SMS gateway) back off by minutes. A worker whose message went out while the
  database was away notes it in Redis at once, then keeps trying to note it in the row for a
  minute. Its advisory lock went with the lost connection, so once the database is back the
  requeue job may hand the row to another worker; that worker finds the note in Redis and marks
  the row sent instead of sending it again.

A kind of work registers its model and Celery task with `register`, so the requeue job knows it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

import redis
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError

from crm import shared_redis
from crm.models import OutboxItem, QueuedTask

logger = logging.getLogger(__name__)

Status = OutboxItem.Status
OPEN = (Status.PENDING, Status.SENDING)

# Errors of the infrastructure (the database unreachable or restarting, the broker): retried within
# seconds by Celery. Other database errors (an integrity error, say) are the attempt's own.
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, KombuError, redis.RedisError)
# What publishing raises when the broker is down, frozen or refuses.
BROKER_ERRORS = (KombuError, redis.RedisError, OSError)

BROKER_PAUSE_SECONDS = 5.0  # after a failed publish, this process leaves the broker alone this long
NEVER_PUBLISHED_GRACE = timedelta(seconds=10)  # the committing request is still handing it over
# Handed to the broker, never started: the broker lost it (a Redis restarted without its data, a
# worker killed with it reserved) — soon when the broker's queue is empty, else after a while,
# since a long queue may simply still hold it.
LOST_AFTER_WHEN_QUEUE_EMPTY = timedelta(seconds=10)
LOST_AFTER = timedelta(minutes=2)
FINISH_PATIENCE_SECONDS = 60.0  # how long a worker keeps trying to note a sent message
SENT_NOTE_SECONDS = 24 * 3600  # how long Redis remembers a message the database did not hear about
REQUEUE_SPACING = timedelta(seconds=60)  # doubled at each requeue of the same row, up to an hour
MAX_ATTEMPTS = 8  # attempts of the outside world (SMTP, SMS gateway) before a row is failed
REQUEUE_BATCH = 1000


@dataclass(frozen=True)
class Kind:
    model: type[OutboxItem]
    task_name: str
    lock_namespace: int


_kinds: dict[type[OutboxItem], Kind] = {}
_broker_paused_until = 0.0


def register(model: type[OutboxItem], *, task_name: str, lock_namespace: int) -> None:
    """Make `model` a kind of outbox work delivered by the Celery task `task_name(pk)`.

    `lock_namespace` is the first key of the rows' advisory locks, unique per kind."""
    if any(kind.lock_namespace == lock_namespace for kind in _kinds.values() if kind.model is not model):
        raise ValueError(f"advisory lock namespace {lock_namespace} is taken")
    _kinds[model] = Kind(model=model, task_name=task_name, lock_namespace=lock_namespace)


def kinds() -> list[Kind]:
    return list(_kinds.values())


# Enqueueing


def publish_on_commit(model: type[OutboxItem], pks: Iterable[int]) -> None:
    """Hand the rows to the broker once the caller's transaction commits (never raises)."""
    pks = list(pks)
    if pks:
        transaction.on_commit(lambda: publish(model, pks))


def publish(model: type[OutboxItem], pks: list[int], *, retry: bool = False) -> int:
    """Hand rows to the broker; returns how many it took. A broker fault is logged, not raised:
    the rows stay in the outbox and the requeue job hands them over later."""
    global _broker_paused_until
    from crm.celery import app

    if not retry and time.monotonic() < _broker_paused_until:
        return 0
    task = app.tasks[_kinds[model].task_name]
    published = []
    try:
        for pk in pks:
            task.apply_async(
                args=[pk],
                retry=retry,
                retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
            )
            published.append(pk)
    except BROKER_ERRORS:
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "could not hand %s %s to the broker; they stay in the outbox for the requeue job",
            model._meta.verbose_name_plural,
            [pk for pk in pks if pk not in published][:20],
            exc_info=True,
        )
    if published:
        model.objects.filter(pk__in=published).update(published_at=timezone.now())
    return len(published)


# Delivery


def deliver(
    model: type[OutboxItem],
    pk: int,
    send: Callable[[OutboxItem], None],
    *,
    transactional: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
) -> bool:
    """Run `send(item)` for one open row; False when there was nothing (left) to do.

    `transactional`: `send` only writes to this database, so it runs in one transaction with the
    end of the row (a queued task), and its writes happen exactly once. Otherwise `send` talks
    to the outside world after the attempt is committed, and the row is marked sent after it.
    An exception of `send` is recorded on the row (retried after a back-off, failed after
    `max_attempts`) and raised again."""
    kind = _kinds[model]
    with AdvisoryLock(kind.lock_namespace, pk) as held:
        if not held:
            return False  # another live worker has it
        with transaction.atomic():
            item = model.objects.select_for_update().filter(pk=pk, status__in=OPEN).first()
            if item is None:
                return False
            if item.status == Status.SENDING and not transactional and _noted_as_sent(item):
                # An earlier attempt went out while the database was away; its worker said so.
                _finish(item)
                return False
            item.status = Status.SENDING
            item.attempts += 1
            item.attempted_at = timezone.now()
            item.save(update_fields=["status", "attempts", "attempted_at"])
        try:
            if transactional:
                with transaction.atomic():
                    send(item)
                    _finish(item)
                return True
            send(item)
        except Exception as error:
            _record_failure(model, pk, error, final=item.attempts >= max_attempts)
            raise
        # It went out: this process knows it, so it keeps trying to note it rather than leave a
        # row that another worker would send again.
        _finish_after_send(item)
    return True


def _finish_after_send(item: OutboxItem) -> None:
    deadline = time.monotonic() + FINISH_PATIENCE_SECONDS
    pause = 0.5
    noted = False
    while True:
        try:
            _finish(item)
            return
        except (OperationalError, InterfaceError):
            if not noted:
                noted = _note_sent(item)
            if time.monotonic() + pause > deadline:
                raise
            logger.warning(
                "%s %s went out; noting it when the database answers", item._meta.verbose_name, item.pk
            )
            connection.close()  # the next try opens a new connection
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _sent_note_key(item: OutboxItem) -> str:
    return f"crm:outbox:sent:{item._meta.db_table}:{item.pk}"


def _redis() -> redis.Redis:
    return shared_redis.client()


def _note_sent(item: OutboxItem) -> bool:
    """Tell Redis that `item` went out; False when Redis cannot be told either."""
    try:
        _redis().set(_sent_note_key(item), 1, ex=SENT_NOTE_SECONDS)
    except redis.RedisError:
        logger.exception(
            "%s %s went out and neither the database nor Redis can note it", item._meta.verbose_name, item.pk
        )
        return False
    return True


def _noted_as_sent(item: OutboxItem) -> bool:
    try:
        return bool(_redis().exists(_sent_note_key(item)))
    except redis.RedisError:
        return False  # unsure: sending again with the same Message-ID beats never sending


def _finish(item: OutboxItem) -> None:
    if isinstance(item, QueuedTask):
        item.delete()  # done; its arguments (an address, say) are kept no longer than needed
        return
    type(item).objects.filter(pk=item.pk).update(
        status=Status.SENT, sent_at=timezone.now(), last_error="", retry_at=None
    )


def _record_failure(model: type[OutboxItem], pk: int, error: Exception, *, final: bool) -> None:
    if isinstance(error, INFRASTRUCTURE_ERRORS):
        return  # the database or broker failed, not the attempt: the row stays "sending" for requeue
    attempts = model.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 1
    try:
        model.objects.filter(pk=pk, status=Status.SENDING).update(
            status=Status.FAILED if final else Status.PENDING,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            retry_at=timezone.now() + retry_delay(attempts),
        )
    except DatabaseError:
        logger.exception("could not record the failed attempt of %s %s", model._meta.verbose_name, pk)
    if final:
        name = model._meta.verbose_name
        logger.error("giving up on %s %s after %s attempts: %s", name, pk, attempts, error)


def retry_delay(attempts: int) -> timedelta:
    """The wait after a failed attempt of the outside world: 1, 2, 4 … minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=1))


def infrastructure_countdown(retries: int) -> float:
    """Seconds before a Celery retry after a database or broker error: 1, 2, 4 … 30, jittered."""
    return min(2.0**retries, 30.0) * random.uniform(0.8, 1.2)


class AdvisoryLock:
    """A session-level advisory lock on (namespace, pk), released on exit or when the connection
    dies with its worker — which is what tells the requeue job an attempt was abandoned."""

    def __init__(self, namespace: int, pk: int):
        self.keys = (namespace, pk % 2**31)
        self.held = False

    def __enter__(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", self.keys)
            self.held = cursor.fetchone()[0]
        return self.held

    def __exit__(self, *exc_info) -> None:
        if not self.held:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", self.keys)
        except DatabaseError:
            pass  # the connection is gone, and the lock with it


def run_delivery(task, model: type[OutboxItem], pk: int, deliver_one: Callable[[int], object]) -> None:
    """The body of a delivery task: database and broker errors retry within seconds; an error of
    the outside world is already on the row, whose retry the requeue job publishes."""
    try:
        deliver_one(pk)
    except INFRASTRUCTURE_ERRORS as error:
        if task.request.retries >= task.max_retries:
            logger.error("%s %s: %s; left to the requeue job", task.name, pk, error)
            return
        raise task.retry(exc=error, countdown=infrastructure_countdown(task.request.retries)) from error
    except Exception as error:  # recorded on the row by deliver(); the requeue job retries it
        logger.warning("%s %s failed: %s", task.name, pk, error)


# Recovery


def broker_queue_is_empty() -> bool:
    """Whether the broker holds no message waiting in the default queue (False when unsure)."""
    from crm.celery import app

    if app.conf.task_always_eager:
        return True
    try:
        with app.connection_for_write() as broker:
            return broker.default_channel.client.llen(app.conf.task_default_queue) == 0
    except BROKER_ERRORS:
        return False


def stalled(kind: Kind, *, now=None, queue_is_empty: bool = False) -> list[int]:
    """Open rows of `kind` that no worker holds and that a fault stranded (see the module)."""
    now = now or timezone.now()
    lost_after = LOST_AFTER_WHEN_QUEUE_EMPTY if queue_is_empty else LOST_AFTER
    table = kind.model._meta.db_table
    # A table name from the model, and the namespace as a parameter.
    held = (
        "NOT EXISTS (SELECT 1 FROM pg_locks WHERE pg_locks.locktype = 'advisory' AND pg_locks.granted"  # noqa: S608
        " AND pg_locks.classid = %s AND pg_locks.objsubid = 2"
        f" AND pg_locks.objid::bigint = mod({table}.id, 2147483648))"
    )
    return list(
        kind.model.objects.filter(status__in=OPEN)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .filter(
            Q(published_at__isnull=True, created_at__lte=now - NEVER_PUBLISHED_GRACE)
            | Q(status=Status.SENDING)
            | Q(attempts__gt=0, status=Status.PENDING)
            | Q(attempted_at__isnull=True, published_at__lte=now - lost_after)
        )
        .extra(where=[held], params=[kind.lock_namespace])  # noqa: S610 - a constant and a table name
        .order_by("created_at")
        .values_list("pk", flat=True)[:REQUEUE_BATCH]
    )


def requeue_stalled() -> int:
    """Hand the broker again what a fault stranded; returns how many rows were requeued."""
    requeued = 0
    queue_is_empty = broker_queue_is_empty()
    for kind in kinds():
        pks = stalled(kind, queue_is_empty=queue_is_empty)
        if not pks:
            continue
        count = publish(kind.model, pks, retry=True)
        if count:
            now = timezone.now()
            # Each requeue of a row waits twice as long as the last before the next one.
            for times, group in _by_requeue_count(kind.model, pks):
                spacing = min(REQUEUE_SPACING * 2**times, timedelta(hours=1))
                kind.model.objects.filter(pk__in=group).update(
                    retry_at=now + spacing, requeued=F("requeued") + 1
                )
            logger.info("requeued %s stalled %s", count, kind.model._meta.verbose_name_plural)
        requeued += count
    return requeued


def _by_requeue_count(model: type[OutboxItem], pks: list[int]) -> list[tuple[int, list[int]]]:
    groups: dict[int, list[int]] = {}
    for pk, times in model.objects.filter(pk__in=pks).values_list("pk", "requeued"):
        groups.setdefault(times, []).append(pk)
    return sorted(groups.items())


# Queued tasks: a function run once in a worker, its arguments stored in the caller's transaction

_queueable: dict[str, Callable[..., None]] = {}


def queueable(function: Callable[..., None]) -> Callable[..., None]:
    """Allow `function` to be run by `enqueue` (keyword arguments that JSON can hold)."""
    _queueable[f"{function.__module__}.{function.__qualname__}"] = function
    return function


def enqueue(function: Callable[..., None], **kwargs) -> QueuedTask:
    """Run `function(**kwargs)` in a worker once the caller's transaction commits — exactly once,
    whatever the broker, the worker or the database does meanwhile."""
    name = f"{function.__module__}.{function.__qualname__}"
    if _queueable.get(name) is not function:
        raise ValueError(f"{name} is not marked @queueable")
    queued = QueuedTask.objects.create(function=name, kwargs=kwargs)
    publish_on_commit(QueuedTask, [queued.pk])
    return queued


def run_queued(pk: int) -> bool:
    """Run one queued task (its worker side)."""

    def run(queued: QueuedTask) -> None:
        function = _queueable.get(queued.function)
        if function is None:
            raise LookupError(f"no queueable function {queued.function}")
        function(**queued.kwargs)

    return deliver(QueuedTask, pk, run, transactional=True)


register(QueuedTask, task_name="crm.tasks.queued_task_run", lock_namespace=1001)
