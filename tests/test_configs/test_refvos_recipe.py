"""The thesis RefVOS configs train and test with the original code's recipe (issue 14 items 4/5).

Each check reads what the config builds (the runner's model and optimiser, the dataset and its
pipeline, the evaluator), against the facts of miriambellver/refvos in
tests/data/original_refs/refvos/FORMAT.md (sections 3-6).
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

from a2d_davis_refer_utils import NUM_FRAMES, make_a2d, make_davis
from refer_utils import SIZES, write_refer_root
from tools_utils import REPO

CONFIG_DIR = osp.join(REPO, 'configs', 'refvos')
THESIS = {  # config -> (dataset, token limit)
    'refvos_r101_refcoco-480x480.py': ('refcoco', 20),
    'refvos_r101_refcoco+-480x480.py': ('refcoco+', 20),
    'refvos_r101_refcocog-umd-480x480.py': ('refcocog', 20),
    'refvos_r101_a2d-sentences-480x480.py': ('a2d', 10),
    'refvos_r101_davis-refer-480x480_ft.py': ('davis', 10),
}
# a 12-layer BERT as narrow as the tests can afford: the fixed layers 10-11 exist
SMALL_BERT = dict(model_type='bert', hidden_size=32, num_attention_heads=2,
                  intermediate_size=32)


def _cfg(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def _offline(cfg: Config) -> Config:
    """The config with a small offline BERT (MiniLM's uncased WordPiece tokenizer), no
    ImageNet weights and in-process data loading."""
    cfg.model.backbone.init_cfg = None
    cfg.model.text_encoder.update(model_name_or_path='minilm-offline',
                                  model_config=dict(SMALL_BERT))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False)
    return cfg


def _build_model(cfg: Config):
    import mmsegsup  # noqa: F401
    from mmsegsup.registry import SEG_MODELS
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        return SEG_MODELS.build(cfg.model)


def _build_dataset(cfg: Config, loader: str, data_root: str):
    import mmsegsup  # noqa: F401
    from mmsegsup.registry import SEG_DATASETS
    dataset = dict(cfg[loader].dataset, data_root=data_root)
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        return SEG_DATASETS.build(dataset)


# ------------------------------------------------------------------ model
def test_converted_model_is_the_base_with_the_checkpoints_choices():
    """The converter's model is configs/_base_/models/refvos_r101.py with only what a
    checkpoint decides changed (token limit, tokenizer, BERT architecture; no ImageNet init);
    a BERT of fewer than 10 layers trains them all, as the original's layers 0-9 rule."""
    from mmsegsup.models.converters import thesis_refvos_cfg
    expected = Config.fromfile(osp.join(REPO, 'configs/_base_/models/refvos_r101.py')).model
    expected.backbone.init_cfg = None
    expected.text_encoder.update(model_name_or_path='minilm-offline',
                                 model_config=dict(SMALL_BERT))
    assert thesis_refvos_cfg(20, 'minilm-offline', dict(SMALL_BERT)) == expected.to_dict()
    small = dict(SMALL_BERT, num_hidden_layers=2)
    expected.text_encoder.update(max_length=10, model_config=small, trained_layers=2)
    assert thesis_refvos_cfg(10, 'minilm-offline', small) == expected.to_dict()


@pytest.mark.parametrize('name', sorted(THESIS))
def test_thesis_configs_token_limits_and_bert_usage(name):
    cfg = _cfg(name)
    enc = cfg.model.text_encoder
    assert enc.model_name_or_path == 'bert-base-uncased' and enc.pooling == 'cls'
    assert enc.max_length == THESIS[name][1]  # dataset_refer_bert.py:41, a2d.py:27, davis:45
    assert enc.truncation == 'slice' and enc.eval_mode and not enc.get('frozen', False)
    # layers 0-9 train (train.py:367): the embeddings and every later layer are fixed
    assert tuple(enc.fixed_prefixes) == ('embeddings.', ) and enc.trained_layers == 10
    bb, head = cfg.model.backbone, cfg.model.decode_head
    assert (bb.type, bb.style, tuple(bb.strides), tuple(bb.dilations)) == (
        'ResNet', 'pytorch', (1, 2, 1, 1), (1, 1, 2, 4))
    assert head.fusion == 'mul' and head.text_norm_cfg == dict(type='BN1d')
    loss = head.loss_decode
    assert loss.type == 'CrossEntropyLoss' and loss.avg_non_ignore and not loss.use_sigmoid


def test_optimiser_steps_bert_layers_0_to_9_only_in_eval_mode(tmp_path):
    """SGD 0.01 / 0.9 / 1e-4 over the backbone, head and BERT layers 0-9 (train.py:361-375);
    BERT's embeddings and layers 10-11 never change; BERT stays in eval mode (no dropout)."""
    from mmengine.runner import Runner
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    cfg = _offline(_cfg('refvos_r101_refcoco-480x480.py'))
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    opt = optim_wrapper.optimizer
    assert type(opt).__name__ == 'SGD' and len(opt.param_groups) == 1
    group = opt.param_groups[0]
    assert (group['lr'], group['momentum'], group['weight_decay']) == (0.01, 0.9, 1e-4)
    model = runner.model
    model.train()
    bert = model.text_encoder.model
    assert not bert.training and all(not m.training for m in bert.modules())
    assert model.decode_head.training
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    samples = []
    for i in range(2):  # BatchNorm1d of the sentence projection needs 2 samples
        sample = SegDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64),
                                             pad_shape=(64, 64), expression=f'thing {i}',
                                             expr_id=str(i)))
        gt = torch.zeros(1, 64, 64, dtype=torch.long)
        gt[:, 10:40, 5:30] = 1
        gt[:, 60:] = 255
        sample.gt_sem_seg = PixelData(data=gt)
        samples.append(sample)
    inputs = [torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8) for _ in range(2)]
    model.data_preprocessor.size = (64, 64)  # not padded to the 480 crop: a fast step
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    losses = model(**data, mode='loss')
    assert set(losses) >= {'decode.loss_ce'}
    loss, _ = model.parse_losses(losses)
    optim_wrapper.update_params(loss)
    changed = {k for k, v in model.named_parameters() if not torch.equal(v, before[k])}
    fixed = ('text_encoder.model.embeddings.', 'text_encoder.model.encoder.layer.10.',
             'text_encoder.model.encoder.layer.11.')
    assert not {k for k in changed if k.startswith(fixed)}
    stepped = set(before) - {k for k in before if k.startswith(fixed)}
    for layer in range(10):
        prefix = f'text_encoder.model.encoder.layer.{layer}.'
        assert {k for k in stepped if k.startswith(prefix)} <= changed, layer
    assert any(k.startswith('backbone.') for k in changed)
    assert {k for k in stepped if k.startswith('decode_head.')} <= changed


