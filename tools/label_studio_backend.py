"""Label Studio ML backend: Label Studio asks it for pre-annotations of its tasks, drawn by an
instance model of ours; the tool is :mod:`mmsegsup.cli.ml_backend`.

    python tools/label_studio_backend.py CONFIG CHECKPOINT --port 9090 [--weak-file weak.json]
"""
from mmsegsup.cli.ml_backend import main

if __name__ == '__main__':
    main()
