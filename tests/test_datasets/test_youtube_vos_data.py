"""YouTube-VOS loading (official layout fixtures), the 80/20 split, late-object injection in
one-shot RVOS, the thesis zero-shot protocol, class / stop branches, and train/test through
tools/ on the synthetic YouTube-VOS-layout videos."""
import json
import os
import os.path as osp
import re
import zipfile

import numpy as np
import pytest
import torch
from mmsegsup.registry import DATASETS, MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData
from PIL import Image

from mmsegsup.formats.errors import FormatError
from mmsegsup.formats.index_png import write_index_png
from mmsegsup.formats.palettes import DAVIS_PALETTE
from mmsegsup.formats.youtube_vos_splits import split_youtube_vos, write_youtube_vos_split
from mmsegsup.models.heads.rvos_head import FrameOutput
from mmsegsup.models.vos import VOSInferenceCore
from tools_utils import REPO, run

YTVOS_CPU = osp.join(REPO, 'configs/rvos/rvos-st_r18-c16_shapes-ytvos-64x64_oneshot_cpu.py')
H, W = 24, 32
STEMS = ['00000', '00005', '00010', '00015']


def _png(arr, path):
    write_index_png(arr.astype(np.uint8), path, DAVIS_PALETTE)


def _official_fixture(root):
    """``train`` with video 'vid_a': object 1 (dog) from the start, object 2 (cat) entering at
    00010; and 'vid_b' with one person. Every 5th frame annotated, as YouTube-VOS train."""
    split = osp.join(root, 'train')
    videos = {'vid_a': {'1': ('dog', STEMS), '2': ('cat', STEMS[2:])},
              'vid_b': {'1': ('person', STEMS)}}
    for name, objects in videos.items():
        for t, stem in enumerate(STEMS):
            img = np.full((H, W, 3), 40 * t, np.uint8)
            os.makedirs(osp.join(split, 'JPEGImages', name), exist_ok=True)
            Image.fromarray(img).save(osp.join(split, 'JPEGImages', name, stem + '.jpg'))
            ids = np.zeros((H, W), np.uint8)
            ids[2:8, 2 + t:10 + t] = 1
            if name == 'vid_a' and t >= 2:
                ids[14:20, 18:26] = 2
            _png(ids, osp.join(split, 'Annotations', name, stem + '.png'))
    meta = {'videos': {v: {'objects': {k: {'category': c, 'frames': f}
                                       for k, (c, f) in objs.items()}}
                       for v, objs in videos.items()}}
    with open(osp.join(split, 'meta.json'), 'w') as f:
        json.dump(meta, f)
    return root


def _dataset(root, **kw):
    return DATASETS.build(dict(type='YouTubeVOSDataset', data_root=root, split='train',
                               pipeline=[], **kw))


def test_loader_reads_official_layout(tmp_path):
    root = _official_fixture(str(tmp_path))
    ds = _dataset(root)
    assert ds.metainfo['classes'] == ('cat', 'dog', 'person')
    info = ds.get_data_info(0)
    assert info['video_name'] == 'vid_a' and info['video_length'] == 4
    assert [f['frame_name'] for f in info['images']] == STEMS
    assert all(f['ann_path'] for f in info['images'])  # training: every annotation
    assert info['objects'] == {1: dict(category='dog', first_frame='00000'),
                               2: dict(category='cat', first_frame='00010')}
    assert info['images'][0]['object_labels'] == {1: 1, 2: 0}


def test_test_mode_gives_masks_only_at_first_appearance(tmp_path):
    root = _official_fixture(str(tmp_path))
    test_pipeline = [
        dict(type='VideoClipSample', num_frames=None),
        dict(type='TransformBroadcaster', transforms=[
            dict(type='LoadImageFromFile'), dict(type='LoadVideoObjectAnnotations')]),
        dict(type='PackTrackInputs', meta_keys=('video_name', 'frame_name'))]
    ds = DATASETS.build(dict(type='YouTubeVOSDataset', data_root=root, split='train',
                             test_mode=True, pipeline=test_pipeline))
    video = ds[0]['data_samples']
    given = [video[t].gt_instances.instances_ids.tolist() for t in range(4)]
    # Object 1 at its first frame only; object 2 at 00010 although 00010 also shows object 1.
    assert given == [[1], [], [2], []]
    assert video[2].gt_instances.labels.tolist() == [0]  # cat


