"""The thesis configs' datasets + pipelines + data preprocessors feed the models what the
original training loaders feed them (issue 26, the data side).

The cases (tests/data/original_refs/data/, made by generate/make_data_cases.py running the
originals outside the project) hold tiny datasets in the official layouts, file by file, and
what the original loaders made of them with augmentation off: imatge-upc/rvos
``init_dataloaders`` of train_previous_mask.py (YouTube-VOS 256x448, DAVIS-2017 240x427, clips
of 5, ``batch_to_var``'s masks and ``sw_mask``) and miriambellver/refvos ``get_transform(train=
True)`` + ``ReferDataset`` (RefCOCO, 416 shorter side, pad / crop 480, the crop offsets it drew).

Here the same files are written to a temporary folder and read by the thesis configs' training
dataloaders with only the data root changed and the augmentation steps left out (the
original's missing ``--augment``; RefVOS has no augmentation besides its crop, pinned to the
original's offsets). Compared: the clips (which videos, which starting frames, the frame
order), the uint8 frames after resizing (exact), the preprocessed float inputs (float32
rounding of two normalisation formulas: (x/255 - m)/s there, (x - 255m)/(255s) here), the
per-slot target masks (object id i at slot i - 1) and the valid slots of each frame
(``sw_mask``), the RefVOS targets with their 255 padding.
"""
import json
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmsegsup.registry import DATASETS, MODELS, SEG_DATASETS, SEG_MODELS, TRANSFORMS

from mmsegsup.formats.youtube_vos_splits import write_youtube_vos_partition
from original_data_refs_utils import decode_frames, layout_files, unpack_masks, write_layouts
from tools_utils import REPO

CASES = osp.join(REPO, 'tests', 'data', 'original_refs', 'data')
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
AUGMENTATION = ('RandomFlip', 'TorchsampleRandomAffine')  # the original's --augment
VIDEO_CASES = {
    'youtube': ('rvos_youtube_data', 'rvos-mask-st_r101_youtube-vos-256x448_oneshot.py',
                'YouTubeVOS'),
    'davis': ('rvos_davis_data', 'rvos-mask-st_r101_davis-2017-240x427_ft.py', 'DAVIS2017'),
}
# float32 rounding of the two normalisation formulas (values within about 2.7 in magnitude)
FLOAT_TOL = 2e-6


@pytest.fixture(scope='module')
def layouts(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('original_data_layouts'))
    write_layouts(layout_files(osp.join(CASES, 'tiny_layouts.npz'),
                               osp.join(CASES, 'tiny_layouts.json')), root)
    ytvos = osp.join(root, 'YouTubeVOS')
    # the thesis config's video lists, written by tools/dataset_converters/youtube_vos_split.py
    write_youtube_vos_partition(ytvos, [osp.join(ytvos, 'train', f'train-{p}-meta.json')
                                        for p in ('train', 'val')])
    return root


def _case(name: str) -> Tuple[dict, dict]:
    with open(osp.join(CASES, name + '.json')) as f:
        meta = json.load(f)
    return meta, dict(np.load(osp.join(CASES, name + '.npz')))


def original_tensor(frames_u8: np.ndarray) -> torch.Tensor:
    """torchvision ``ToTensor`` then ``Normalize`` of (..., H, W, 3) uint8, op for op."""
    x = torch.from_numpy(np.ascontiguousarray(np.moveaxis(frames_u8, -1, -3))).float().div(255)
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)
    return x.sub_(mean).div_(std)


def _packed_rgb(inputs: torch.Tensor) -> np.ndarray:
    """(..., 3, H, W) BGR uint8 packed by the pipeline -> (..., H, W, 3) RGB."""
    return np.moveaxis(inputs.flip(-3).numpy(), -3, -1)


def _without_augmentation(pipeline: List[dict]) -> List[dict]:
    return [dict(step, transforms=[t for t in step['transforms']
                                   if t['type'] not in AUGMENTATION])
            if 'transforms' in step else step
            for step in pipeline if step['type'] not in AUGMENTATION]


# ---------------------------------------------------------------- RVOS (YouTube-VOS, DAVIS)
def _video_setup(layouts: str, which: str):
    case, config, folder = VIDEO_CASES[which]
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'rvos', config))
    video_ds = cfg.train_dataloader.dataset.dataset
    video_ds.data_root = osp.join(layouts, folder) + '/'
    video_ds.pipeline = _without_augmentation(video_ds.pipeline)
    cfg.val_dataloader.dataset.dataset.data_root = video_ds.data_root
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        val = DATASETS.build(cfg.val_dataloader.dataset)
        preprocessor = MODELS.build(cfg.model.data_preprocessor)
        head = MODELS.build(cfg.model.head)
    return _case(case), dataset, val, preprocessor, head


