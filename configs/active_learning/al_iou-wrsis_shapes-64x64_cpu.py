# Mask-guided active learning on the bundled synthetic shapes (thesis ch. 5 at toy scale):
# IoU-W-RSIS starts from 20 random strongly labeled images of a 300-image pool whose other
# images carry labels + counts, and 2 rounds add 20 images each, chosen by every strategy
# below (3 seeds). Labels come back from the ground truth (the benchmark setting).
#   python tools/active_learning.py configs/active_learning/al_iou-wrsis_shapes-64x64_cpu.py
active_learning = dict(
    annotator='configs/active_learning/iou-wrsis_r18-c16_shapes-64x64_cpu.py',
    annotator_options={
        'train_dataloader.dataset.num_images': 300,
        'model.head.encoder_dropout': 0.5,  # the MC-dropout baseline's layer, in every model
        'train_cfg.max_iters': 500,
        'custom_hooks': [dict(type='FreezeSegmentationHook', freeze_iter=400)],
        'param_scheduler': [
            dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
        ],
        'default_hooks.checkpoint.interval': 100,
    },
    num_initial=20,
    num_per_round=20,
    rounds=2,
    strategies=[
        dict(type='RandomSelector'),
        dict(type='ClosestToBeta', beta=0.3),
        dict(type='ClosestToBeta', beta=0.5),
        dict(type='ClosestToBeta', beta=0.7),
        dict(type='OracleBeta', beta=0.5),
        dict(type='MCDropoutSelector', mode='highest'),
        dict(type='MCDropoutSelector', mode='lowest'),
    ],
    seeds=[0, 1, 2],
    labels='ground_truth',
    weak_type='labels+counts',
    mc_passes=5,
    metric='coco/segm_mAP_50',
)
