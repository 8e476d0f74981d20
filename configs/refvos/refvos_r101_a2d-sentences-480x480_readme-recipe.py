# The original RefVOS model and A2D data with the optimiser of the original README's
# "Training Details" (thesis 6.6): lr 0.1 decreasing 0.004 per epoch for 15 epochs, weight
# decay 1e-6, batch 7. Which recipe trained the published A2D checkpoints is recorded in
# their args (see refvos_r101_refcoco-480x480.py).
_base_ = [
    '../_base_/models/refvos_r101.py', '../_base_/datasets/a2d_sentences.py',
    '../_base_/schedules/sgd_refvos_readme-a2d_15e.py', '../_base_/refvos_runtime.py'
]
model = dict(text_encoder=dict(max_length=10))
train_dataloader = dict(batch_size=7)
