"""Gunicorn settings for every way the CRM is served: run_stack (make run), make load, the
Dockerfile and docker-compose. Gunicorn reads ./gunicorn.conf.py by itself; each value can be
changed from the environment without editing this file.

Why these defaults (measured with `make load`, see README "Load"):

* Sync workers, not gthread. A list page is ~85 % Python (templates, forms, ORM) and ~15 %
  waiting for PostgreSQL. Threads in one process share the GIL, so gthread buys nothing for
  CPU-bound pages; each request is served start to finish by one process, which is also the
  simplest model to reason about (no thread-safety surprises in template tags or libraries).
* Workers = 2 × cores + 1 would be the textbook figure for I/O-bound apps; here it only adds
  context switches and memory. Cores + 1 keeps every core busy while one worker waits for
  the database (PostgreSQL runs on the same two cores). Set WEB_CONCURRENCY on bigger hosts.
* Keep-alive is irrelevant for sync workers (they close after each response) and behind a
  proxy that pools connections; the access log costs ~0.1 ms a request and is on by default
  (CRM_ACCESS_LOG=- to stdout, "" to turn it off).
* Workers are recycled after ~2,000 requests (with jitter, so they do not restart together):
  a slow leak in a library cannot grow a worker without bound, and a fresh worker is warm
  after a request or two since the app is loaded before the fork (preload_app).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("CRM_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 1)
keepalive = _int("GUNICORN_KEEPALIVE", 2)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
preload_app = True
accesslog = os.environ.get("CRM_ACCESS_LOG", "-") or None
# The heartbeat file of each worker: in memory, not on a (possibly slow, container) disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
