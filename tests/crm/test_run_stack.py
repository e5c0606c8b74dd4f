"""The README's run command, end to end: fresh servers, migrate, demo data, web + worker + beat,
a real login over HTTP, then Ctrl-C stops every process."""

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


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def stack(tmp_path):
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(DJANGO_SETTINGS_MODULE="crm.settings", CRM_DATA_DIR=str(tmp_path))
    log = (tmp_path / "stack.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "crm.embedded", "--data-dir", str(tmp_path), "--",
         sys.executable, "manage.py", "run_stack", "--bind", f"127.0.0.1:{port}"],
        cwd=PROJECT_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", process, tmp_path / "stack.log"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_run_command_serves_the_demo_and_ctrl_c_stops_everything(stack):
    base_url, process, log_path = stack
    wait_for(f"{base_url}/healthz", 120, process)

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
