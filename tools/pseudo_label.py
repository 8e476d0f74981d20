"""Pseudo-label a split with a trained annotation network (BASIS, thesis 4.4); the tool is
:mod:`mmsegsup.cli.pseudo_label`.

    python tools/pseudo_label.py CONFIG CHECKPOINT --out-dir work_dirs/pseudo [--score-thr 0.3]
    torchrun --nproc_per_node 2 tools/pseudo_label.py CONFIG CKPT --out-dir D --launcher pytorch
"""
from mmsegsup.cli.pseudo_label import main

if __name__ == '__main__':
    main()