def test_loader_errors_name_the_file(tmp_path):
    root = _official_fixture(str(tmp_path))
    meta_path = osp.join(root, 'train', 'meta.json')
    os.remove(osp.join(root, 'train', 'JPEGImages', 'vid_a', '00015.jpg'))
    with pytest.raises(FormatError, match=r'vid_a.00015\.jpg: missing frame'):
        _dataset(root)
    for f in os.listdir(osp.join(root, 'train', 'JPEGImages', 'vid_a')):
        os.remove(osp.join(root, 'train', 'JPEGImages', 'vid_a', f))
    with pytest.raises(FormatError, match='vid_a has no frames'):
        _dataset(root)
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('vid_b\nvid_zzz\n')
    with pytest.raises(FormatError, match="list.txt: video 'vid_zzz'"):
        _dataset(root, video_list='list.txt')
    with open(meta_path, 'w') as f:
        json.dump({'videos': {'vid_b': {'objects': {'1': {'frames': STEMS}}}}}, f)
    with pytest.raises(FormatError, match='meta.json.*"category"'):
        _dataset(root)


def test_80_20_split_is_deterministic_and_disjoint(tmp_path):
    names = [f'v{i:03d}' for i in range(50)]
    train, val = split_youtube_vos(names, 0.8, seed=3)
    assert (len(train), len(val)) == (40, 10) and not set(train) & set(val)
    assert sorted(train + val) == names
    assert split_youtube_vos(names[::-1], 0.8, seed=3) == (train, val)
    assert split_youtube_vos(names, 0.8, seed=4) != (train, val)
    root = _official_fixture(str(tmp_path))
    run(['tools/dataset_converters/youtube_vos_split.py', root, '--ratio', '0.5'])
    paths = write_youtube_vos_split(root, ratio=0.5)
    assert paths == ('train/splits/train-50.txt', 'train/splits/val-50.txt')
    ds = _dataset(root, video_list=paths[1])
    assert len(ds) == 1


# ----------------------------------------------------------------------------- the model
def _cpu_cfg(tmp_path):
    cfg = Config.fromfile(YTVOS_CPU)
    root = str(tmp_path / 'ytvos') + '/'
    cfg.train_dataloader.dataset.update(data_root=root, num_videos=3, num_frames=6)
    cfg.val_dataloader.dataset.update(data_root=root, num_videos=6, num_frames=8)
    return cfg


def _model(cfg, **head):
    model_cfg = cfg.model.copy()
    model_cfg.head = dict(model_cfg.head, **head)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.eval()


def test_one_shot_injects_late_objects_at_first_annotated_frame(tmp_path):
    cfg = _cpu_cfg(tmp_path)
    ds = DATASETS.build(cfg.val_dataloader.dataset)
    late = [i for i in range(len(ds)) if any(
        o['first_frame'] != '00000' for o in ds.get_data_info(i)['objects'].values())]
    assert late, 'the synthetic YouTube-VOS videos must have objects entering mid-video'
    model = _model(cfg)
    data = model.data_preprocessor(pseudo_collate([ds[late[0]]]), False)
    with torch.no_grad():
        video = model(**data, mode='predict')[0]
    objects = ds.get_data_info(late[0])['objects']
    for obj, o in objects.items():
        first = next(t for t in range(len(video)) if video[t].frame_name == o['first_frame'])
        for t in range(len(video)):
            pred = video[t].pred_track_instances
            assert (obj in pred.instances_ids.tolist()) == (t >= first)
        pred = video[first].pred_track_instances
        gt = video[first].gt_instances
        given = gt.masks.to_tensor(torch.bool, 'cpu')[gt.instances_ids.tolist().index(obj)]
        mine = pred.masks[pred.instances_ids.tolist().index(obj)].cpu()
        # The entering frame returns the given mask (where no earlier object is on top).
        assert (mine == given).float().mean() > 0.9 and mine[given].float().mean() > 0.6


def _sample(masks_by_id, size=(16, 16)):
    sample = DetDataSample(metainfo=dict(batch_input_shape=size, img_shape=size,
                                         ori_shape=size))
    ids = sorted(masks_by_id)
    masks = np.stack([masks_by_id[i] for i in ids]) if ids else np.zeros((0, ) + size,
                                                                        np.uint8)
    sample.gt_instances = InstanceData(masks=BitmapMasks(masks, *size),
                                       instances_ids=torch.tensor(ids, dtype=torch.long))
    return sample


