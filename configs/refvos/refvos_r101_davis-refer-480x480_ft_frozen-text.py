# The DAVIS fine-tuning with the text encoder frozen (no gradients, eval mode; its sentence
# embeddings are memoised): only the visual model and the fusion adapt to DAVIS.
_base_ = './refvos_r101_davis-refer-480x480_ft.py'
model = dict(text_encoder=dict(frozen=True))
