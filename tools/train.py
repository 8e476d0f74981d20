"""Train a model from a config (same flags as mmdetection's tools/train.py); the tool is
:mod:`mmsegsup.cli.train`.

    python tools/train.py configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py --work-dir work_dirs/rsis
    torchrun --nproc_per_node 2 tools/train.py CONFIG --launcher pytorch   # DDP, CPU (gloo) or GPU
"""
from mmsegsup.cli.train import main

if __name__ == '__main__':
    main()
