"""mmsegsup.utils.tool_runner: a tool's main(argv) in-process behaves as its own process would
(output, return codes) and leaves no process-wide state behind."""
import os
import random

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from mmsegsup.utils.tool_runner import load_tool, run_tool

SCRIPT = '''
import os, random, sys
import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope


def main(argv):
    DefaultScope.get_instance('tool_scope', scope_name='mmdet')
    MMLogger.get_instance('tool_logger').info('logged by the tool')
    print('printed', ' '.join(argv))
    print('to stderr', file=sys.stderr)
    os.environ['TOOL_RUNNER_MARK'] = '1'
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    torch.use_deterministic_algorithms(True)
    if argv and argv[0] == 'exit':
        sys.exit(int(argv[1]))
    if argv and argv[0] == 'message':
        sys.exit('a message for the user')
    if argv and argv[0] == 'raise':
        raise ValueError('broken input')
    return 0
'''


@pytest.fixture
def script(tmp_path):
    path = tmp_path / 'probe_tool.py'
    path.write_text(SCRIPT)
    return str(path)


@pytest.mark.parametrize('argv,code', [(['ok'], 0), (['exit', '3'], 3), (['message'], 1),
                                       (['raise'], 1)])
def test_codes_output_and_state_restored(script, argv, code):
    scope = DefaultScope.get_current_instance()
    logger = MMLogger.get_current_instance()
    cwd = os.getcwd()
    states = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())
    proc = run_tool(script, argv)
    assert proc.returncode == code
    assert 'logged by the tool' in proc.stdout and 'printed' in proc.stdout
    assert 'to stderr' in proc.stderr
    if argv[0] == 'message':
        assert 'a message for the user' in proc.stderr
    if argv[0] == 'raise':
        assert 'ValueError: broken input' in proc.stderr and 'Traceback' in proc.stderr
    assert DefaultScope.get_current_instance() is scope
    assert MMLogger.get_current_instance() is logger
    assert 'tool_logger' not in MMLogger._instance_dict
    assert os.getcwd() == cwd and 'TOOL_RUNNER_MARK' not in os.environ
    assert random.getstate() == states[0]
    assert np.array_equal(np.random.get_state()[1], states[1])
    assert torch.equal(torch.get_rng_state(), states[2])
    assert not torch.are_deterministic_algorithms_enabled()


def test_a_script_without_main_is_refused(tmp_path):
    path = tmp_path / 'no_main.py'
    path.write_text('x = 1\n')
    with pytest.raises(AttributeError, match='no main'):
        load_tool(str(path))
    with pytest.raises(FileNotFoundError, match='nope.py not found'):
        load_tool('tools/nope.py')


def test_the_budget_tool_in_process_prints_its_table():
    proc = run_tool('tools/budget.py', ['days', '1464'])
    assert proc.returncode == 0 and '4.06' in proc.stdout


def test_a_module_runs_by_name_as_python_m_would():
    """The drivers name the package's tools (``mmsegsup.cli.*``), never a repository path."""
    proc = run_tool('mmsegsup.cli.train', ['--help'])
    assert proc.returncode == 0 and '--cfg-options' in proc.stdout
    assert proc.args[0] == 'mmsegsup.cli.train'
    with pytest.raises(AttributeError, match='mmsegsup.version has no main'):
        load_tool('mmsegsup.version')
