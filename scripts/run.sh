#!/usr/bin/env bash
# Start the CRM at http://127.0.0.1:8000 with web server, Celery worker and beat.
# Uses DATABASE_URL / REDIS_URL when set, else private servers with their data under var/.
set -euo pipefail
cd "$(dirname "$0")/.."
CRM_EXTRAS=embedded source scripts/ensure-venv.sh
exec .venv/bin/python -m crm.embedded --data-dir "${CRM_DATA_DIR:-var}" -- .venv/bin/python manage.py run_stack "$@"
