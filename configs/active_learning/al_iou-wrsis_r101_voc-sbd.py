# Mask-guided sample selection in the thesis setting (tables 5.2 / 5.3): IoU-W-RSIS trained on
# N0=100 random images of Pascal VOC 2012 train (1464), the other 1364 carry labels + counts;
# one round adds N' images per strategy. Table 5.2's columns are N' = 100, 300, 700: run
#   python tools/active_learning.py configs/active_learning/al_iou-wrsis_r101_voc-sbd.py \
#       --work-dir work_dirs/al_voc --num-per-round 100      (then 300, then 700)
# in the same work folder: round 0 is trained once per seed and shared.
# Needs data/voc_sbd/annotations/instances_train.json (1464 images):
#   python tools/dataset_converters/voc_sbd_to_coco.py --voc-root data/VOCdevkit/VOC2012 \
#       --split train --out data/voc_sbd/annotations/instances_train.json
_base_ = ['./iou-wrsis_r101_voc-sbd_256x256.py']  # for the training pipeline used below

active_learning = dict(
    annotator='configs/active_learning/iou-wrsis_r101_voc-sbd_256x256.py',
    annotator_options={
        'train_dataloader.dataset': dict(
            _delete_=True, type='CheckedCocoDataset', data_root='data/',
            ann_file='voc_sbd/annotations/instances_train.json',
            data_prefix=dict(img='VOCdevkit/VOC2012/JPEGImages/'),
            filter_cfg=dict(filter_empty_gt=True, min_size=0),
            pipeline={{_base_.train_pipeline}}),
    },
    num_initial=100,
    num_per_round=100,
    rounds=1,
    strategies=[dict(type='RandomSelector'),
                dict(type='MCDropoutSelector', mode='highest'),
                dict(type='MCDropoutSelector', mode='lowest')] +
    [dict(type='ClosestToBeta', beta=b / 10) for b in range(11)] +
    [dict(type='OracleBeta', beta=b / 10) for b in range(11)],
    seeds=[0, 1, 2, 3, 4],  # 5 runs per configuration, as the thesis
    labels='ground_truth',
    weak_type='labels+counts',
    mc_passes=5,
    metric='coco/segm_mAP_50',
)
