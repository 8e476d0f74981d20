"""Serve a Label Studio ML backend (:mod:`mmsegsup.annotators.ml_backend`) for an instance
model of ours, so that Label Studio pre-annotates its tasks on demand.

    python -m mmsegsup.cli.ml_backend CONFIG CHECKPOINT --port 9090 \
        [--document-root ROOT] [--weak-file weak.json] [--score-thr 0.0] [--model-version V]

then add ``http://HOST:9090`` as the project's model (Settings > Model, or ``POST /api/ml``).
Images are read from this machine: local-files URLs are paths under ``--document-root``
(Label Studio's ``LOCAL_FILES_DOCUMENT_ROOT``). ``tools/label_studio_backend.py`` calls
:func:`main`.
"""
import argparse
import logging
import os
import os.path as osp
from typing import List, Optional

from ..annotators.ml_backend import Predictor, make_server
from ..apis.inference import init_model
from .args import add_instance_model_args

logger = logging.getLogger(__name__)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Label Studio ML backend of an instance model')
    add_instance_model_args(parser)
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on')
    parser.add_argument('--port', type=int, default=9090)
    parser.add_argument('--document-root',
                        default=os.environ.get('LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT', '/'),
                        help="Label Studio's LOCAL_FILES_DOCUMENT_ROOT: local-files URLs are "
                             'paths under it (default: that variable, else /)')
    parser.add_argument('--model-version', help='default: the checkpoint file name')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    model = init_model(args.config, args.checkpoint, device=args.device)
    predictor = Predictor(model, args.model_version or osp.basename(args.checkpoint),
                          args.document_root, args.weak_file, args.score_thr)
    server = make_server(predictor, args.host, args.port)
    logger.info('Label Studio ML backend of %s on http://%s:%d', args.config,
                *server.server_address[:2])
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == '__main__':
    main()
