"""End-to-end learning: the CPU shapes config trains from random init to real mask AP."""
import pytest

from tools_utils import AP50, RSIS_SHAPES, run


@pytest.mark.slow
@pytest.mark.xdist_group('rsis_shapes')
def test_rsis_learns_shapes_from_scratch(rsis_shapes):
    ap50_train = rsis_shapes['ap50']
    print(f'RSIS shapes CPU, {RSIS_SHAPES["max_iters"]} iterations: held-out mask AP50 = '
          f'{ap50_train:.3f}')
    assert ap50_train >= 0.5
    # The saved checkpoint reproduces the number through tools/test.py.
    test = run(['tools/test.py', rsis_shapes['config'], rsis_shapes['checkpoint'],
                '--work-dir', rsis_shapes['work']])
    assert float(AP50.findall(test.stdout + test.stderr)[-1]) == pytest.approx(ap50_train)
