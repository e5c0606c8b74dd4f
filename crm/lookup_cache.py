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

Who is signed in is kept the same way, on a second generation (`crm_identity_generation`) that
the sessions and users tables move: every request needs its session and its user, two queries
and a third of the ORM work of a list page. Each process keeps them (`cached_identity`) until
a session or a user is written anywhere — a sign-in, a sign-out, a password or role change, a
deactivation — or the lookup generation moves (group memberships, permissions). Both
generations come with the one query a request makes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.core.signals import request_finished, request_started
from django.db import connection, models
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.forms.models import ModelChoiceIterator
from django.utils.translation import get_language

T = TypeVar("T")

GENERATION_TABLE = "crm_lookup_generation"
TRIGGER = "crm_lookup_changed"
IDENTITY_TABLE = "crm_identity_generation"
IDENTITY_TRIGGER = "crm_identity_changed"
MAX_VALUES = 10_000  # values a process keeps at most
# Rendered page fragments (a list's filter bar, ~10-40 KB each) a process keeps at most.
MAX_FRAGMENTS = 200
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
CREATE TABLE IF NOT EXISTS crm_identity_generation (
    id smallint PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL
);
INSERT INTO crm_identity_generation (id, generation)
    VALUES (1, nextval('crm_lookup_generation_seq')) ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION crm_identity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE crm_identity_generation SET generation = nextval('crm_lookup_generation_seq');
    RETURN NULL;
END $$;
"""

# Watched table -> the columns whose UPDATE matters (empty: any column).
_watched: dict[str, tuple[str, ...]] = {}
# Partly watched table -> its columns that are not watched.
_unwatched_columns: dict[str, frozenset[str]] = {}
# Tables whose every write moves the identity generation (sessions, users).
_identity_watched: set[str] = set()


def watch(*targets: type[models.Model] | str, update_of: tuple[str, ...] = ()) -> None:
    """Watch the tables of these models (or tables by name; e.g. a many-to-many table).

    `update_of` limits UPDATEs that count to those setting one of these columns (the user table:
    a login writes last_login, which no cached value shows)."""
    for target in targets:
        if isinstance(target, str):
            _watched[target] = ()
            continue
        table = target._meta.db_table
        _watched[table] = update_of
        if update_of:
            columns = {field.column for field in target._meta.concrete_fields}
            _unwatched_columns[table] = frozenset(columns - set(update_of) - {target._meta.pk.column})


def watch_identity(*models_: type[models.Model]) -> None:
    """Move the identity generation on any write to these models' tables (sessions, users)."""
    _identity_watched.update(model._meta.db_table for model in models_)


def is_watched(model: type[models.Model]) -> bool:
    return model._meta.db_table in _watched


class _RequestState(threading.local):
    in_request = False
    generation: tuple[int | None, int | None] | None = None  # (lookup, identity)


_request = _RequestState()
_lock = threading.Lock()
_GENERATIONS_SQL = (
    f"SELECT (SELECT generation FROM {GENERATION_TABLE}), (SELECT generation FROM {IDENTITY_TABLE})"  # noqa: S608 - constants
)


def _read_generations() -> tuple[int | None, int | None]:
    with connection.cursor() as cursor:
        cursor.execute(_GENERATIONS_SQL)
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (None, None)


def _generations() -> tuple[int | None, int | None]:
    """Both generations for this request (read once per request; on every call outside one)."""
    if not _request.in_request:
        return _read_generations()
    if _request.generation is None:
        _request.generation = _read_generations()
    return _request.generation


def current_generation() -> int | None:
    """The lookup generation for this request."""
    return _generations()[0]


class _Kept:
    """Values of one process, kept while the generation they were read at is current."""

    def __init__(self, max_values: int = MAX_VALUES):
        self.values: dict[Any, Any] = {}
        self.generation = None
        self.max_values = max_values

    def get(self, generation, key: Any, load: Callable[[], T]) -> T:
        with _lock:
            if generation != self.generation:
                self.values.clear()
                self.generation = generation
            try:
                return self.values[key]
            except KeyError:
                pass
        value = load()
        with _lock:
            if self.generation == generation:
                if len(self.values) >= self.max_values:
                    self.values.clear()  # keys that vary (a user's id) cannot grow without bound
                self.values[key] = value
        return value

    def clear(self) -> None:
        with _lock:
            self.values.clear()
            self.generation = None


_lookups = _Kept()
_identities = _Kept()
_fragments = _Kept(MAX_FRAGMENTS)
_values = _lookups.values  # what the process keeps (tests look)


def cached(key: Any, load: Callable[[], T]) -> T:
    """`load()`'s value, kept in this process until a watched table changes.

    `load` must read watched tables only, and the value must be treated as read-only: it is
    shared by every request of the process."""
    generation = current_generation()
    if generation is None:  # not migrated yet: nothing to compare with
        return load()
    return _lookups.get(generation, key, load)


def cached_fragment(key: Any, render: Callable[[], T]) -> T:
    """A rendered piece of page that shows watched tables only (a filter bar: its options, labels
    and the values typed into it), kept like `cached`'s values, in a smaller store: `key` must hold
    everything else it shows (the language, the query string, the user's permissions)."""
    generation = current_generation()
    if generation is None:
        return render()
    return _fragments.get(generation, key, render)


