"""Small, rarely changed tables that every page reads, kept in each process until they change.

Every list page reads the same handful of small tables: the organisation settings, the search
configuration, the custom field definitions, the filter bar's choices (users, teams, sectors,
stages…) and the user's permissions. Read from PostgreSQL on each request they were 11 of a
list's 17 queries and a third of its CPU. Here each is read once per process and kept until
PostgreSQL says that one of the watched tables changed:

* a statement-level trigger on each watched table sets the one row of `crm_lookup_generation`
  to a fresh value of a sequence, inside the writer's transaction;
* a request reads that row once, on first use (one indexed single-row query), and the process
  drops everything it kept when the generation differs from the one its values were read at.

So a change reaches every web process and worker on its next request, whoever made it (a form,
Django admin, a task, a migration, psql), and never before it is committed: a permission
revoked or a setting narrowed takes effect at once. A sequence never hands out a value twice,
so a rolled-back change cannot leave behind a generation that a later change would reuse.

Apps watch their own small tables from their AppConfig.ready() with `watch()`; the triggers are
(re)created after every `migrate`, so a table added later is watched from its first migration.
Big tables (companies, people, deals…) are never watched: they change all the time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.signals import request_finished, request_started
from django.db import connection, models
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

GENERATION_TABLE = "crm_lookup_generation"
TRIGGER = "crm_lookup_changed"
SETUP_SQL = """
CREATE SEQUENCE IF NOT EXISTS crm_lookup_generation_seq;
CREATE TABLE IF NOT EXISTS crm_lookup_generation (
    id smallint PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL
);
INSERT INTO crm_lookup_generation (id, generation)
    VALUES (1, nextval('crm_lookup_generation_seq')) ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION crm_lookup_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE crm_lookup_generation SET generation = nextval('crm_lookup_generation_seq');
    RETURN NULL;
END $$;
"""

# Watched table -> the columns whose UPDATE matters (empty: any column).
_watched: dict[str, tuple[str, ...]] = {}


def watch(*targets: type[models.Model] | str, update_of: tuple[str, ...] = ()) -> None:
    """Watch the tables of these models (or tables by name; e.g. a many-to-many table).

    `update_of` limits UPDATEs that count to those setting one of these columns (the user table:
    a login writes last_login, which no cached value shows)."""
    for target in targets:
        if isinstance(target, str):
            _watched[target] = update_of
        else:
            _watched[target._meta.db_table] = update_of


def is_watched(model: type[models.Model]) -> bool:
    return model._meta.db_table in _watched


class _RequestState(threading.local):
    in_request = False
    generation: int | None = None


_request = _RequestState()
_values: dict[Any, Any] = {}
_values_generation: int | None = None
_lock = threading.Lock()


def _read_generation() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT generation FROM {GENERATION_TABLE}")  # noqa: S608 - a constant
        row = cursor.fetchone()
    return row[0] if row else None


def current_generation() -> int | None:
    """The generation for this request (read once per request; on every call outside one)."""
    if not _request.in_request:
        return _read_generation()
    if _request.generation is None:
        _request.generation = _read_generation()
    return _request.generation


def cached(key: Any, load: Callable[[], T]) -> T:
    """`load()`'s value, kept in this process until a watched table changes.

    `load` must read watched tables only, and the value must be treated as read-only: it is
    shared by every request of the process."""
    global _values_generation
    generation = current_generation()
    if generation is None:  # not migrated yet: nothing to compare with
        return load()
    with _lock:
        if generation != _values_generation:
            _values.clear()
            _values_generation = generation
        try:
            return _values[key]
        except KeyError:
            pass
    value = load()
    with _lock:
        if _values_generation == generation:
            _values[key] = value
    return value


def clear() -> None:
    """Forget every kept value (tests; a process never needs to)."""
    global _values_generation
    with _lock:
        _values.clear()
        _values_generation = None
    _request.generation = None


def _start_request(**kwargs) -> None:
    _request.in_request = True
    _request.generation = None


def _finish_request(**kwargs) -> None:
    _request.in_request = False
    _request.generation = None


def _watched_model_written(sender, **kwargs) -> None:
    # A request that changes a watched table reads the new generation on its next lookup.
    if hasattr(sender, "_meta") and is_watched(sender):
        _request.generation = None


request_started.connect(_start_request, dispatch_uid="crm.lookup_cache.start")
request_finished.connect(_finish_request, dispatch_uid="crm.lookup_cache.finish")
for _signal in (post_save, post_delete, m2m_changed):
    _signal.connect(_watched_model_written, dispatch_uid=f"crm.lookup_cache.{id(_signal)}")


def install_triggers(using: str = "default", **kwargs) -> None:
    """Create the generation row, its sequence and a trigger on every watched table.

    Idempotent; connected to post_migrate. Tables not created yet are skipped (the next migrate
    that creates them installs their trigger)."""
    from django.db import connections

    db = connections[using]
    if db.vendor != "postgresql":
        return
    quote = db.ops.quote_name
    with db.cursor() as cursor:
        cursor.execute(SETUP_SQL)
        existing = set(db.introspection.table_names(cursor))
        for table, update_of in sorted(_watched.items()):
            if table not in existing:
                continue
            update = "UPDATE OF " + ", ".join(map(quote, update_of)) if update_of else "UPDATE"
            cursor.execute(
                f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)};"
                f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR {update} OR DELETE OR TRUNCATE"
                f" ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}();"
            )
