#!/usr/bin/env bash
# Serve the CRM with gunicorn exactly as in production (gunicorn.conf.py, DEBUG off, manifest
# static files, access log) on a seeded data dir, put concurrent logged-in clients on the lists
# (manage.py load_test), print the figures and stop gunicorn.
#
#   scripts/load.sh                                  # companies + deals lists, rep + admin, 20 clients, 30 s
#   scripts/load.sh --clients 50 --duration 10 /contacts/people/
#   WEB_CONCURRENCY=2 scripts/load.sh                # any gunicorn.conf.py variable
#   CRM_LOAD_DATA_DIR=var/load scripts/load.sh       # another data dir
#
# The data dir (CRM_LOAD_DATA_DIR, default var/bench: the data set of make bench) is kept between
# runs. When it is not seeded yet, bench_seed seeds it first (100,000 companies, 300,000 people,
# 40,000 deals, 20,000 leads; a few minutes, once).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "No .venv yet: run scripts/test.sh or scripts/run.sh once to create it." >&2
  exit 1
fi
export DJANGO_SETTINGS_MODULE=crm.settings
export DJANGO_DEBUG=false
export CRM_DATA_DIR="${CRM_LOAD_DATA_DIR:-var/bench}"
export CRM_LOAD_PORT="${CRM_LOAD_PORT:-8077}"
# Requests are logged as in production, to a file rather than the terminal.
export CRM_ACCESS_LOG="${CRM_ACCESS_LOG-$CRM_DATA_DIR/access.log}"

exec .venv/bin/python -m crm.embedded --data-dir "$CRM_DATA_DIR" -- bash -c '
  set -euo pipefail
  .venv/bin/python manage.py migrate -v0
  CRM_DB_STATEMENT_TIMEOUT_SECONDS=0 .venv/bin/python manage.py bench_seed  # bulk loads: no 30 s statement limit
  .venv/bin/python manage.py collectstatic --noinput -v0
  .venv/bin/gunicorn crm.wsgi --config gunicorn.conf.py --bind "127.0.0.1:$CRM_LOAD_PORT" \
    --error-logfile "$CRM_DATA_DIR/gunicorn.log" &
  gunicorn_pid=$!
  trap "kill -TERM $gunicorn_pid 2>/dev/null; wait $gunicorn_pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 120); do
    if .venv/bin/python -c "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=2)" \
         "http://127.0.0.1:$CRM_LOAD_PORT/healthz" 2>/dev/null; then
      break
    fi
    kill -0 $gunicorn_pid 2>/dev/null || { echo "gunicorn exited; see $CRM_DATA_DIR/gunicorn.log" >&2; exit 1; }
    sleep 0.5
  done
  .venv/bin/python -c "import runpy; c = runpy.run_path(\"gunicorn.conf.py\"); print(\"gunicorn:\", c[\"worker_class\"], \"workers:\", c[\"workers\"], \"threads:\", c[\"threads\"])"
  .venv/bin/python manage.py load_test --base-url "http://127.0.0.1:$CRM_LOAD_PORT" "$@"
' _ "$@"
