"""Export a model to ONNX for onnxruntime; the tool is :mod:`mmsegsup.cli.export_onnx`.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT OUT.onnx [--num-slots N]
"""
import sys

from mmsegsup.cli.export_onnx import main

if __name__ == '__main__':
    sys.exit(main())
