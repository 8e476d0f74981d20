#!/usr/bin/env bash
# Set up the environment (idempotent) and run the whole test suite, slow tests included.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh -m "not slow"`.
# The tests run in one pytest-xdist worker per core (PYTEST_WORKERS overrides, 0 = one
# process); tests sharing an expensive fixture carry an xdist_group mark and stay together.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
cores=$(nproc)
workers=${PYTEST_WORKERS:-$cores}
parallel=()
if [ "$workers" -gt 1 ]; then
  parallel=(-n "$workers" --dist loadgroup)
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( cores / workers > 0 ? cores / workers : 1 ))}
else
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$cores}
fi
exec .venv/bin/python -m pytest "${parallel[@]}" "$@"
