"""Install mmsegsup: OpenMMLab plugins for segmentation with little supervision."""
import os.path as osp
import re

from setuptools import find_packages, setup


def read_version() -> str:
    text = open(osp.join(osp.dirname(__file__), 'mmsegsup', 'version.py')).read()
    return re.search(r"__version__ = '([^']+)'", text).group(1)


def read_requirements(name: str) -> list:
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    lines = [ln.split('#')[0].strip() for ln in open(path)]
    return [ln for ln in lines if ln]


setup(
    name='mmsegsup',
    version=read_version(),
    description='Segmentation with little supervision (RSIS, RVOS, BASIS, active learning, '
                'RefVOS) as OpenMMLab plugins',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
    python_requires='>=3.9',
    install_requires=read_requirements('mminstall.txt') + read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'optional': read_requirements('optional.txt'),
    },
    zip_safe=False,
)
