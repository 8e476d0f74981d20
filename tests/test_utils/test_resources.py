"""mmsegsup.utils.resources: configs and tools are found in the checkout, or in the installed
package's .mim/ (tests/test_tools/test_installed_package.py installs a wheel)."""
import os
import os.path as osp

from mmsegsup.models.converters import config_path
from mmsegsup.utils import resources

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_a_checkout_is_its_own_resource_root():
    assert resources.checkout_root() == REPO
    assert resources.resource_root() == REPO == resources.tools_cwd()
    assert config_path('rsis/rsis_r18-c16_shapes-64x64_cpu.py') == osp.join(
        REPO, 'configs', 'rsis', 'rsis_r18-c16_shapes-64x64_cpu.py')


def test_an_installed_package_reads_its_mim_folder(tmp_path, monkeypatch):
    package = tmp_path / 'site-packages' / 'mmsegsup'
    (package / '.mim' / 'configs').mkdir(parents=True)
    monkeypatch.setattr(resources, 'PACKAGE', str(package))
    monkeypatch.chdir(tmp_path)
    assert resources.checkout_root() is None
    assert resources.resource_root() == str(package / '.mim')
    assert resources.tools_cwd() == os.getcwd() == str(tmp_path)
