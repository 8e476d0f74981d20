"""The package installed from a wheel (issue 28), away from this checkout.

The wheel is built from a copy of the checkout's sources and installed into a fresh virtual
environment; the OpenMMLab stack comes from this interpreter's site-packages through a plain
``.pth`` line, so that site-packages' own ``.pth`` files (the editable install's finder of
``/work/main``-style checkouts) never run. From a folder outside the repository, with no
``PYTHONPATH``: ``mim run mmsegsup basis_pipeline`` runs a short BASIS pipeline (its stages
the package's ``mmsegsup.cli.*``, its configs the package's ``.mim/configs``), and ``mim train``
/ ``mim test`` run a CPU config that ``mim`` finds in the package.
"""
import csv
import glob
import os
import os.path as osp
import shutil
import subprocess as sp
import sys
import sysconfig

import pytest

from tools_utils import REPO, tiny_shapes_options

pytestmark = pytest.mark.slow(minutes=2)

SOURCES = ('setup.py', 'MANIFEST.in', 'README.md', 'requirements', 'mmsegsup', 'configs',
           'tools')
CPU_CONFIG = 'rsis_r18-c16_shapes-64x64_cpu.py'


def _run(args, cwd, timeout=300) -> sp.CompletedProcess:
    """``args`` in ``cwd`` without PYTHONPATH or the user site; fails with its output."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(PYTHONNOUSERSITE='1', PYTHONHASHSEED='0',
               OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
    proc = sp.run([str(a) for a in args], cwd=str(cwd), env=env, capture_output=True,
                  text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'{" ".join(map(str, args))} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


@pytest.fixture(scope='module')
def installed(tmp_path_factory) -> dict:
    """The wheel of this checkout installed into a fresh environment; a home folder to run in."""
    root = tmp_path_factory.mktemp('installed')
    src = root / 'src'
    src.mkdir()
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.egg-info')
    for name in SOURCES:
        path = osp.join(REPO, name)
        if osp.isdir(path):
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    _run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q',
          '-w', root / 'dist', '.'], src)
    wheel, = glob.glob(str(root / 'dist' / 'mmsegsup-*.whl'))
    _run([sys.executable, '-m', 'venv', '--without-pip', root / 'env'], root)
    python = root / 'env' / 'bin' / 'python'
    purelib = _run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
                   root).stdout.strip()
    stack = {sysconfig.get_paths()['purelib'], sysconfig.get_paths()['platlib']}
    with open(osp.join(purelib, '_openmmlab_stack.pth'), 'w') as f:
        f.write('\n'.join(sorted(stack)) + '\n')
    _run([python, '-m', 'pip', 'install', '--no-deps', '--no-index', '-q', wheel], root)
    home = root / 'home'
    home.mkdir()
    return dict(python=python, home=home, package=osp.join(purelib, 'mmsegsup'))


def test_the_wheel_is_what_runs(installed):
    probe = ('import sys, mmsegsup\n'
             'from mmsegsup.models.converters import config_path\n'
             'from mmsegsup.utils.resources import checkout_root\n'
             'print(mmsegsup.__file__)\n'
             'print(checkout_root())\n'
             'print(config_path("rsis/' + CPU_CONFIG + '"))\n'
             'print(any("editable" in repr(f).lower() for f in sys.meta_path))\n')
    out = _run([installed['python'], '-c', probe], installed['home']).stdout.split('\n')
    package = installed['package']
    assert out[0] == osp.join(package, '__init__.py') and not out[0].startswith(REPO)
    assert out[1:4] == ['None', osp.join(package, '.mim', 'configs', 'rsis', CPU_CONFIG),
                        'False']
    assert osp.isfile(osp.join(package, '.mim', 'tools', 'train.py'))


def test_basis_pipeline_runs_installed(installed):
    """The BASIS CPU config of the package, shrunk; its stages run the package's tools by
    module name in the pipeline's process (``tool_process=False``: five tool processes would
    double the time; ``mim train`` / ``mim test`` below run the tools as processes)."""
    home = installed['home']
    opts = tiny_shapes_options(home / 'data')
    basis = dict(num_strong=6, score_thr=0.0, student_options=opts, tool_process=False,
                 annotator_options=dict(opts, **{'model.test_cfg.stop_thr': 0.0}))
    shipped = osp.join(installed['package'], '.mim', 'configs', 'basis',
                       'basis_rsis_shapes-64x64_cpu.py')
    (home / 'basis.py').write_text(f'_base_ = [{shipped!r}]\nbasis = {basis!r}\n')
    _run([installed['python'], '-m', 'mim', 'run', 'mmsegsup', 'basis_pipeline', 'basis.py',
          '--work-dir', 'basis'], home, timeout=600)
    with open(home / 'basis' / 'basis_results.csv') as f:
        row, = csv.DictReader(f)
    assert (row['num_strong'], row['num_weak']) == ('6', '10')
    assert 0 <= float(row['f_score']) <= 1 and 0 <= float(row['g_score']) <= 1
    f_cfg = (home / 'basis' / 'N6_seed0' / 'configs' / 'f.py').read_text()
    assert str(home / 'data') in f_cfg  # data beside the user's run, not in the package


def test_mim_train_and_test_a_shipped_config(installed):
    home = installed['home']
    opts = [f'{k}={v}' for k, v in tiny_shapes_options(home / 'data').items()]
    train = _run([installed['python'], '-m', 'mim', 'train', 'mmsegsup', CPU_CONFIG,
                  '--work-dir', 'rsis', '--cfg-options', *opts], home)
    found = osp.join(installed['package'], '.mim', 'configs', 'rsis', CPU_CONFIG)
    assert f'will use {found} instead' in train.stdout
    assert (home / 'rsis' / 'iter_2.pth').is_file()
    test = _run([installed['python'], '-m', 'mim', 'test', 'mmsegsup', CPU_CONFIG,
                 '--checkpoint', 'rsis/iter_2.pth', '--work-dir', 'rsis_test', '--cfg-options',
                 *opts], home)
    assert 'coco/segm_mAP_50' in test.stdout + test.stderr
