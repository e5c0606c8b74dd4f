#!/usr/bin/env bash
# The benchmark: seed the bench data set once into its own data dir (var/bench, or
# $CRM_BENCH_DIR), then time every GET route of the project as an Administrator and a Sales rep.
# The data dir is kept: a second run goes straight to timing; delete it to seed again.
# Extra arguments go to bench_routes, e.g. scripts/bench.sh --repeat 5 --only contacts: --explain
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "No .venv yet: run scripts/test.sh or scripts/run.sh once to create it." >&2
  exit 1
fi
BENCH_DIR="${CRM_BENCH_DIR:-var/bench}"
[[ "$BENCH_DIR" = /* ]] || BENCH_DIR="$PWD/$BENCH_DIR"  # relative to the repository
export DJANGO_SETTINGS_MODULE=crm.settings
# The bench's own secret key and media (documents, quote and order PDFs) live in its data dir.
export CRM_DATA_DIR="$BENCH_DIR"
# Pages are measured, not static files: plain storage needs no collectstatic manifest.
export CRM_STATICFILES_STORAGE="${CRM_STATICFILES_STORAGE:-django.contrib.staticfiles.storage.StaticFilesStorage}"
exec .venv/bin/python -m crm.embedded --data-dir "$BENCH_DIR" -- bash -c \
  '.venv/bin/python manage.py migrate -v0 && CRM_DB_STATEMENT_TIMEOUT_SECONDS=0 .venv/bin/python manage.py bench_seed && .venv/bin/python manage.py bench_routes "$@"' _ "$@"
