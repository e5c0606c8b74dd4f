#!/usr/bin/env bash
# Seed demo-scale contacts into a throwaway embedded PostgreSQL and time the list pages.
# The data dir is deleted when the benchmark ends. Extra arguments go to bench_contacts,
# e.g. scripts/bench.sh --companies 20000 --people 60000 --repeat 10
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
  '.venv/bin/python manage.py migrate -v0 && .venv/bin/python manage.py bench_contacts "$@"' _ "$@"