def _our_clips(dataset) -> Dict[Tuple[str, int], int]:
    """{(video, starting frame number): sample index}."""
    clips = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        start = info['images'][info['key_frame_id']]['frame_name']
        clips[(info['video_name'], int(start))] = i
    return clips


@pytest.mark.parametrize('which', sorted(VIDEO_CASES))
def test_rvos_clips_frames_targets_equal_original(layouts, which):
    (meta, arrays), dataset, val, preprocessor, head = _video_setup(layouts, which)
    ours = _our_clips(dataset)
    originals = {(c['seq_name'], c['starting_frame']): c for c in meta['clips']}
    # the same clips: every video cut into int(frames / 5) clips from frame 0, none drawn;
    # the validation loader's (model selection by the loss on its clips) too
    assert sorted(ours) == sorted(originals)
    assert sorted(_our_clips(val)) == sorted(tuple(c) for c in meta['val_clips'])
    samples = {key: dataset[i] for key, i in ours.items()}
    h, w = meta['input_res']
    for key, clip in originals.items():
        i = clip['index']
        info = dataset.get_data_info(ours[key])
        start = info['key_frame_id']
        frames = [f['frame_name'] for f in info['images'][start:start + meta['length_clip']]]
        assert frames == clip['frames'], key  # frame order
        sample = samples[key]
        u8 = _packed_rgb(sample['inputs'])
        expected = decode_frames(arrays[f'clip{i}/images_code'])
        diff = np.abs(u8.astype(int) - expected.astype(int))
        assert diff.max() == 0, (f'{key}: frames differ from the original in {(diff > 0).sum()} '
                                 f'values, by at most {diff.max()}')
        np.testing.assert_allclose(original_tensor(expected).double().sum((1, 2, 3)).numpy(),
                                   arrays[f'clip{i}/image_sums'], rtol=1e-9)
    # one batch as the original's: the DataLoader collate, then the model's preprocessor
    batch_keys = list(zip(meta['batch']['seq_names'], meta['batch']['starting_frames']))
    data = preprocessor(pseudo_collate([samples[k] for k in batch_keys]), True)
    slotted = head.get_targets(data['data_samples'], torch.device('cpu'))
    targets, valid = slotted.masks, head.sw_mask(data['data_samples'], slotted)
    assert data['inputs'].shape[-2:] == (h, w) and targets.shape[-2:] == (h, w)
    for b, key in enumerate(batch_keys):
        i = originals[key]['index']
        expected = original_tensor(decode_frames(arrays[f'clip{i}/images_code']))
        err = (data['inputs'][b] - expected).abs().max().item()
        assert err < FLOAT_TOL, f'{key}: preprocessed inputs differ by {err}'
        masks = unpack_masks(arrays[f'clip{i}/masks_bits'], w)
        slots = meta['gt_maxseqlen']
        assert targets.shape[2] == slots
        mismatch = (targets[b].numpy().astype(bool) != masks).sum((2, 3))
        assert not mismatch.any(), f'{key}: target pixels differing per (frame, slot): {mismatch}'
        assert np.array_equal(valid[b].numpy(), arrays[f'clip{i}/sw_mask'].astype(bool)), key
    assert np.array_equal(valid.permute(1, 0, 2).numpy(),
                          arrays['batch/sw_mask'].astype(bool))


# ---------------------------------------------------------------- RefVOS (RefCOCO)
def _pin_crop(transform, top: int, left: int) -> None:
    """The original pads to 480 then crops at (top, left) of the padded image; our
    RandomCrop crops first (then Pad): the same window, clipped to the image."""
    size = transform.crop_size

    def crop_bbox(results):
        h, w = results['img'].shape[:2]
        return top, top + min(size[0], h), left, left + min(size[1], w)
    transform.crop_bbox = crop_bbox


