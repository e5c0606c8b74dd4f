# Sourced by run.sh and test.sh: make .venv and install the project with the extras in
# $CRM_EXTRAS, again only when pyproject.toml or the extras change.
set -euo pipefail
python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python_bin="$candidate"; break; fi
  done
fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $python_bin"
  "$python_bin" -m venv .venv
fi
wanted="$(sha256sum pyproject.toml | cut -c1-64) ${CRM_EXTRAS}"
# One install at a time: test runs started together (parallel sessions, make targets) wait for it.
exec 9>.venv/.install.lock
flock 9
if [ "$(cat .venv/.crm-installed 2>/dev/null || true)" != "$wanted" ]; then
  echo "Installing the CRM and its dependencies into .venv (extras: ${CRM_EXTRAS}); log in .venv/install.log"
  if ! { .venv/bin/python -m pip install --upgrade pip \
         && .venv/bin/python -m pip install -e ".[${CRM_EXTRAS}]"; } > .venv/install.log 2>&1; then
    tail -n 40 .venv/install.log
    echo "Installing failed; the whole log is in .venv/install.log" >&2
    exit 1
  fi
  echo "$wanted" > .venv/.crm-installed
fi
flock -u 9
