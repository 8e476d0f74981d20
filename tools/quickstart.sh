#!/usr/bin/env bash
# The main job on the embedded default: set up, train RSIS from scratch on the synthetic shapes,
# evaluate COCO mask AP on held-out images, and draw them as PNGs: each enlarged 4x, its ground
# truth beside the prediction, a legend below.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
CONFIG=configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py
WORK=${WORK_DIR:-work_dirs/quickstart_rsis}
.venv/bin/python tools/train.py "$CONFIG" --work-dir "$WORK"
CKPT=$(cat "$WORK/last_checkpoint")
.venv/bin/python tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK"
.venv/bin/python tools/demo/image_demo.py data/shapes/images/val "$CONFIG" "$CKPT" \
  --gt-ann data/shapes/annotations/instances_val.json --out-dir "$WORK/demo"
echo "[quickstart] checkpoint: $CKPT   predictions drawn in: $WORK/demo/"
