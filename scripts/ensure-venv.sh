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
if [ "$(cat .venv/.crm-installed 2>/dev/null || true)" != "$wanted" ]; then
  echo "Installing the CRM and its dependencies into .venv (extras: ${CRM_EXTRAS})"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[${CRM_EXTRAS}]"
  echo "$wanted" > .venv/.crm-installed
fi
