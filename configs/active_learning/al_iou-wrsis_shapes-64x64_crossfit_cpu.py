# Does selection by predicted IoU beat random at small budgets? The shapes loop with one round
# (N' = N0) and the cross-fitted IoU branches (beyond the thesis: each of 4 fold models segments
# with three quarters of the labeled images and trains its IoU branch on the other quarter,
# whose masks it never fitted; the pool score is their mean) next to the thesis's
# freeze-then-train branch.
#   python tools/active_learning.py \
#       configs/active_learning/al_iou-wrsis_shapes-64x64_crossfit_cpu.py \
#       --work-dir work_dirs/al_crossfit_n20 --num-initial 20 --num-per-round 20
# (and --num-initial 40 --num-per-round 40 in another work folder); benchmarks/README.md.
_base_ = ['./al_iou-wrsis_shapes-64x64_cpu.py']

active_learning = dict(
    rounds=1,
    crossfit=dict(
        folds=4,
        # 400 segmentation iterations (the annotator's), then 300 of the IoU branch alone
        branch_iters=300,
        # The fold branches regress the IoU itself with a squared loss, i.e. its mean, which is
        # what closest-to-beta and the calibration compare. The thesis's L1 on sqrt(IoU)
        # regresses a median (pool MAE 0.199 against 0.180 at N0 = 40; benchmarks/README.md).
        branch_options={
            'param_scheduler': [],
            'model.head.iou_branch.target': 'iou',
            'model.head.iou_branch.loss': dict(type='MSELoss', loss_weight=1.0),
        }),
    strategies=[
        dict(type='RandomSelector'),
        dict(type='ClosestToBeta', beta=0.3, score='crossfit'),
        dict(type='ClosestToBeta', beta=0.5, score='crossfit'),
        dict(type='ClosestToBeta', beta=0.7, score='crossfit'),
        dict(type='ClosestToBeta', beta=0.5),  # the thesis's branch, for comparison
        dict(type='OracleBeta', beta=0.5),
        dict(type='MCDropoutSelector', mode='highest'),
    ],
)
