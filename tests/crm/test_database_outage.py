"""The real web server through a PostgreSQL restart or outage: 503 "try again", never 500, and
no acknowledged form submission lost or duplicated.

Each test runs gunicorn (crm.wsgi, 2 workers) on a private, migrated PostgreSQL of its own
(tests/faults.py), never on the suite's shared server.
"""

import threading
import time
import uuid
from dataclasses import dataclass

import psycopg
import pytest

from tests.faults import HttpSession, django_env, free_port, private_postgres, start_gunicorn, stop_process
from tests.faults import wait_until_answers as wait_until_server_answers

TRY_AGAIN = "The database is not answering; try again in a moment."
COMPANY_LIST = "/contacts/companies/"
COMPANY_CREATE = "/contacts/companies/new/"


@pytest.fixture(scope="module")
def crm_server(tmp_path_factory):
    """(private PostgreSQL, signed-in HttpSession) of a real gunicorn serving the CRM; shared by
    the tests of this module, as migrating a fresh database takes ~20 s."""
    with private_postgres(tmp_path_factory.mktemp("outage")) as postgres:
        print(f"manage.py migrate on a fresh database: {postgres.migrate_seconds:.1f} s")
        with psycopg.connect(postgres.url, autocommit=True) as database:
            # A company needs only its name here, so that the client below can create many.
            database.execute(
                "UPDATE contacts_requiredfield SET is_required = false WHERE target = 'contacts.company'"
            )
        env = django_env(postgres.url, tmp_path_factory.mktemp("outage-data"))
        port = free_port()
        server = start_gunicorn(port, env)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_server_answers(f"{base_url}/healthz")
            yield postgres, HttpSession.signed_in(base_url, env)
        finally:
            stop_process(server)


@dataclass
class Exchange:
    kind: str  # "create" or "list"
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all


def _ok(exchange: Exchange) -> bool:
    return exchange.status == (302 if exchange.kind == "create" else 200)


def _exchange(session: HttpSession, kind: str, call) -> tuple[Exchange, object]:
    started = time.monotonic()
    try:
        answer = call()
        status = answer.status
    except OSError:
        answer, status = None, 0
    return Exchange(kind, started, time.monotonic(), status), answer


@pytest.mark.fault
def test_a_fast_restart_of_postgresql_answers_503_and_loses_or_doubles_no_acknowledged_create(crm_server):
    """Measured (2-core VM, two fast restarts): 216 requests, 65 creates acknowledged, 86 × 503
    while PostgreSQL shut down and started, 0 × 500, 0 lost, 0 duplicated, recovered 3.1 s and
    0.8 s after each restart began. With the 503 handler removed the same requests answer 500."""
    postgres, session = crm_server
    run = uuid.uuid4().hex[:8]
    exchanges: list[Exchange] = []
    acknowledged: list[str] = []
    stop = threading.Event()

    def client() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            name = f"Outage {run} {number}"
            exchange, _answer = _exchange(
                session,
                "create",
                lambda name=name: session.post_form(
                    COMPANY_CREATE, {"name": name, "confirm_duplicate": "on"}
                ),
            )
            exchanges.append(exchange)
            if exchange.status == 302:
                acknowledged.append(name)
            exchanges.append(_exchange(session, "list", lambda: session.get(COMPANY_LIST))[0])

    def wait_for_acknowledged(count: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while len(acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(acknowledged) >= count, exchanges[-5:]

    worker = threading.Thread(target=client, daemon=True)
    worker.start()
    restarts: list[float] = []
    try:
        wait_for_acknowledged(15)
        for _round in range(2):
            restarts.append(time.monotonic())
            postgres.restart()
            wait_for_acknowledged(len(acknowledged) + 25)
    finally:
        stop.set()
        worker.join(timeout=60)

    failed = [exchange for exchange in exchanges if not _ok(exchange)]
    server_errors = [exchange for exchange in failed if exchange.status != 503]
    recovery_seconds = []
    for index, restarted in enumerate(restarts):
        window_end = restarts[index + 1] if index + 1 < len(restarts) else float("inf")
        # A request under way when the next restart began fails because of that restart: each
        # failure belongs to the window it ended in, each success to the window it started in.
        last_failure = max(
            (e.ended for e in exchanges if not _ok(e) and restarted <= e.ended < window_end),
            default=restarted,
        )
        recovered = min(
            (e.ended for e in exchanges if _ok(e) and last_failure <= e.started < window_end),
            default=None,
        )
        assert recovered is not None, f"no request succeeded after restart {index + 1}"
        recovery_seconds.append(round(recovered - restarted, 2))
    last_recovery = restarts[-1] + recovery_seconds[-1]
    after_recovery = [e for e in exchanges if e.started > last_recovery]

    with psycopg.connect(postgres.url) as database:
        stored = dict(
            database.execute(
                "SELECT name, count(*) FROM contacts_company WHERE name LIKE %s GROUP BY name",
                [f"Outage {run} %"],
            ).fetchall()
        )
    lost = [name for name in acknowledged if name not in stored]
    duplicated = [name for name, count in stored.items() if count > 1]
    print(
        f"requests {len(exchanges)}, creates acknowledged {len(acknowledged)}, "
        f"503s {sum(e.status == 503 for e in exchanges)}, other failures (500s…) {len(server_errors)}, "
        f"lost {len(lost)}, duplicated {len(duplicated)}, recovery seconds {recovery_seconds}"
    )
    assert server_errors == []
    assert lost == [] and duplicated == []
    assert after_recovery and all(_ok(e) for e in after_recovery)


@pytest.mark.fault
def test_pages_answer_503_try_again_while_postgresql_is_stopped(crm_server):
    """Measured: the list and the create form answer 503 with Retry-After and the try-again
    text while PostgreSQL is down (a 500 before the handler), and 200 once it is back."""
    postgres, session = crm_server
    assert session.get(COMPANY_LIST).status == 200
    postgres.stop()
    try:
        for path in (COMPANY_LIST, COMPANY_CREATE, "/"):
            answer = session.get(path)
            assert answer.status == 503, (path, answer.status)
            assert TRY_AGAIN in answer.body
            assert answer.headers["Retry-After"].isdigit()
    finally:
        postgres.start()
    assert session.get(COMPANY_LIST).status == 200
