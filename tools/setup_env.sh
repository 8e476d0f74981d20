#!/usr/bin/env bash
# Build the project's virtual environment from nothing, idempotently.
#
# Usage: bash tools/setup_env.sh [VENV_DIR]   (default: .venv)
# A stamp file records a hash of requirements/ and setup.py; when it matches, the script
# returns in about a second. mmcv 2.1.0 only ships as source: it is compiled with its ops
# against the installed torch (--no-build-isolation) and pip caches the wheel afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

stamp_hash=$(cat requirements/*.txt setup.py tools/setup_env.sh | sha256sum | cut -d' ' -f1)
if [ -f "$VENV/.mmsegsup-stamp" ] && [ "$(cat "$VENV/.mmsegsup-stamp")" = "$stamp_hash" ]; then
  echo "[setup] $VENV is up to date"
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
# Every install is held to the tested versions (requirements/constraints.txt).
PIN="-c requirements/constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1
$PIP install -q --upgrade pip
echo "[setup] build prerequisites (torch CPU, numpy, ninja, setuptools)"
$PIP install -q $PIN -r requirements/build.txt
# Headless OpenCV first so that mmcv/mmengine keep it instead of pulling the GUI build.
$PIP install -q $PIN opencv-python-headless
if ! "$VENV/bin/python" -c "import mmcv, mmcv.ops" >/dev/null 2>&1; then
  echo "[setup] mmcv 2.1.0 with compiled ops (first time: several minutes)"
  MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    $PIP install -q $PIN --no-build-isolation mmcv==2.1.0
fi
echo "[setup] OpenMMLab stack, runtime and test requirements"
$PIP install -q $PIN -r requirements/mminstall.txt -r requirements/runtime.txt -r requirements/tests.txt
$PIP install -q $PIN --no-deps -r requirements/optional.txt
$PIP install -q --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c "import mmcv.ops, mmdet, mmseg, mmsegsup; print('[setup] ok: mmcv', mmcv.__version__, 'mmdet', mmdet.__version__, 'mmseg', mmseg.__version__)"
echo "$stamp_hash" > "$VENV/.mmsegsup-stamp"