def test_refvos_refcoco_images_targets_equal_original(layouts):
    meta, arrays = _case('refvos_refcoco_data')
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'refvos', 'refvos_r101_refcoco-480x480.py'))
    cfg.train_dataloader.dataset.data_root = osp.join(layouts, 'refer') + '/'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        dataset = SEG_DATASETS.build(cfg.train_dataloader.dataset)
        preprocessor = SEG_MODELS.build(cfg.model.data_preprocessor)
    by_ann = {dataset.get_data_info(i)['object_id']: i for i in range(len(dataset))}
    assert sorted(by_ann) == sorted(s['ann_id'] for s in meta['samples'])  # one per ref
    crop = [t for t in dataset.pipeline.transforms if type(t).__name__ == 'RandomCrop']
    assert len(crop) == 1
    packed = []
    for s in meta['samples']:
        top, left, ch, cw = s['crop']
        assert (ch, cw) == (meta['crop_size'], meta['crop_size'])
        _pin_crop(crop[0], top, left)
        packed.append(dataset[by_ann[s['ann_id']]])
        i = s['index']
        u8 = _packed_rgb(packed[-1]['inputs'])
        expected = decode_frames(arrays[f'sample{i}/image_code'])
        diff = np.abs(u8.astype(int) - expected.astype(int))
        assert diff.max() == 0, (f'ref {s["ref_id"]}: image differs in {(diff > 0).sum()} '
                                 f'values, by at most {diff.max()}')
        target = packed[-1]['data_samples'].gt_sem_seg.data[0].numpy()
        bad = target != arrays[f'sample{i}/target']
        assert not bad.any(), (f'ref {s["ref_id"]}: {bad.sum()} target pixels differ '
                               f'(ours {np.unique(target[bad])}, original '
                               f'{np.unique(arrays[f"sample{i}/target"][bad])})')
    data = preprocessor(pseudo_collate(packed), True)
    assert list(data['inputs'].shape) == meta['batch_shape']
    for b, s in enumerate(meta['samples']):
        expected = original_tensor(decode_frames(arrays[f'sample{s["index"]}/image_code']))
        err = (data['inputs'][b] - expected).abs().max().item()
        assert err < FLOAT_TOL, f'ref {s["ref_id"]}: preprocessed inputs differ by {err}'
        target = data['data_samples'][b].gt_sem_seg.data[0].numpy()
        assert np.array_equal(target, arrays[f'sample{s["index"]}/target'])


# ---------------------------------------------------------------- the named options
def test_resize_masks_follow_backend():
    """``Resize`` (mmsegsup scope): 'pillow' resizes the masks as PIL resizes the id map (the
    original's imresize(annot, interp='nearest')); 'cv2' is mmdet's Resize unchanged."""
    from mmdet.datasets.transforms import Resize as MMDetResize
    from mmdet.structures.mask import BitmapMasks
    from PIL import Image
    ids = np.random.default_rng(0).integers(0, 4, (45, 80)).astype(np.uint8)
    masks = np.stack([(ids == i).astype(np.uint8) for i in (1, 2, 3)])

    def resized(transform):
        out = transform(dict(img=np.zeros((45, 80, 3), np.uint8),
                             gt_masks=BitmapMasks(masks, 45, 80)))
        return out['gt_masks'].masks

    with DefaultScope.overwrite_default_scope('mmsegsup'):
        pil_resize = TRANSFORMS.build(dict(type='Resize', scale=(448, 256), keep_ratio=False,
                                           backend='pillow'))
        cv2_resize = TRANSFORMS.build(dict(type='Resize', scale=(448, 256), keep_ratio=False))
    assert type(pil_resize).__name__ == 'BackendResize'
    pil, cv2_ours = resized(pil_resize), resized(cv2_resize)
    ref = np.array(Image.fromarray(ids).resize((448, 256), Image.NEAREST))
    assert np.array_equal(pil, np.stack([(ref == i) for i in (1, 2, 3)]).astype(np.uint8))
    mmdet = resized(MMDetResize(scale=(448, 256), keep_ratio=False))
    assert np.array_equal(cv2_ours, mmdet) and not np.array_equal(pil, mmdet)


def test_coco_overlap_options():
    """Two overlapping polygons of one referent: 'union' keeps the overlap, 'exactly_one'
    (the original RefVOS) makes it background."""
    from mmsegsup.datasets.transforms import LoadReferringMask
    seg = [[0, 0, 6, 0, 6, 6, 0, 6], [3, 3, 9, 3, 9, 9, 3, 9]]
    results = dict(ref_mask=dict(type='coco', segmentation=seg, height=10, width=10),
                   img_shape=(10, 10))
    union = LoadReferringMask()(dict(results))['gt_seg_map']
    one = LoadReferringMask(coco_overlap='exactly_one')(dict(results))['gt_seg_map']
    overlap = union.astype(bool) & ~one.astype(bool)
    assert overlap.sum() > 0 and not (one.astype(bool) & ~union.astype(bool)).any()
    assert overlap[4:6, 4:6].all() and not overlap[0, 0] and not overlap[8, 8]
    with pytest.raises(ValueError, match='coco_overlap'):
        LoadReferringMask(coco_overlap='sum')