def test_zero_shot_thesis_protocol_assigns_slots_on_first_frame(tmp_path):
    cfg = _cpu_cfg(tmp_path)
    model = _model(cfg, one_shot=False, num_slots=3,
                   test_cfg=dict(mask_thr=0.5, slot_assignment='first_frame'))
    head = model.head
    a = np.zeros((16, 16), np.uint8)
    a[:6, :6] = 1
    b = np.zeros((16, 16), np.uint8)
    b[8:, 8:] = 1
    slots = torch.full((1, 3, 16, 16), -10.0)
    slots[0, 2][torch.from_numpy(a) > 0] = 10.0  # slot 2 finds object 5
    slots[0, 0][torch.from_numpy(b) > 0] = 10.0  # slot 0 finds object 7
    head.frame = lambda feats, temporal, prev, n: FrameOutput(slots, None, None, [None] * n)
    model.extract_feat = lambda image: (image, )
    frames = [_sample({5: a, 7: b}), _sample({}), _sample({5: b})]  # later masks: ignored
    outs = list(VOSInferenceCore(model).run([torch.zeros(1, 3, 16, 16)] * 3, frames))
    for out in outs:
        assert out.ids == [5, 7]
        assert torch.equal(out.probs > 0.5, torch.stack([torch.from_numpy(a),
                                                         torch.from_numpy(b)]).bool())
    with pytest.raises(ValueError, match='slot_assignment'):
        _model(cfg, one_shot=False, test_cfg=dict(slot_assignment='last'))


def test_class_and_stop_branches_train_and_predict(tmp_path):
    cfg = _cpu_cfg(tmp_path)
    with pytest.raises(ValueError, match='with_stop needs the zero-shot'):
        _model(cfg, with_stop=True)
    model = _model(cfg, one_shot=False, num_slots=4, num_classes=3, with_stop=True)
    model.train()
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([ds[i] for i in range(len(ds))]), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_mask', 'loss_cls', 'loss_stop'}
    sum(losses.values()).backward()
    assert model.head.fc_cls.weight.grad.abs().sum() > 0
    assert model.head.fc_stop.weight.grad.abs().sum() > 0
    one_shot = _model(cfg, num_classes=3).train()
    assert set(one_shot(**data, mode='loss')) == {'loss_mask', 'loss_cls'}
    # Inference: labels from the class branch, scores from the stop branch; slots whose stop
    # probability is below stop_thr hold no pixel.
    model.eval()
    val = DATASETS.build(cfg.val_dataloader.dataset)
    batch = model.data_preprocessor(pseudo_collate([val[0]]), False)
    with torch.no_grad():
        model.head.fc_stop.bias[...] = -50.0
        video = model(**batch, mode='predict')[0]
    pred = video[1].pred_track_instances
    assert pred.labels.max() < 3 and pred.scores.max() < 0.5 and not pred.masks.any()


# ----------------------------------------------------------------------------- tools
def test_ytvos_train_test_seen_unseen_and_submission(tmp_path):
    root = str(tmp_path / 'ytvos') + '/'
    cfg = tmp_path / 'ytvos.py'
    cfg.write_text(f"""
_base_ = {YTVOS_CPU!r}
data_root = {root!r}
train_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root, num_videos=4))
val_dataloader = dict(dataset=dict(data_root=data_root, num_videos=3))
test_dataloader = val_dataloader
val_evaluator = dict(data_root=data_root, train_meta=data_root + 'train/meta.json')
test_evaluator = dict(data_root=data_root, train_meta=data_root + 'train/meta.json',
                      zip_submission=True)
train_cfg = dict(max_iters=2, val_interval=2)
""")
    work = str(tmp_path / 'work')
    run(['tools/train.py', str(cfg), '--work-dir', work])
    out_dir = str(tmp_path / 'submission')
    proc = run(['tools/test.py', str(cfg), osp.join(work, 'iter_2.pth'), '--work-dir', work,
                '--cfg-options', f'test_evaluator.outfile_dir={out_dir}'])
    log = proc.stdout + proc.stderr
    for key in ('Overall', 'J_seen', 'F_seen', 'J_unseen', 'F_unseen'):
        assert re.search(rf'youtube_vos/{key}: (nan|[0-9.]+)', log), key
    with open(osp.join(root, 'train', 'meta.json')) as f:
        train_cats = {o['category'] for v in json.load(f)['videos'].values()
                      for o in v['objects'].values()}
    assert 'triangle' not in train_cats  # the unseen category
    videos = sorted(os.listdir(osp.join(out_dir, 'Annotations')))
    assert len(videos) == 3
    with zipfile.ZipFile(osp.join(out_dir, 'submission.zip')) as zf:
        names = zf.namelist()
    assert len(names) == 3 * 12 and all(n.startswith('Annotations/') for n in names)
