# Runtime of the mmseg-family configs (RefVOS, DeepLabV3+): mmseg's, in the mmsegsup_seg scope
# (children of mmseg's registries), seeded. The mmdet family's is default_runtime.py.
_base_ = 'mmseg::_base_/default_runtime.py'
default_scope = 'mmsegsup_seg'
custom_imports = dict(imports=['mmsegsup'], allow_failed_imports=False)
randomness = dict(seed=0)
