"""Test (evaluate) a checkpoint (same flags as mmdetection's tools/test.py); the tool is
:mod:`mmsegsup.cli.test`.

    python tools/test.py CONFIG CHECKPOINT [--out results.pkl] [--show-dir vis]
"""
from mmsegsup.cli.test import main

if __name__ == '__main__':
    main()
