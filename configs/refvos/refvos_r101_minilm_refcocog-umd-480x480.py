# RefVOS on RefCOCOg (UMD) with the bundled offline MiniLM sentence encoder.
_base_ = './refvos_r101_refcocog-umd-480x480_mmsegsup.py'
model = dict(text_encoder=dict(model_name_or_path='minilm-offline', pooling='mean'))
