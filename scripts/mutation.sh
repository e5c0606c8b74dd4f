#!/usr/bin/env bash
# Mutation testing (cosmic-ray) of the rules that decide who sees what and whether a gate holds:
# crm/access.py, opportunities/pipeline.py (the gates), opportunities/services.py (deal writes)
# and leads/services.py (conversion). Not part of CI: a full run takes an hour or more.
#
#   make mutation                      # every module
#   scripts/mutation.sh access         # one: access | pipeline | deals | conversion
#   scripts/mutation.sh pipeline & scripts/mutation.sh deals   # side by side (2 cores)
#
# Cosmic-ray rewrites the files it mutates, so it works on a copy of the tree in
# var/mutation/<module>/ (the checkout is never touched). One PostgreSQL serves a module's run
# and pytest keeps its test database between mutants (--reuse-db), so a mutant costs one
# pytest start and its tests.
# The surviving mutants and the score are printed at the end of each module and kept in
# var/mutation/<module>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
CRM_EXTRAS=embedded,dev source scripts/ensure-venv.sh
# cosmic-ray (the "mutation" extra of pyproject.toml) on top, without changing the extras the
# test command installs (which would reinstall the project at every switch).
.venv/bin/python -c "import cosmic_ray" 2>/dev/null || .venv/bin/python -m pip install -q "cosmic-ray>=8.4,<9"
root="$PWD"
work="$root/var/mutation"
modules=("${@:-access pipeline deals conversion}")
# shellcheck disable=SC2206
modules=(${modules[*]})

for module in "${modules[@]}"; do
  config="$root/scripts/mutation/$module.toml"
  [ -f "$config" ] || { echo "No mutation config $config" >&2; exit 2; }
  # Each module its own copy of the tree and database, so two modules can run side by side.
  src="$work/$module/src"
  rm -rf "$src"
  mkdir -p "$src"
  git ls-files -z --cached --others --exclude-standard | grep -zv '^var/' \
    | (cd "$root" && xargs -0 cp --parents -t "$src")
  session="$work/$module.sqlite"
  rm -f "$session"
  echo "== $module: $(grep '^module-path' "$config")"
  (
    cd "$src"
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PATH="$root/.venv/bin:$PATH"
    "$root/.venv/bin/python" -m crm.embedded --data-dir "$work/$module/db" -- bash -c "
      set -e
      '$root/.venv/bin/cosmic-ray' init '$config' '$session'
      '$root/.venv/bin/python' '$root/scripts/mutation/skip_annotations.py' '$session'
      '$root/.venv/bin/cosmic-ray' baseline '$config'
      '$root/.venv/bin/cosmic-ray' exec '$config' '$session'
    "
  )
  "$root/.venv/bin/cr-report" "$session" > "$work/$module.txt"
  echo "Surviving mutants of $module:"
  "$root/.venv/bin/cr-report" --show-diff --surviving-only "$session" | tee "$work/$module.survivors.txt"
  tail -n 3 "$work/$module.txt"
done
