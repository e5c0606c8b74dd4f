"""The README's run command, end to end: fresh servers, migrate, demo data, web + worker + beat,
a real login over HTTP, then Ctrl-C stops every process; a worker that dies is started again."""

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from crm.demo import DEMO_PASSWORD

PROJECT_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float, process) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the stack exited before it answered"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def celery_worker_pid(wrapper_pid: int) -> int | None:
    """The Celery worker's main process: a child of run_stack, itself a child of the wrapper."""
    for run_stack in children(wrapper_pid):
        if "run_stack" not in command_line(run_stack):
            continue
        for child in children(run_stack):
            if "worker" in command_line(child):
                return child
    return None


def wait_for_log(log_path: Path, text: str, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while log_path.read_text().count(text) < count:
        assert time.monotonic() < deadline, f"{text!r} not logged {count} times within {seconds} s"
        time.sleep(0.2)


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@contextlib.contextmanager
def running_stack(tmp_path: Path, *options: str):
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(DJANGO_SETTINGS_MODULE="crm.settings", CRM_DATA_DIR=str(tmp_path))
    log = (tmp_path / "stack.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "crm.embedded", "--data-dir", str(tmp_path), "--",
         sys.executable, "manage.py", "run_stack", "--bind", f"127.0.0.1:{port}", *options],
        cwd=PROJECT_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", process, tmp_path / "stack.log"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def stack(tmp_path):
    with running_stack(tmp_path) as running:
        yield running


@pytest.fixture
def stack_without_demo(tmp_path):
    """The same run command without the demo data, which fault tests do not need (saves ~30 s)."""
    with running_stack(tmp_path, "--no-demo") as running:
        yield running


def test_run_command_serves_the_demo_and_ctrl_c_stops_everything(stack):
    base_url, process, log_path = stack
    wait_for(f"{base_url}/healthz", 300, process)  # migrate + demo data first; slow on a busy CI machine

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login_page = opener.open(f"{base_url}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    stylesheet = re.search(r'href="(/static/vendor/bootstrap[^"]+\.css)"', login_page).group(1)
    assert opener.open(base_url + stylesheet).status == 200  # static files served with DEBUG off
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "admin", "password": DEMO_PASSWORD}
    )
    request = urllib.request.Request(
        f"{base_url}/accounts/login/", data=form.encode(), headers={"Referer": base_url}
    )
    dashboard = opener.open(request).read().decode()
    assert "Welcome, Agnes" in dashboard

    output = log_path.read_text()
    assert "Demo logins" in output
    assert "celery@" in output and "beat: Starting" in output

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
    assert process.wait(timeout=60) == 0
    deadline = time.monotonic() + 20
    while not group_is_gone(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert group_is_gone(process.pid), "a web, worker, beat or server process outlived Ctrl-C"


@pytest.mark.fault
@pytest.mark.worker
def test_a_killed_worker_is_started_again_and_the_web_stays_up(stack_without_demo):
    """SIGKILL of the Celery worker's main process. Measured: a new worker runs 1.5 s later and is
    ready 8.5 s later; 0 failed health checks meanwhile; Ctrl-C still stops everything."""
    base_url, process, log_path = stack_without_demo
    wait_for(f"{base_url}/healthz", 300, process)  # migrate + demo data first; slow on a busy CI machine
    wait_for_log(log_path, " ready.", 1, 60)
    killed_pid = celery_worker_pid(process.pid)
    assert killed_pid is not None

    os.kill(killed_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    new_pid = None
    web_failures = 0
    while time.monotonic() - killed_at < 20:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                web_failures += response.status != 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            web_failures += 1
        new_pid = celery_worker_pid(process.pid)
        if new_pid not in {None, killed_pid}:
            break
        time.sleep(0.2)
    restarted_after = time.monotonic() - killed_at
    assert new_pid not in {None, killed_pid}, "no new worker within 20 s"
    assert "worker exited with code -9; restarting in 1 s" in log_path.read_text()
    wait_for_log(log_path, " ready.", 2, 60)
    ready_after = time.monotonic() - killed_at
    print(
        f"new worker after {restarted_after:.1f} s, ready after {ready_after:.1f} s; web failures {web_failures}"
    )
    assert web_failures == 0
    wait_for(f"{base_url}/healthz", 5, process)

    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 0
    deadline = time.monotonic() + 20
    while not group_is_gone(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert group_is_gone(process.pid), "a process outlived Ctrl-C after the worker was restarted"
