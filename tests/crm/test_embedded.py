"""The private PostgreSQL and Redis that laptops and CI run on."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crm.embedded import EmbeddedRedis, _redis_answers

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_embedded_redis_starts_answers_and_stops(tmp_path):
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    assert url.startswith("redis://127.0.0.1:")
    assert _redis_answers(server.port)
    joined = EmbeddedRedis(tmp_path)
    assert joined.start() == url  # a second process joins instead of starting another
    server.stop()
    assert not _redis_answers(server.port)


def test_embedded_redis_accepts_a_relative_data_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    server = EmbeddedRedis(Path("var"))
    server.start()
    try:
        assert _redis_answers(server.port)
        assert (tmp_path / "var" / "redis" / "redis.log").exists()
    finally:
        server.stop()


def test_the_wrapper_exports_working_urls_and_a_second_start_keeps_the_data(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    script = (
        "import os, psycopg, redis;"
        "conn = psycopg.connect(os.environ['DATABASE_URL'], autocommit=True);"
        "conn.execute('CREATE TABLE IF NOT EXISTS kept (n int)'); conn.execute('INSERT INTO kept VALUES (1)');"
        "print('rows', conn.execute('SELECT count(*) FROM kept').fetchone()[0]);"
        "print('redis', redis.Redis.from_url(os.environ['REDIS_URL']).ping())"
    )
    command = [
        sys.executable,
        "-m",
        "crm.embedded",
        "--data-dir",
        str(tmp_path),
        "--",
        sys.executable,
        "-c",
        script,
    ]
    first = subprocess.run(
        command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, timeout=120
    )
    second = subprocess.run(
        command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, timeout=120
    )
    assert "rows 1" in first.stdout, first.stderr
    assert "rows 2" in second.stdout, second.stderr
    assert "redis True" in second.stdout


def _wrapper(data_dir, *command):
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return [sys.executable, "-m", "crm.embedded", "--data-dir", str(data_dir), "--", *command], environment


def _servers_stopped(data_dir, timeout: float = 20) -> bool:
    """Whether PostgreSQL (its postmaster.pid) and Redis (its pid) are gone within `timeout`."""
    import time

    from crm.embedded import _pid_alive

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        postgres_up = (data_dir / "pgdata" / "postmaster.pid").exists()
        redis_pid = data_dir / "redis" / "redis.pid"
        redis_up = redis_pid.exists() and _pid_alive(int(redis_pid.read_text() or 0))
        if not postgres_up and not redis_up:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGHUP])
def test_the_wrapper_stops_its_servers_when_it_is_terminated(tmp_path, stop_signal):
    # The child dies of the signal the wrapper passes on, even when the suite runs under nohup
    # (which makes SIGHUP ignored for every process it starts).
    child = "import signal, time; signal.signal(signal.SIGHUP, signal.SIG_DFL); print('up', flush=True); time.sleep(120)"
    command, environment = _wrapper(tmp_path, sys.executable, "-c", child)
    wrapper = subprocess.Popen(command, cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, text=True)
    try:
        assert wrapper.stdout.readline().strip() == "up"
        assert (tmp_path / "pgdata" / "postmaster.pid").exists()
        wrapper.send_signal(stop_signal)
        wrapper.wait(timeout=120)  # about 2 s here; minutes on a CI machine running other tests
        assert _servers_stopped(tmp_path)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()


def test_a_handle_left_by_a_killed_process_does_not_keep_the_server_running(tmp_path):
    command, environment = _wrapper(tmp_path, "true")
    subprocess.run(command, cwd=PROJECT_DIR, env=environment, check=True, timeout=120)
    assert _servers_stopped(tmp_path)
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that no longer runs, as a process killed with SIGKILL leaves behind
    (tmp_path / "pgdata" / ".handle_pids.json").write_text(json.dumps([gone.pid]))

    subprocess.run(command, cwd=PROJECT_DIR, env=environment, check=True, timeout=120)
    assert _servers_stopped(tmp_path)
    assert json.loads((tmp_path / "pgdata" / ".handle_pids.json").read_text()) == []
