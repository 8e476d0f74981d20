"""Pseudo-labelling (BASIS): COCO output, resume without redoing finished images, identical
files from 1 and 2 DDP processes, the in-run hook, and the strong / pool splits."""
import json
import os
import os.path as osp

import pytest
from pycocotools.coco import COCO

from mmsegsup.basis import choose_strong, split_coco, split_list
from tools_utils import free_port, run, tiny_config

# module-scoped fixtures: keep this file's tests on one xdist worker
pytestmark = pytest.mark.xdist_group('pseudo_labels')

PSEUDO_DATASET = """
pseudo_label_dataset = dict(
    type='ShapesInstanceDataset', data_root=data_root, split='pool', num_images=6, seed=5,
    size=64, test_mode=True,
    pipeline=[dict(type='LoadImageFromFile'),
              dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                                    'img_shape', 'scale_factor'))])
"""


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A few-iteration RSIS (its predictions are poor but real) and its config."""
    tmp = tmp_path_factory.mktemp('annotator')
    cfg = tiny_config(tmp, max_iters=4, extra=PSEUDO_DATASET +
                      "model = dict(test_cfg=dict(stop_thr=0.0))\n")  # emit every step
    run(['tools/train.py', cfg, '--work-dir', str(tmp / 'work')])
    return cfg, str(tmp / 'work' / 'iter_4.pth'), tmp


def _label(cfg, ckpt, out, *extra, subprocess=False):
    return run(['tools/pseudo_label.py', cfg, ckpt, '--out-dir', out, *extra],
               subprocess=subprocess)


def test_tool_writes_coco_and_resumes(trained):
    cfg, ckpt, tmp = trained
    out = str(tmp / 'pseudo')
    _label(cfg, ckpt, out, subprocess=True)
    path = osp.join(out, 'pseudo_instances.json')
    coco = COCO(path)
    source = COCO(str(tmp / 'shapes' / 'annotations' / 'instances_pool.json'))
    assert sorted(coco.getImgIds()) == sorted(source.getImgIds())
    assert coco.loadCats(coco.getCatIds()) == source.loadCats(source.getCatIds())
    anns = coco.loadAnns(coco.getAnnIds())
    assert anns and all(a['iscrowd'] == 0 and 0 <= a['score'] <= 1 for a in anns)
    assert {coco.imgs[i]['file_name'] for i in coco.imgs} == {
        source.imgs[i]['file_name'] for i in source.imgs}
    first = open(path).read()
    # Interrupted run: the merged file and two shards are gone; finished shards stay as is.
    shards = sorted(os.listdir(osp.join(out, 'shards')))
    os.remove(path)
    for name in shards[2:4]:
        os.remove(osp.join(out, 'shards', name))
    kept = {n: os.stat(osp.join(out, 'shards', n)).st_mtime_ns for n in shards[:2] + shards[4:]}
    _label(cfg, ckpt, out)
    assert sorted(os.listdir(osp.join(out, 'shards'))) == shards
    assert all(os.stat(osp.join(out, 'shards', n)).st_mtime_ns == t for n, t in kept.items())
    assert open(path).read() == first
    # A score threshold keeps only the confident instances.
    thr = sorted(a['score'] for a in anns)[len(anns) // 2]
    _label(cfg, ckpt, str(tmp / 'pseudo_thr'), '--score-thr', str(thr))
    high = json.load(open(osp.join(tmp, 'pseudo_thr', 'pseudo_instances.json')))
    assert 0 < len(high['annotations']) < len(anns)
    assert all(a['score'] >= thr for a in high['annotations'])


@pytest.mark.slow  # 15-19 s: a fresh interpreter (or two DDP processes)
def test_two_ddp_processes_write_identical_files(trained):
    cfg, ckpt, tmp = trained
    one, two = str(tmp / 'one'), str(tmp / 'two')
    _label(cfg, ckpt, one)
    run(['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
         str(free_port()), 'tools/pseudo_label.py', cfg, ckpt, '--out-dir', two,
         '--launcher', 'pytorch'])
    a = open(osp.join(one, 'pseudo_instances.json')).read()
    assert a == open(osp.join(two, 'pseudo_instances.json')).read()


def test_hook_labels_the_pool_after_training(tmp_path):
    cfg = tiny_config(tmp_path, max_iters=2, extra=PSEUDO_DATASET + """
custom_hooks = [dict(type='PseudoLabelHook', dataset=pseudo_label_dataset, task='instance')]
""")
    run(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'work')])
    coco = json.load(open(tmp_path / 'work' / 'pseudo_labels' / 'pseudo_instances.json'))
    assert len(coco['images']) == 6


def test_strong_splits_are_seeded_nested_and_checked(tmp_path):
    names = [f'img{i}' for i in range(20)]
    s5, rest5 = choose_strong(names, 5, seed=1)
    s10, _ = choose_strong(names, 10, seed=1)
    assert len(s5) == 5 and set(s5) <= set(s10) and sorted(s5 + rest5) == sorted(names)
    assert choose_strong(names, 5, seed=2)[0] != s5
    with pytest.raises(ValueError, match='N=21 strong images is larger than the pool'):
        choose_strong(names, 21)
    with pytest.raises(ValueError, match='positive integer'):
        choose_strong(names, 0)
    coco = dict(images=[dict(id=i, file_name=f'{i}.png', height=4, width=4) for i in range(8)],
                annotations=[dict(id=i + 1, image_id=i, category_id=0) for i in range(8)],
                categories=[dict(id=0, name='circle')])
    ann = tmp_path / 'all.json'
    ann.write_text(json.dumps(coco))
    strong, pool = split_coco(str(ann), 3, 0, str(tmp_path / 'splits'))
    s, p = json.load(open(strong)), json.load(open(pool))
    assert len(s['images']) == 3 and len(p['images']) == 5 and p['annotations'] == []
    assert {a['image_id'] for a in s['annotations']} == {im['id'] for im in s['images']}
    with pytest.raises(ValueError, match=r'N=9 .*all\.json, which has 8 images'):
        split_coco(str(ann), 9, 0, str(tmp_path / 'splits'))
    lst = tmp_path / 'names.txt'
    lst.write_text('\n'.join(names) + '\n')
    a, b = split_list(str(lst), 4, 0, str(tmp_path / 'sem'))
    assert len(open(a).read().split()) == 4 and len(open(b).read().split()) == 16
