"""Gunicorn settings for every way the CRM is served: run_stack (make run), make load, the
Dockerfile and docker-compose. Gunicorn reads ./gunicorn.conf.py by itself; each value can be
changed from the environment without editing this file.

Why these defaults (measured with `make load` on the 2-core development VM, 20 clients, 100,000
companies / 300,000 people / 30,000 deals; see README "Load"):

* Sync workers, not gthread. A list page is ~85 % Python (templates, forms, ORM) and ~15 %
  waiting for PostgreSQL. Threads of one process share the GIL, so gthread adds no CPU; it
  measured the same requests/s as sync (2 workers x 2 threads) with a p95 up to 40 % higher,
  as threads of a busy process queue for the GIL. A sync worker serves one request start to
  finish, the simplest model to reason about.
* Workers = CPU cores (2 here). With PostgreSQL on the same two cores, 2 workers served the
  lists ~5-10 % faster than 3 and ~15 % faster than 4, with a lower p95: more processes than
  cores only add context switches and cache misses. Where PostgreSQL runs on another host,
  cores + 1 keeps a core busy while a worker waits for it; a slow request (an export) holds
  its worker, so hosts with frequent exports want one more: WEB_CONCURRENCY overrides.
* Keep-alive is moot for sync workers (they close after each response; a proxy in front keeps
  the client connections). The access log, a line per request, is noise next to 20-40 ms of
  page CPU and stays on (CRM_ACCESS_LOG: "-" stdout, a path, or "" for none).
* Workers are recycled after ~2,000 requests (with jitter, so they do not restart together):
  a slow leak in a library cannot grow a worker without bound; the app is loaded before the
  fork (preload_app), so a new worker starts in milliseconds.
"""

import gc
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("CRM_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = _int("WEB_CONCURRENCY", len(os.sched_getaffinity(0)))
threads = _int("GUNICORN_THREADS", 1)
keepalive = _int("GUNICORN_KEEPALIVE", 2)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
preload_app = True
accesslog = os.environ.get("CRM_ACCESS_LOG", "-") or None
# The same access log without a line per accepted website-tracking report (crm/gunicorn_logging.py).
logger_class = "crm.gunicorn_logging.CrmLogger"
# The heartbeat file of each worker: in memory, not on a (possibly slow, container) disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108


# Garbage collection. A worker holds ~150,000 long-lived objects (Django, the URL conf, compiled
# templates); every full collection walks them all, ~2.5 ms per request on average on a list page.
# Frozen objects are left out of collections: the loaded app before each fork, and what the
# first requests of a worker built (templates, caches). Requests make mostly short-lived,
# reference-counted garbage, so young-generation collections can run less often too.
GC_FREEZE_AFTER = _int("GUNICORN_GC_FREEZE_AFTER", 50)  # requests; 0: never
GC_THRESHOLD = _int("GUNICORN_GC_THRESHOLD", 10_000)  # allocations (Python's default: 700)


def when_ready(server):
    # The app is loaded (preload_app): do the first-request work once, before any worker forks.
    from crm import warmup

    figures = warmup.warm_up()
    server.log.info("Warmed up: %(compiled)s templates compiled, %(refused)s refused", figures)


def pre_fork(server, worker):
    gc.freeze()


def post_fork(server, worker):
    gc.set_threshold(GC_THRESHOLD, 20, 20)


def post_request(worker, req, environ, resp):
    if worker.nr == GC_FREEZE_AFTER:
        gc.freeze()
