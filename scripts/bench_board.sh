#!/usr/bin/env bash
# Seed 10,000 open + 20,000 closed deals into a throwaway embedded PostgreSQL and time the sales
# board and a stage move. The data dir is deleted when the benchmark ends. Extra arguments go to
# bench_board, e.g. scripts/bench_board.sh --open 20000 --repeat 10
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "No .venv yet: run scripts/test.sh or scripts/run.sh once to create it." >&2
  exit 1
fi
export DJANGO_SETTINGS_MODULE=crm.settings
# Pages are measured, not static files: plain storage needs no collectstatic manifest.
export CRM_STATICFILES_STORAGE="${CRM_STATICFILES_STORAGE:-django.contrib.staticfiles.storage.StaticFilesStorage}"
exec .venv/bin/python -m crm.embedded --throwaway -- bash -c \
  '.venv/bin/python manage.py migrate -v0 && .venv/bin/python manage.py bench_board "$@"' _ "$@"
