"""A2D-Sentences and DAVIS-2017 referring-expression folders in the official layouts, shared
by the dataset tests (test_datasets/test_a2d_davis_refer.py) and the RefVOS recipe tests:
videoset.csv, a2d_annotation.txt, MATLAB-transposed h5 files and frames; DAVIS palette PNGs
and both annotators' expression files. Frames are H x W."""
import csv
import os
import os.path as osp

import cv2
import h5py
import numpy as np
from PIL import Image

from mmsegsup.formats.index_png import write_index_png

H, W = 24, 32
PALETTE = [(0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0)]


def box(y0, y1, x0, x1):
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m

# ----------------------------------------------------------------------------------- A2D fixture
# video -> frame number -> [(instance id, actor-action id, mask)]
A2D_FRAMES = {
    'vidA': {3: [(0, 18, box(2, 10, 1, 9)), (1, 17, box(12, 20, 3, 12))],
             6: [(0, 18, box(3, 11, 2, 10)), (1, 17, box(12, 22, 5, 14)),
                 (2, 77, box(4, 9, 20, 30))]},
    'vidB': {2: [(4, 56, box(5, 15, 10, 25))]},          # one instance: reMask is 2-D
    'vidC': {1: [(0, 44, box(0, 6, 0, 6))]},
    'vidM': {1: [(0, 11, box(0, 6, 0, 6))]},
}
VIDEOSET = [('vidA', 0), ('vidB', 0), ('vidC', 1), ('vidM', 0), ('vidN', 0)]
SENTENCES = [('vidA', '0', 'man in red, walking left'), ('vidA', '1', 'man running'),
             ('vidA', '2', 'dog running on the grass'), ('vidA', '1 (copy)', 'man running'),
             ('vidB', '4', 'white car rolling'), ('vidB', '4', 'the car'),
             ('vidC', '0', 'bird flying'), ('vidM', '0', 'in a missed video'),
             ('vidA', '7', 'an instance annotated nowhere')]


def write_a2d_h5(path, instances, extra_masks=0, fields=('instance', 'reMask', 'id', 'reBBox')):
    """An A2D h5 file as MATLAB v7.3 stores it: HxWxN arrays arrive as (N, W, H)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    masks = [m for _, _, m in instances] + [np.ones((H, W), np.uint8)] * extra_masks
    data = {'instance': np.array([i for i, _, _ in instances], np.float64),
            'reMask': (masks[0].T if len(masks) == 1 else np.stack([m.T for m in masks])),
            'id': np.array([[a for _, a, _ in instances]], np.float64),
            'reBBox': np.zeros((4, len(instances)))}
    with h5py.File(path, 'w') as f:
        for k in fields:
            f.create_dataset(k, data=data[k])


def write_frame(path, number):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.full((H, W, 3), 20 * number, np.uint8))


def make_a2d(root, frames=True, sentences=SENTENCES, videoset=VIDEOSET):
    root = str(root)
    os.makedirs(osp.join(root, 'Release'), exist_ok=True)
    os.makedirs(osp.join(root, 'text_annotations'), exist_ok=True)
    with open(osp.join(root, 'Release/videoset.csv'), 'w', newline='') as f:
        for vid, subset in videoset:
            csv.writer(f).writerow([vid, 11, 0, 0, H, W, 8, 2, subset])
    with open(osp.join(root, 'text_annotations/a2d_annotation.txt'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['video_id', 'instance_id', 'query'])
        w.writerows(sentences)
    with open(osp.join(root, 'text_annotations/a2d_missed_videos.txt'), 'w') as f:
        f.write('vidM\n')
    for vid, by_frame in A2D_FRAMES.items():
        for number, instances in by_frame.items():
            write_a2d_h5(osp.join(root, 'text_annotations/a2d_annotation_with_instances', vid,
                                  f'{number:05d}.h5'), instances)
            if frames:
                write_frame(osp.join(root, 'Release/pngs320H', vid, f'{number:05d}.png'), number)
    return root


# ---------------------------------------------------------------------------------- DAVIS fixture
DAVIS_VIDEOS = {'bike-packing': 'train', 'dogs-scale': 'val'}
NUM_FRAMES = 3


def davis_index_map(video, t):
    """Object 1 moves right; object 2 leaves 'dogs-scale' in its last frame."""
    ids = np.zeros((H, W), np.uint8)
    ids[2:10, 2 + 2 * t:10 + 2 * t] = 1
    if not (video == 'dogs-scale' and t == NUM_FRAMES - 1):
        ids[14:22, 18:28] = 2
    return ids


def make_davis(root, annot_lines=None):
    root = str(root)
    for video, split in DAVIS_VIDEOS.items():
        for t in range(NUM_FRAMES):
            img_dir = osp.join(root, 'JPEGImages/480p', video)
            os.makedirs(img_dir, exist_ok=True)
            Image.fromarray(np.full((H, W, 3), 50 * t, np.uint8)).save(
                osp.join(img_dir, f'{t:05d}.jpg'))
            write_index_png(davis_index_map(video, t),
                            osp.join(root, 'Annotations/480p', video, f'{t:05d}.png'),
                            PALETTE)
    os.makedirs(osp.join(root, 'ImageSets/2017'), exist_ok=True)
    for split in ('train', 'val'):
        with open(osp.join(root, f'ImageSets/2017/{split}.txt'), 'w') as f:
            f.write(''.join(v + '\n' for v, s in DAVIS_VIDEOS.items() if s == split))
    files = annot_lines or {
        # annotator 1 in UTF-8; annotator 2 in Latin-1, with the official misspelt 'dog-scale'
        'Davis17_annot1.txt': ('utf-8', ['bike-packing 1 "a man riding a bike"',
                                         'bike-packing 2 "the bike"',
                                         'dogs-scale 1 "small dog on the left"',
                                         'dogs-scale 2 "big dog"']),
        'Davis17_annot1_full_video.txt': ('utf-8', ['bike-packing 1 "man jumping with bike"',
                                                    'bike-packing 2 "the bike"',
                                                    'dogs-scale 1 "dog which stays"',
                                                    'dogs-scale 2 "dog which leaves"']),
        'Davis17_annot2.txt': ('latin-1', ['bike-packing 1 "cyclist with café helmet"',
                                           'bike-packing 2 "bicycle"', '',
                                           'dog-scale 1 "left dog"', 'dog-scale 2 "right dog"']),
        'Davis17_annot2_full_video.txt': ('latin-1', ['bike-packing 1 "rider"',
                                                      'bike-packing 2 "bike"',
                                                      'dog-scale 1 "dog 1"',
                                                      'dog-scale 2 "dog 2"']),
    }
    os.makedirs(osp.join(root, 'davis_text_annotations'), exist_ok=True)
    for name, (encoding, lines) in files.items():
        with open(osp.join(root, 'davis_text_annotations', name), 'w', encoding=encoding) as f:
            f.write('\n'.join(lines) + '\n')
    return root
