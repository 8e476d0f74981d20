"""``import mmsegsup`` stays light and our modules load on first build (mmsegsup.registry)."""
import json
import subprocess
import sys

from tools_utils import REPO

PROBE = """
import json, sys
import mmsegsup
before = sorted(m for m in {heavy!r} if m in sys.modules)
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
cfg = Config.fromfile('configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py')
with DefaultScope.overwrite_default_scope(cfg.default_scope):
    model = MODELS.build(cfg.model)
print(json.dumps(dict(before=before, built=type(model).__name__,
                      scope=DefaultScope.get_current_instance() is None)))
"""
HEAVY = ('transformers', 'matplotlib', 'mmdet.models', 'mmseg.models', 'mmsegsup.models',
         'mmsegsup.datasets', 'mmsegsup.analysis')


def test_import_is_light_and_models_load_on_first_build():
    out = subprocess.run([sys.executable, '-c', PROBE.format(heavy=HEAVY)], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result['before'] == []
    # the root registry found RSIS through the mmsegsup scope's child registry
    assert result['built'] == 'RSIS'
    assert result['scope'] is True  # no process-wide default scope was left behind


def test_each_family_builds_through_its_own_registry_whatever_the_current_scope():
    from mmengine.registry import DefaultScope

    from mmsegsup.registry import MODELS, SEG_MODELS
    det = dict(type='DetDataPreprocessor')
    seg = dict(type='SegDataPreProcessor')
    # the other family's scope (or none) must not leak into the nested lookups
    for scope in (None, 'mmsegsup', 'mmsegsup_seg', 'mmdet', 'mmseg'):
        with DefaultScope.overwrite_default_scope(scope):
            assert type(MODELS.build(det)).__module__.startswith('mmdet.')
            assert type(SEG_MODELS.build(seg)).__module__.startswith('mmseg.')
