"""The queue between the tracking endpoint and the database: page visits are accepted fast and
written in batches (issue 14: the endpoint sustains 1,000 events/s).

The endpoint (marketing.webforms.beacon) checks a report without touching the database and, in
one round trip to Redis, counts it against its client's rate limit and appends it to a list
(`accept`). A drain (`visits_drain`: Celery beat every few seconds, or `manage.py visits_drain`)
takes up to BATCH_SIZE events at a time and writes them set-wise: which visitors may be
followed (two queries), the page patterns' points (cached), the PageVisit rows with COPY and
the scores through marketing.scoring.record_events_bulk.

Exactly once, even when a drain dies. A batch is claimed atomically (a Lua script: LPOP with a
count, then RPUSH onto a processing list of its own, named by a fresh batch key, and the key
noted with its claim time). The batch is written in one transaction together with a VisitBatch
row of that key (unique), and only then is its processing list deleted. A drain that died
leaves the list behind: a later drain takes over every batch claimed more than LEASE_SECONDS
ago — if its VisitBatch row exists the batch was written and the list is just deleted,
otherwise it is written now; a drain that was only slow and commits the same batch after all
fails on the unique key and writes nothing. So a visit is written once, or (Redis itself lost)
not at all: a page visit is worth little, a duplicate would inflate a score.

All keys share the hash tag {webforms:visits} so that one script's keys lie in one slot of a
Redis Cluster too.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from contacts.models import Person
from crm.bulk import copy_rows
from leads.models import Lead
from marketing import scoring
from marketing.models import ScoreKind
from marketing.webforms.models import PageVisit, Submission, VisitBatch
from marketing.webforms.services import points_of_path

logger = logging.getLogger(__name__)

PREFIX = "{webforms:visits}"  # tests give each test a prefix of its own
BATCH_SIZE = 2000
LEASE_SECONDS = 60  # a batch claimed longer ago than this belongs to a drain that died
MAX_QUEUED = getattr(settings, "WEBFORMS_MAX_QUEUED_VISITS", 1_000_000)  # past it, visits are dropped
KEEP_BATCH_KEYS = timedelta(days=1)
# A request must not hang on a frozen Redis: a second at most, then 503.
SOCKET_SECONDS = getattr(settings, "WEBFORMS_REDIS_TIMEOUT_SECONDS", 1.0)

RedisError = redis.RedisError

# KEYS: rate counter, queue. ARGV: window seconds, limit, event ("" for a report that is counted
# but not stored: a bad payload, an unknown token), queue cap. Returns the client's count.
_ACCEPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if count <= tonumber(ARGV[2]) and ARGV[3] ~= '' and redis.call('LLEN', KEYS[2]) < tonumber(ARGV[4]) then
  redis.call('RPUSH', KEYS[2], ARGV[3])
end
return count
"""

# KEYS: queue, the batch's processing list, the claimed batches (sorted by claim time).
# ARGV: how many, batch key, now. Returns the claimed events.
_CLAIM = """
local items = redis.call('LPOP', KEYS[1], ARGV[1])
if not items then return {} end
for first = 1, #items, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(items, first, math.min(first + 999, #items)))
end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
return items
"""

_client: redis.Redis | None = None
_scripts: dict[str, object] = {}


def client() -> redis.Redis:
    """The process's Redis client (made on first use, after gunicorn forked its workers)."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=SOCKET_SECONDS, socket_connect_timeout=SOCKET_SECONDS
        )
    return _client


def _script(source: str):
    if source not in _scripts:
        _scripts[source] = client().register_script(source)  # EVALSHA, loaded on first use
    return _scripts[source]


def queue_key() -> str:
    return f"{PREFIX}:queue"


def _batches_key() -> str:
    return f"{PREFIX}:batches"


def _processing_key(batch: str) -> str:
    return f"{PREFIX}:processing:{batch}"


def encode(*, person_id: int | None, lead_id: int | None, url: str, path: str, at: float) -> str:
    return json.dumps({"p": person_id, "l": lead_id, "u": url, "a": path, "t": at}, separators=(",", ":"))


def accept(*, client_key: str, limit: int, window_seconds: int, event: str) -> int:
    """Count a report of `client_key` (a hash of its address) and queue `event` ("" for none)
    if the client is within its limit; the client's count in this window. One round trip."""
    return int(
        _script(_ACCEPT)(
            keys=[f"{PREFIX}:rate:{client_key}", queue_key()],
            args=[window_seconds, limit, event, MAX_QUEUED],
        )
    )


def queued() -> int:
    """How many visits wait for the drain."""
    return int(client().llen(queue_key()))


@dataclass
class DrainResult:
    events: int = 0  # taken from the queue (or from a dead drain's batch)
    recorded: int = 0  # page visits written
    batches: int = 0


@dataclass(frozen=True)
class _Visit:
    person_id: int | None
    lead_id: int | None
    url: str
    path: str
    at: datetime


