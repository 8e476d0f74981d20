#!/usr/bin/env bash
# Set up the annotation tools of the Label Studio end-to-end test, idempotently:
#  * Label Studio in its own virtual environment (default .venv-ls): label-studio 1.23.2 pins
#    packages that clash with requirements/constraints.txt; it is held to
#    requirements/constraints-label-studio.txt. Its SQLite database is migrated once into
#    .venv-ls/ls-template/ (about a minute) so that each test server starts in seconds.
#  * Chromium from the Debian packages (/usr/bin/chromium), installed with apt when missing.
#  * Playwright (the Python driver only) in the project venv (default .venv): it drives that
#    Chromium; no browser is downloaded (never `playwright install`).
#
# Usage: bash tools/setup_annotators.sh [LS_VENV] [PROJECT_VENV]
# A stamp file records a hash of the inputs; when it matches, the script returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."
LS_VENV=${1:-.venv-ls}
VENV=${2:-.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
export PIP_DISABLE_PIP_VERSION_CHECK=1

stamp_hash=$(cat requirements/annotators-*.txt requirements/constraints-label-studio.txt \
  requirements/constraints.txt tools/setup_annotators.sh | sha256sum | cut -d' ' -f1)
if [ -f "$LS_VENV/.mmsegsup-stamp" ] && [ "$(cat "$LS_VENV/.mmsegsup-stamp")" = "$stamp_hash" ] \
   && [ -x /usr/bin/chromium ] && "$VENV/bin/python" -c 'import playwright' 2>/dev/null; then
  echo "[setup-annotators] $LS_VENV, chromium and playwright are up to date"
  exit 0
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "[setup-annotators] chromium (Debian package)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "[setup-annotators] label-studio in $LS_VENV"
[ -x "$LS_VENV/bin/python" ] || "$PY" -m venv "$LS_VENV"
"$LS_VENV/bin/python" -m pip install -q --upgrade pip
"$LS_VENV/bin/python" -m pip install -q -c requirements/constraints-label-studio.txt \
  -r requirements/annotators-server.txt

template="$(cd "$LS_VENV" && pwd)/ls-template"
if [ ! -f "$template/label_studio.sqlite3" ]; then
  echo "[setup-annotators] migrating Label Studio's template database (about a minute)"
  rm -rf "$template.tmp"
  ls_path=$("$LS_VENV/bin/python" -c \
    'import label_studio, os; print(os.path.dirname(label_studio.__file__))')
  if ! LABEL_STUDIO_BASE_DATA_DIR="$template.tmp" LABEL_STUDIO_LATEST_VERSION_CHECK=false \
      LABEL_STUDIO_COLLECT_ANALYTICS=false PYTHONPATH="$ls_path" \
      DJANGO_SETTINGS_MODULE=core.settings.label_studio \
      "$LS_VENV/bin/python" "$ls_path/manage.py" migrate --no-color -v 0 \
      > "$LS_VENV/migrate.log" 2>&1; then
    tail -n 30 "$LS_VENV/migrate.log"
    exit 1
  fi
  rm -rf "$template" && mv "$template.tmp" "$template"
fi

echo "[setup-annotators] playwright in $VENV"
"$VENV/bin/python" -m pip install -q -c requirements/constraints.txt \
  -r requirements/annotators-tests.txt

for pair in "$LS_VENV:label-studio" "$VENV:playwright"; do
  "${pair%%:*}/bin/python" -c "import sys; from importlib.metadata import version as v
print('[setup-annotators] ok:', sys.argv[1], v(sys.argv[1]))" "${pair#*:}"
done
chromium --version 2>/dev/null | head -n1
echo "$stamp_hash" > "$LS_VENV/.mmsegsup-stamp"