@pytest.mark.parametrize('name', sorted(THESIS))
def test_poly_lr_per_iteration_over_30_epochs(name):
    """LambdaLR (1 - it / (len(loader) * 30)) ** 0.9 stepped every iteration (train.py:263-266,
    384-386), as the runner converts the config's PolyLR for an epoch of 7 iterations."""
    import mmengine.optim  # noqa: F401  (registers the schedulers)
    from mmengine.registry import PARAM_SCHEDULERS
    cfg = _cfg(name)
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop' and cfg.train_cfg.max_epochs == 30
    (sched, ) = cfg.param_scheduler
    assert sched.convert_to_iter_based
    opt_cfg = cfg.optim_wrapper.optimizer
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=opt_cfg.lr, momentum=opt_cfg.momentum)
    epoch_length = 7
    kwargs = {k: v for k, v in sched.items() if k not in ('type', 'convert_to_iter_based')}
    with DefaultScope.overwrite_default_scope(cfg.default_scope):  # as the runner finds it
        scheduler = PARAM_SCHEDULERS.get(sched.type).build_iter_from_epoch(
            opt, epoch_length=epoch_length, **kwargs)
    total = epoch_length * 30
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        scheduler.step()
    expected = [0.01 * (1 - it / total) ** 0.9 for it in range(total)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-9, atol=1e-15)
    assert (opt_cfg.type, opt_cfg.lr, opt_cfg.momentum, opt_cfg.weight_decay) == (
        'SGD', 0.01, 0.9, 1e-4)
    loader = cfg.train_dataloader
    assert loader.batch_size == 6 and loader.drop_last  # args.py:14, train.py:299-302
    assert cfg.optim_wrapper.get('clip_grad') is None


def test_readme_recipe_is_the_other_reading():
    cfg = _cfg('refvos_r101_refcoco-480x480_readme-recipe.py')
    opt = cfg.optim_wrapper.optimizer
    assert opt.weight_decay == 1e-6 and cfg.train_dataloader.batch_size == 7
    assert cfg.model == _cfg('refvos_r101_refcoco-480x480.py').model
    assert cfg.train_dataloader.dataset == _cfg(
        'refvos_r101_refcoco-480x480.py').train_dataloader.dataset


