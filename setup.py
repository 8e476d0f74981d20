"""Install mmsegsup: OpenMMLab plugins for segmentation with little supervision.

As in mmdet / mmseg, ``configs/`` and ``tools/`` ship inside the package as ``mmsegsup/.mim/``
(copied when a wheel or sdist is built, symlinked by ``setup.py develop``), which is where
``mim train mmsegsup CONFIG`` / ``mim test`` and :mod:`mmsegsup.utils.resources` find them.
"""
import os
import os.path as osp
import re
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools')


def read_version() -> str:
    text = open(osp.join(HERE, 'mmsegsup', 'version.py')).read()
    return re.search(r"__version__ = '([^']+)'", text).group(1)


def read_requirements(name: str) -> list:
    path = osp.join(HERE, 'requirements', name)
    lines = [ln.split('#')[0].strip() for ln in open(path)]
    return [ln for ln in lines if ln]


def add_mim_extension() -> None:
    """Put ``configs/`` and ``tools/`` into ``mmsegsup/.mim`` (OpenMMLab's layout for mim):
    symlinks for ``develop``, copies for ``bdist_wheel`` / ``sdist``; nothing otherwise."""
    if 'develop' in sys.argv:
        mode = 'symlink'
    elif 'sdist' in sys.argv or 'bdist_wheel' in sys.argv:
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'mmsegsup', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src, tar = osp.join(HERE, name), osp.join(mim_path, name)
        if not osp.exists(src):
            continue
        if osp.isfile(tar) or osp.islink(tar):
            os.remove(tar)
        elif osp.isdir(tar):
            shutil.rmtree(tar)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, osp.dirname(tar)), tar)
        elif osp.isfile(src):
            shutil.copyfile(src, tar)
        else:
            shutil.copytree(src, tar, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmsegsup',
        version=read_version(),
        description='Segmentation with little supervision (RSIS, RVOS, BASIS, active learning, '
                    'RefVOS) as OpenMMLab plugins',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
        include_package_data=True,  # mmsegsup/.mim (MANIFEST.in)
        python_requires='>=3.9',
        install_requires=read_requirements('mminstall.txt') + read_requirements('runtime.txt'),
        extras_require={
            'tests': read_requirements('tests.txt'),
            'optional': read_requirements('optional.txt'),
        },
        zip_safe=False,
    )
