"""Label Studio ML backend: any instance config + checkpoint of ours pre-annotates tasks on
demand.

Label Studio's ML-backend protocol (what ``label_studio/ml/api_connector.py`` of Label Studio
1.23 calls): ``GET /health`` answers within a second, ``POST /setup`` gets the project's
labeling config and answers the ``model_version``, ``POST /predict`` gets ``{"tasks": [...]}``
and answers ``{"results": [...]}``, one prediction per task, in order. A prediction is what
:func:`mmsegsup.formats.label_studio.coco_to_tasks` pre-fills a task with: one brush region
per mask of :func:`mmsegsup.annotators.prefill.predict_instances`, its class and score (the
predicted IoU where the model has an IoU branch), and their mean as the task's score.

The protocol is served with the standard library's threaded HTTP server rather than
``label-studio-ml``: its only PyPI release (1.0.9) pins ``Flask==1.1.2`` and ``Jinja2==3.0.3``
against our ``Jinja2==3.1.6`` (requirements/constraints.txt), and the maintained SDK
(``label-studio-sdk``) pins ``opencv-python-headless<4.13`` against our 5.0 pin.

Images are read from this machine: a task's Label Studio local-files URL
(``/data/local-files/?d=PATH``, PATH under the ``document_root``, Label Studio's
``LOCAL_FILES_DOCUMENT_ROOT``) or a plain file path. The tool that serves it is
:mod:`mmsegsup.cli.ml_backend` (``tools/label_studio_backend.py``).
"""
import json
import logging
import os.path as osp
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..formats.errors import FormatError
from ..formats.label_studio import BRUSH_TOOL, IMAGE_FIELD, coco_to_tasks
from ..formats.tool_labels import entry_name
from .exchange import image_path
from .prefill import predict_instances

logger = logging.getLogger(__name__)
def image_size(path: str) -> Tuple[int, int]:
    """``(height, width)`` of an image file, read from its header."""
    from PIL import Image
    with Image.open(path) as img:
        return img.height, img.width


def brush_labels(schema: str) -> List[str]:
    """The labels of the labeling config's brush tool that pre-annotations are drawn with
    (``<BrushLabels name="brush" toName="image">``); a FormatError when it has none."""
    try:
        root = ET.fromstring(schema)
    except ET.ParseError as err:
        raise FormatError(f'labeling config is not XML ({err})') from None
    for tag in root.iter('BrushLabels'):
        if tag.get('name') == BRUSH_TOOL and tag.get('toName') == IMAGE_FIELD:
            return [label.get('value', '') for label in tag.iter('Label')]
    raise FormatError(f'labeling config has no <BrushLabels name="{BRUSH_TOOL}" '
                      f'toName="{IMAGE_FIELD}">: the pre-annotations would not show; create '
                      'the project with mmsegsup.formats.label_studio.labeling_config')


class Predictor:
    """A model of ours and what its predictions become in Label Studio."""

    def __init__(self, model, model_version: str, document_root: str = '/',
                 weak_file: Optional[str] = None, score_thr: float = 0.0) -> None:
        self.model = model
        self.model_version = model_version
        self.document_root = document_root
        self.weak_file = weak_file
        self.score_thr = score_thr
        self.classes = list(model.dataset_meta['classes'])
        self.lock = threading.Lock()  # one model, requests served in threads

    def check_schema(self, schema: str) -> None:
        """Every class of the model is a brush label of the project (else its masks could
        not be shown): a FormatError naming the missing ones."""
        missing = [c for c in self.classes if c not in brush_labels(schema)]
        if missing:
            raise FormatError(f'labeling config: classes {missing} of the model are not '
                              f'labels of <BrushLabels name="{BRUSH_TOOL}">')

    def setup(self, request: Mapping) -> dict:
        """``/setup``: check the project's labeling config, answer the model version."""
        self.check_schema(request.get('schema', ''))
        return dict(model_version=self.model_version)

    def _images(self, tasks: Sequence[Mapping]) -> dict:
        """The tasks as a COCO dict of this machine's image files (image id: task place)."""
        images = []
        for k, task in enumerate(tasks):
            where = entry_name('task', task, k)
            data = task.get('data') if isinstance(task, Mapping) else None
            if not isinstance(data, Mapping) or not isinstance(data.get(IMAGE_FIELD), str):
                raise FormatError(f'{where}: expected data.{IMAGE_FIELD} (an image URL)')
            path = image_path(data[IMAGE_FIELD], self.document_root, where)
            if not osp.isfile(path):
                raise FormatError(f'{where}: image file {path} not found')
            height, width = image_size(path)
            images.append(dict(id=k, file_name=path, height=height, width=width,
                               url=data[IMAGE_FIELD]))
        return dict(images=images, annotations=[],
                    categories=[dict(id=i + 1, name=c) for i, c in enumerate(self.classes)])

    def predict(self, tasks: Sequence[Mapping]) -> List[dict]:
        """One Label Studio prediction (``result``, ``score``, ``model_version``) per task."""
        coco = self._images(tasks)
        with self.lock:
            results = predict_instances(self.model, coco, '', self.weak_file, self.score_thr)
        filled = coco_to_tasks(coco, lambda img: img['url'], results, self.model_version)
        return [task['predictions'][0] for task in filled]


def _handler(predictor: Predictor) -> type:
    """The request handler class serving ``predictor``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.split('?')[0].rstrip('/') in ('', '/health'):
                self._answer(200, dict(status='UP', model_class='mmsegsup',
                                       model_version=predictor.model_version))
            else:
                self._answer(404, dict(error=f'no GET {self.path}'))

        def do_POST(self) -> None:  # noqa: N802
            routes: Dict[str, Callable[[dict], dict]] = {
                '/setup': predictor.setup,
                '/predict': lambda req: dict(results=predictor.predict(req.get('tasks', []))),
            }
            route = routes.get(self.path.split('?')[0].rstrip('/'))
            if route is None:
                return self._answer(404, dict(error=f'no POST {self.path}'))
            try:
                length = int(self.headers.get('Content-Length', 0))
                request = json.loads(self.rfile.read(length) or b'{}')
                if not isinstance(request, dict):
                    raise FormatError('the request body must be a JSON object')
                self._answer(200, route(request))
            except (FormatError, json.JSONDecodeError) as err:
                self._answer(400, dict(error=str(err)))
            except Exception as err:  # a model failure: tell Label Studio, keep serving
                logger.exception('%s failed', self.path)
                self._answer(500, dict(error=f'{type(err).__name__}: {err}'))

        def log_message(self, fmt: str, *args: Any) -> None:
            logger.info('%s ' + fmt, self.address_string(), *args)

    return Handler


def make_server(predictor: Predictor, host: str = '127.0.0.1',
                port: int = 9090) -> ThreadingHTTPServer:
    """A threaded HTTP server of the protocol (``port`` 0: a free one, see
    ``server.server_address``); call ``serve_forever``."""
    return ThreadingHTTPServer((host, port), _handler(predictor))
