"""Hand a set of images to an annotation tool, pre-filled, and read back what comes out.

:func:`export_selection` writes the images (a COCO dict without annotations, e.g. an
active-learning round's ``to_annotate.json``) with the annotation network's masks
(:func:`mmsegsup.annotators.prefill.predict_instances`) as

* ``label_studio_tasks.json`` + ``label_studio_config.xml``: tasks whose ``predictions`` are
  our masks (brush RLE, class, predicted IoU as score, ``model_version``) and the labeling
  config with our classes (import the tasks into a project created with that config);
* ``cvat_coco.json``: a CVAT-importable COCO 1.0 file with the masks as annotations.

:func:`read_labels` reads whatever comes back (a COCO file, Label Studio's JSON export or
CVAT's COCO 1.0 export, told apart by content) and checks it against the images that were
asked: every asked image present once, nothing else, classes of the dataset, masks neither
empty nor malformed; a :class:`~mmsegsup.formats.errors.FormatError` names the file, the task
or image and the annotation. Every file is written atomically.
"""
import os.path as osp
import urllib.parse
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Union

from ..formats import cvat_coco, label_studio
from ..formats.coco_json import check_coco_lists, entries_by_id, index_coco
from ..formats.errors import FormatError
from ..formats.json_files import load_json
from ..formats.tool_labels import (ExpectedLabels, describe_image, detect_label_format,
                                   segmentation_rle)
from ..utils.io import dump_json_atomic, write_text_atomic

LABEL_STUDIO, CVAT = 'label_studio', 'cvat'
TOOLS = (LABEL_STUDIO, CVAT)
LS_TASKS, LS_CONFIG, CVAT_FILE = ('label_studio_tasks.json', 'label_studio_config.xml',
                                  'cvat_coco.json')
#: The images asked (COCO, no annotations) and their pre-filled masks (COCO results, what an
#: import is priced against), beside the exports.
TO_ANNOTATE, PREFILL = 'to_annotate.json', 'prefill.json'
#: Label Studio serves files under its document root at this URL (local-files storage).
LOCAL_FILES_URL = '/data/local-files/?d='


def check_tools(tools: Union[None, str, Sequence[str]]) -> List[str]:
    """``annotation_tool`` as a list of known tools (None: none, a name: that one)."""
    names = [] if tools is None else [tools] if isinstance(tools, str) else list(tools)
    unknown = [t for t in names if t not in TOOLS]
    if unknown:
        raise ValueError(f'annotation tool(s) {unknown}: expected some of {TOOLS}')
    return names


def image_url(image_root: str, url_root: Optional[str] = None) -> Callable[[Mapping], str]:
    """The URL a task shows for a COCO image: ``url_root`` + its ``file_name`` (a server that
    serves ``image_root``), else Label Studio's local-files URL of the file, which a server
    started with ``LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true`` and
    ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=/`` serves."""
    if url_root:
        root = url_root.rstrip('/') + '/'
        return lambda img: root + urllib.parse.quote(img['file_name'])
    base = osp.abspath(image_root)
    return lambda img: LOCAL_FILES_URL + urllib.parse.quote(
        osp.join(base, img['file_name']).lstrip('/'))


#: The path of Label Studio's local-files URLs (without the ``?d=`` query).
LOCAL_FILES_PATH = urllib.parse.urlparse(LOCAL_FILES_URL).path.rstrip('/')


def image_path(url: str, document_root: str, where: str) -> str:
    """The file a task's image URL names: a local-files URL under ``document_root``, or a
    plain path; a FormatError for anything else (this backend reads local images only)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.path.rstrip('/') == LOCAL_FILES_PATH:
        rel = urllib.parse.parse_qs(parsed.query).get('d', [''])[0]
        if not rel:
            raise FormatError(f'{where}: local-files URL {url!r} has no d=PATH')
        return osp.join(document_root, rel.lstrip('/'))
    if parsed.scheme in ('', 'file') and parsed.path:
        return parsed.path
    raise FormatError(f'{where}: image {url!r} is not a local file; serve the images with '
                      f"Label Studio's local-files storage ({LOCAL_FILES_URL}PATH) or give "
                      'file paths')


def export_selection(images: Mapping, predictions: Sequence[Mapping], out_dir: str,
                     tools: Sequence[str], url: Callable[[Mapping], str],
                     model_version: str = 'mmsegsup') -> Dict[str, str]:
    """Write the pre-filled ``images`` for each of ``tools``; the written paths by name."""
    paths: Dict[str, str] = {}
    for tool in check_tools(tools):
        if tool == LABEL_STUDIO:
            paths[LS_TASKS] = osp.join(out_dir, LS_TASKS)
            paths[LS_CONFIG] = osp.join(out_dir, LS_CONFIG)
            names = [c['name'] for c in sorted(images['categories'], key=lambda c: c['id'])]
            dump_json_atomic(label_studio.coco_to_tasks(images, url, predictions,
                                                        model_version), paths[LS_TASKS])
            write_text_atomic(label_studio.labeling_config(names), paths[LS_CONFIG])
        else:
            paths[CVAT_FILE] = osp.join(out_dir, CVAT_FILE)
            dump_json_atomic(cvat_coco.to_cvat_coco(images, predictions), paths[CVAT_FILE])
    return paths


def coco_labels(coco: Mapping, expected: Mapping, source: str) -> dict:
    """A plain COCO labels file checked like the tools' exports: exactly the asked images
    (by id, same file names), each once, classes of the dataset (by name), every mask valid
    and not empty; returned with ``expected``'s images and categories, masks as RLEs."""
    check_coco_lists(coco, source)
    got = set(entries_by_id(coco['images'], 'images', source, ('id', 'file_name')))
    want = {im['id'] for im in expected['images']}
    if got != want:  # first: a file for other images is the likeliest mistake
        raise FormatError(
            f'{source}: expected the annotations of the {len(want)} selected images; missing '
            f'{sorted(want - got)[:10]}, unexpected {sorted(got - want)[:10]}', source)
    index = index_coco(coco, source, image_keys=('id', 'file_name'),
                       category_keys=('id', 'name'))
    labels = ExpectedLabels(expected, source)
    for img in index.images.values():
        image = labels.image_by_id(img['id'], f'image {img["id"]!r}')
        if img['file_name'] != image['file_name']:
            raise labels.error(describe_image(img), f'the image asked with id {img["id"]!r} is '
                               f'{image["file_name"]!r}')
        labels.claim(image, describe_image(img))
    for k, ann in enumerate(index.annotations):
        image = labels.images[ann['image_id']]
        where = f'annotation {ann.get("id", "#" + str(k))!r} of {describe_image(image)}'
        category = labels.category_id(index.categories[ann['category_id']]['name'], where)
        try:
            rle = segmentation_rle(ann.get('segmentation'), image['height'], image['width'])
        except ValueError as err:
            raise labels.error(where, f'malformed mask ({err})') from None
        labels.add(image, category, rle, where)
    return labels.finish()


def read_labels(path: str, expected: Mapping) -> dict:
    """The checked COCO labels of the images ``expected`` (a COCO dict, e.g. a round's
    ``to_annotate.json``) from a COCO file, a Label Studio JSON export or a CVAT COCO 1.0
    export at ``path``."""
    kind = detect_label_format(path)
    export = load_json(path, f'{kind} labels')
    if kind == 'label_studio':
        return label_studio.tasks_to_coco(export, expected, path)
    if kind == 'cvat_coco':
        return cvat_coco.from_cvat_coco(export, expected, path)
    return coco_labels(export, expected, path)
