"""Label Studio / CVAT in the loop: export images pre-filled with a model's masks, import what
the annotators submitted as checked COCO labels; the tool is :mod:`mmsegsup.cli.annotate`.

    python tools/annotate.py export CONFIG CHECKPOINT --images to_annotate.json \
        --image-root IMAGES --out-dir annotate [--tool label_studio cvat]
    python tools/annotate.py import EXPORT.json --images to_annotate.json --out labels.json \
        [--prefill annotate/prefill.json]
"""
from mmsegsup.cli.annotate import main

if __name__ == '__main__':
    main()
