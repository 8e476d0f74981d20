# Our RefVOS variant on RefCOCO with the bundled all-MiniLM-L6-v2 sentence encoder (384-d, 6 layers)
# instead of BERT-base: runs with no network. MiniLM was trained with mean pooling.
_base_ = './refvos_r101_refcoco-480x480_mmsegsup.py'
model = dict(text_encoder=dict(model_name_or_path='minilm-offline', pooling='mean'))
