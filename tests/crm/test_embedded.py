"""The private PostgreSQL and Redis that laptops and CI run on."""

import os
import subprocess
import sys
from pathlib import Path

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