class _WholeTable(dict):
    """A kept table by primary key. A row written after this request read the generation (and
    committed before the request read the record that names it) is not in it yet: it is read on
    its own, and the kept table reloads on the next request."""

    def __init__(self, rows: dict, read_one: Callable[[Any], Any]):
        super().__init__(rows)
        self._read_one = read_one

    def __missing__(self, pk):
        return self._read_one(pk)


def _require_watched(model: type[models.Model], fields: tuple[str, ...]) -> None:
    if not is_watched(model):
        raise ValueError(f"{model._meta.label} is not watched: its rows cannot be kept.")
    columns = {model._meta.get_field(name).column for name in fields}
    unwatched = columns & _unwatched_columns.get(model._meta.db_table, frozenset())
    if unwatched:
        raise ValueError(f"{model._meta.label}: changes of {sorted(unwatched)} are not watched.")


def table(model: type[models.Model], *fields: str) -> dict[Any, tuple]:
    """{pk: (the fields' values…)} of a whole watched table (stages, statuses, users…), kept like
    the rest: a list row shows its stage, status or owner from here instead of a join and a record
    built for each (three records a row, 150 a page, were a sixth of a list request's CPU)."""
    _require_watched(model, fields)
    rows = model._base_manager.values_list(*fields)
    return cached(
        ("table", model._meta.label, fields),
        lambda: _WholeTable(
            {pk: tuple(values) for pk, *values in model._base_manager.values_list("pk", *fields)},
            lambda pk: tuple(rows.get(pk=pk)),
        ),
    )


def labels(model: type[models.Model], *fields: str) -> dict[Any, str]:
    """{pk: str(record)} of a whole watched table, read with `fields` only (those its str() uses)."""
    _require_watched(model, fields)
    records = model._base_manager.only(*fields)
    return cached(
        ("labels", model._meta.label, fields, get_language()),
        lambda: _WholeTable(
            {record.pk: str(record) for record in records.all()}, lambda pk: str(records.get(pk=pk))
        ),
    )


def cached_identity(key: Any, load: Callable[[], T]) -> T:
    """`load()`'s value (a session, a user), kept in this process until a session or a user is
    written, or the lookup generation moves. Read-only, like `cached`'s values."""
    generations = _generations()
    if None in generations:  # not migrated yet
        return load()
    return _identities.get(generations, key, load)


# The tables a query reads, from its SQL: its FROM and JOINs, its subqueries' too.
_TABLES_READ = re.compile(r'\b(?:FROM|JOIN)\s+"([^"]+)"')
_IDENTIFIERS = re.compile(r'"([^"]+)"')


class LookupChoiceIterator(ModelChoiceIterator):
    """The options of a model choice field, kept like the rest when the query reads only watched
    tables (stages, sectors, teams, active users…): a form with ten such selects ran ten queries
    and built every option's instance on each page view.

    A field with its own label function per instance, a queryset with prefetches, or one that
    reads any table that is not watched (a visibility subquery, a join with companies) is read from
    the database as before. Installed for every ModelChoiceField (forms, admin) in CrmConfig."""

    def _key(self):
        field, queryset = self.field, self.queryset
        if "label_from_instance" in vars(field) or queryset._prefetch_related_lookups:
            return None
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # .none(): nothing to keep
            return None
        tables = set(_TABLES_READ.findall(sql))
        if not tables or not tables <= _watched.keys():
            return None
        unwatched = set().union(*(_unwatched_columns.get(table, ()) for table in tables))
        if unwatched & set(_IDENTIFIERS.findall(sql)):
            return None  # it reads a column whose changes nobody reports (e.g. a user's e-mail)
        label = type(field).label_from_instance
        return (
            "choices",
            sql,
            repr(params),
            field.to_field_name,
            label.__module__,
            label.__qualname__,
            get_language(),
        )

    def _choices(self) -> list | None:
        key = self._key()
        if key is None:
            return None
        return cached(key, lambda: [self.choice(obj) for obj in self.queryset])

    def __iter__(self):
        choices = self._choices()
        if choices is None:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from choices

    def __len__(self):
        choices = self._choices()
        if choices is None:
            return super().__len__()
        return len(choices) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        choices = self._choices()
        if choices is None:
            return super().__bool__()
        return self.field.empty_label is not None or bool(choices)


def clear() -> None:
    """Forget every kept value (tests; a process never needs to)."""
    _lookups.clear()
    _identities.clear()
    _fragments.clear()
    _request.generation = None


def _start_request(**kwargs) -> None:
    _request.in_request = True
    _request.generation = None


def _finish_request(**kwargs) -> None:
    _request.in_request = False
    _request.generation = None


def _watched_model_written(sender, **kwargs) -> None:
    # A request that changes a watched table reads the new generation on its next lookup.
    if hasattr(sender, "_meta") and (is_watched(sender) or sender._meta.db_table in _identity_watched):
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
        for table in sorted(_identity_watched & existing):
            cursor.execute(
                f"DROP TRIGGER IF EXISTS {IDENTITY_TRIGGER} ON {quote(table)};"
                f"CREATE TRIGGER {IDENTITY_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                f" ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {IDENTITY_TRIGGER}();"
            )