# ------------------------------------------------------------------ data
def test_refcoco_one_random_sentence_per_ref_then_every_sentence(tmp_path):
    from mmsegsup.datasets import RefCOCODataset
    root = write_refer_root(str(tmp_path))
    cfg = _cfg('refvos_r101_refcoco-480x480.py')
    train = _build_dataset(cfg, 'train_dataloader', root)
    per_sentence = RefCOCODataset(data_root=root, split='train', samples='sentence')
    assert len(per_sentence) == 3 and len(train) == 2  # refs 0 (2 sentences) and 4
    np.random.seed(0)
    drawn = {train[0]['data_samples'].expression for _ in range(30)}
    assert drawn == {'Man on the left', 'left guy'}
    assert {train.get_data_info(1)['expression'] for _ in range(5)} == {'car in two parts'}
    test = _build_dataset(cfg, 'test_dataloader', root)
    assert sorted(test.get_data_info(i)['expression'] for i in range(len(test))) == [
        'cat', 'the other car', 'the white cat']  # val: every sentence of every ref
    with pytest.raises(ValueError, match="samples must be one of"):
        RefCOCODataset(data_root=root, samples='object')


def test_training_transform_shorter_side_416_pad_crop_480(tmp_path):
    root = write_refer_root(str(tmp_path))
    cfg = _cfg('refvos_r101_refcoco-480x480.py')
    train = _build_dataset(cfg, 'train_dataloader', root)
    np.random.seed(0)
    item = train[1]  # image 3: 18x18 -> 416x416, padded to 480x480
    img, gt = item['inputs'], item['data_samples'].gt_sem_seg.data[0]
    assert img.shape == (3, 480, 480) and gt.shape == (480, 480)
    assert (gt[416:] == 255).all() and (gt[:, 416:] == 255).all()  # right / bottom, 255
    assert (img[:, 416:] == 0).all() and (img[:, :, 416:] == 0).all()  # 0 before Normalize
    assert set(gt[:416, :416].unique().tolist()) <= {0, 1}
    # image 1: 20x30 -> 416x624 (torchvision's int(416 * 30 / 20)), cropped to 416x480
    item = train[0]
    gt = item['data_samples'].gt_sem_seg.data[0]
    assert item['inputs'].shape == (3, 480, 480)
    assert (gt[416:] == 255).all() and not (gt[:416] == 255).any()
    assert SIZES[1] == (20, 30)


def test_resize_shorter_side_is_torchvisions_pil_resize():
    from mmsegsup.datasets.transforms import ResizeShorterSide, shorter_side_size
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (37, 53, 3), dtype=np.uint8)
    seg = (rng.random((37, 53)) > 0.5).astype(np.uint8)
    out = ResizeShorterSide(416)(dict(img=img.copy(), gt_seg_map=seg.copy(),
                                      seg_fields=['gt_seg_map']))
    # torchvision F.resize(pil, 416): size (w, h) = (int(416 * 53 / 37), 416), PIL bilinear
    # for the image and nearest for the target (transforms.py:29-40)
    assert shorter_side_size(37, 53, 416) == (595, 416)
    want = np.asarray(Image.fromarray(img).resize((595, 416), Image.BILINEAR))
    want_seg = np.asarray(Image.fromarray(seg).resize((595, 416), Image.NEAREST))
    np.testing.assert_array_equal(out['img'], want)
    np.testing.assert_array_equal(out['gt_seg_map'], want_seg)
    assert out['img_shape'] == (416, 595)
    assert shorter_side_size(100, 60, 416) == (416, 693)  # portrait: width is the shorter
    with pytest.raises(ValueError, match='positive int'):
        ResizeShorterSide(0)


def test_test_pipeline_keeps_the_resolution(tmp_path):
    root = write_refer_root(str(tmp_path))
    for name in THESIS:
        cfg = _cfg(name)
        steps = [s.type for s in cfg.test_dataloader.dataset.pipeline]
        assert not [s for s in steps if 'Resize' in s or 'Crop' in s or 'Pad' in s], name
        assert cfg.test_dataloader.batch_size == 1
        assert cfg.model.decode_head.align_corners is False
    test = _build_dataset(_cfg('refvos_r101_refcoco-480x480.py'), 'test_dataloader', root)
    item = test[0]
    h, w = SIZES[2]
    assert item['inputs'].shape == (3, h, w)
    assert item['data_samples'].gt_sem_seg.data.shape[-2:] == (h, w)