def _decode(raw: bytes) -> _Visit | None:
    """An event as the endpoint queued it; None for anything else (never trusted blindly)."""
    try:
        value = json.loads(raw)
        person_id, lead_id, url, path = value["p"], value["l"], value["u"], value["a"]
        at = datetime.fromtimestamp(float(value["t"]), tz=UTC)
    except (ValueError, TypeError, KeyError, OverflowError, OSError):
        return None
    ids_ok = all(v is None or (type(v) is int and v > 0) for v in (person_id, lead_id))
    if not ids_ok or (person_id is None and lead_id is None):
        return None
    if not isinstance(url, str) or not isinstance(path, str):
        return None
    return _Visit(person_id, lead_id, url, path, at)


def _trackable(visits: list[_Visit]) -> tuple[set[int], set[int]]:
    """Which of the visits' people and leads may be followed: a person who agreed to e-mail and
    did not unsubscribe; a lead who ticked a form's consent box (and is not disqualified)."""
    person_ids = {visit.person_id for visit in visits if visit.person_id is not None}
    lead_ids = {visit.lead_id for visit in visits if visit.lead_id is not None}
    people = set()
    if person_ids:
        people = set(
            Person.objects.filter(
                pk__in=person_ids, consent_email=True, unsubscribed_at__isnull=True
            ).values_list("pk", flat=True)
        )
    leads = set()
    if lead_ids:
        consented = Submission.objects.filter(lead=OuterRef("pk"), consent=True)
        leads = set(
            Lead.objects.filter(Exists(consented), pk__in=lead_ids)
            .exclude(status=Lead.Status.DISQUALIFIED)
            .values_list("pk", flat=True)
        )
    return people, leads


def _write(batch: str, items: list[bytes]) -> int | None:
    """Write one batch of queued visits; how many were recorded, or None when this batch was
    written before (by a drain that died before deleting its list, or a concurrent one)."""
    visits = [visit for visit in map(_decode, items) if visit is not None]
    try:
        with transaction.atomic():
            # Page visits are worth little alone: the commit does not wait for the disk (a crash
            # may lose the last fraction of a second of them, never leave a batch half-written).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            VisitBatch.objects.create(key=batch, events=len(items))
            people, leads = _trackable(visits)
            points_cache: dict[str, int | None] = {}
            rows, events = [], []
            for visit in visits:
                if visit.path not in points_cache:
                    points_cache[visit.path] = points_of_path(visit.path)
                points = points_cache[visit.path]
                person_id = visit.person_id if visit.person_id in people else None
                lead_id = visit.lead_id if visit.lead_id in leads else None
                if points is None or (person_id is None and lead_id is None):
                    continue
                url = visit.url[:500]
                rows.append(
                    {
                        "person_id": person_id,
                        "lead_id": lead_id,
                        "url": url,
                        "points": points,
                        "visited_at": visit.at,
                    }
                )
                events.append(
                    scoring.Event(
                        kind=ScoreKind.PAGE_VISITED,
                        person_id=person_id,
                        lead_id=lead_id,
                        points=points,
                        detail=url,
                        occurred_at=visit.at,
                    )
                )
            copy_rows(PageVisit, rows)
            scoring.record_events_bulk(events)
    except IntegrityError:
        if VisitBatch.objects.filter(key=batch).exists():
            return None
        raise
    return len(rows)


def _finish(batch: str) -> None:
    pipe = client().pipeline(transaction=True)
    pipe.delete(_processing_key(batch))
    pipe.zrem(_batches_key(), batch)
    pipe.execute()


def _drain_batch(batch: str, items: list[bytes], result: DrainResult) -> None:
    recorded = _write(batch, items)
    _finish(batch)
    result.events += len(items)
    result.batches += 1
    result.recorded += recorded or 0


def _take_over_dead_batches(result: DrainResult) -> None:
    redis_client = client()
    stale = redis_client.zrangebyscore(_batches_key(), "-inf", time.time() - LEASE_SECONDS)
    for raw_key in stale:
        batch = raw_key.decode()
        logger.warning("Taking over visit batch %s of a drain that stopped.", batch)
        _drain_batch(batch, redis_client.lrange(_processing_key(batch), 0, -1), result)


def visits_drain(*, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> DrainResult:
    """Write the queued page visits, a batch at a time, until the queue is empty (or
    `max_batches` were written); batches of drains that died are finished first."""
    result = DrainResult()
    _take_over_dead_batches(result)
    claim = _script(_CLAIM)
    while max_batches is None or result.batches < max_batches:
        batch = uuid.uuid4().hex
        items = claim(
            keys=[queue_key(), _processing_key(batch), _batches_key()], args=[batch_size, batch, time.time()]
        )
        if not items:
            break
        _drain_batch(batch, items, result)
    VisitBatch.objects.filter(drained_at__lt=timezone.now() - KEEP_BATCH_KEYS).delete()
    return result
