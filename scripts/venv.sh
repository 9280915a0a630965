#!/usr/bin/env bash
# venv.sh creates (or refreshes) the project-local Python virtualenv in .venv with the Jupyter
# tooling gohunt is driven by and tested against. Versions are pinned in scripts/requirements.txt.
# It is idempotent: a venv whose requirements stamp matches is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/scripts/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
if [ -d "$root/python/papermill_gohunt" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root/python"
fi
echo "$want" > "$stamp"