def test_a2d_every_annotated_frame_of_the_video(tmp_path):
    """a2d.py:94-128, 151-152: each sentence on every annotated frame of its video, the actor
    absent or not (an empty mask), for training and test."""
    root = make_a2d(tmp_path)
    cfg = _cfg('refvos_r101_a2d-sentences-480x480.py')
    train = _build_dataset(cfg, 'train_dataloader', root)
    items = [train.get_data_info(i) for i in range(len(train))]
    pairs = [(d['expr_id'], d['frame_id']) for d in items]
    # vidA has annotated frames 3 and 6: vidA/2 (frame 6 only) gets frame 3 empty, vidA/7
    # (annotated nowhere) both frames empty
    assert ('vidA/2', 2) in pairs and ('vidA/7', 2) in pairs and ('vidA/7', 5) in pairs
    absent = [d for d in items if d['ref_mask'].get('absent')]
    assert {(d['expr_id'], d['frame_id']) for d in absent} == {
        ('vidA/2', 2), ('vidA/7', 2), ('vidA/7', 5)}
    by_pair = {(d['expr_id'], d['frame_id']): d for d in items}
    assert by_pair[('vidA/2', 2)]['actor'] == 'dog'  # from the frame that holds it
    assert by_pair[('vidA/7', 2)]['actor'] is None and by_pair[('vidA/7', 2)]['trivial'] is None
    index = items.index(by_pair[('vidA/2', 2)])
    gt = train[index]['data_samples'].gt_sem_seg.data
    assert set(gt.unique().tolist()) <= {0, 255} and (gt == 0).any()  # empty referent
    variant = _build_dataset(_cfg('refvos_r101_a2d-sentences-480x480_mmsegsup.py'),
                             'train_dataloader', root)
    assert len(variant) == len(items) - len(absent)
    assert _cfg('refvos_r101_a2d-sentences-480x480.py').test_dataloader.dataset.absent_frames


def test_davis_trains_over_both_annotators(tmp_path):
    root = make_davis(tmp_path)
    cfg = _cfg('refvos_r101_davis-refer-480x480_ft.py')
    train = _build_dataset(cfg, 'train_dataloader', root)
    assert len(train) == 2 * NUM_FRAMES  # (object, frame), not (sentence, frame)
    np.random.seed(0)
    drawn = {train.get_data_info(0)['expression'] for _ in range(30)}
    assert drawn == {'a man riding a bike', 'cyclist with café helmet'}
    expr_ids = {train.get_data_info(0)['expr_id'] for _ in range(30)}
    assert expr_ids == {'bike-packing/1/1', 'bike-packing/1/2'}
    test = _build_dataset(cfg, 'test_dataloader', root)
    assert {test.get_data_info(i)['expr_id'] for i in range(len(test))} == {
        'dogs-scale/1/1', 'dogs-scale/2/1'}  # annotator 1 at test (davis2017.py:155-156)
    from mmsegsup.datasets import DAVISReferDataset
    with pytest.raises(ValueError, match='a test set reads one annotator'):
        DAVISReferDataset(data_root=root, split='val', annotator=(1, 2), test_mode=True)
    with pytest.raises(ValueError, match=r'annotator must be 1, 2 or \(1, 2\)'):
        DAVISReferDataset(data_root=root, annotator=(1, 1))
    variant = _cfg('refvos_r101_davis-refer-480x480_ft_mmsegsup.py')
    assert variant.train_dataloader.dataset.annotator == 1


# ------------------------------------------------------------------ evaluation
@pytest.mark.parametrize('name', sorted(THESIS))
def test_evaluation_as_the_original(name):
    """test.py:144-147: an empty union is IoU 0 and still a sample; the best epoch is kept by
    the per-sample mean IoU (train.py:427-453), DAVIS by J&F."""
    cfg = _cfg(name)
    ev = cfg.test_evaluator
    if ev.type == 'ReferringMetric':
        assert ev.empty_union_iou == 0.0
        assert cfg.default_hooks.checkpoint.save_best == 'mean_iou'
    else:
        assert ev.type == 'ReferringDAVISMetric'
        assert cfg.default_hooks.checkpoint.save_best == 'davis/J&F-Mean'
    if THESIS[name][0].startswith('refcoco'):
        assert cfg.test_dataloader.dataset.samples == 'sentence'
    val_every_epoch = cfg.train_cfg.val_interval == 1
    assert val_every_epoch


def test_referring_metric_counts_empty_union_as_zero():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    from mmsegsup.evaluation.metrics.referring_metric import ReferringMetric
    metric = ReferringMetric(**{k: v for k, v in _cfg(
        'refvos_r101_a2d-sentences-480x480.py').test_evaluator.items() if k != 'type'})
    samples = []
    for i, (pred, gt) in enumerate([(0, 0), (1, 1)]):  # an absent actor predicted absent
        s = SegDataSample(metainfo=dict(expr_id=str(i), video=None, frame_id=None,
                                        trivial=None))
        s.pred_sem_seg = PixelData(data=torch.full((1, 4, 4), pred))
        s.gt_sem_seg = PixelData(data=torch.full((1, 4, 4), gt))
        samples.append(s)
    metric.process({}, samples)
    out = metric.evaluate(2)
    assert out['mean_iou'] == pytest.approx(50.0) and out['overall_iou'] == pytest.approx(100.)
