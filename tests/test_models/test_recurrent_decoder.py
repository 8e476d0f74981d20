"""Unit tests of ``RecurrentMaskDecoder`` (mmsegsup/models/layers/recurrent_decoder.py), the
ConvLSTM decoder of RSIS and RVOS, on random encoder features: output shapes (odd input sizes
included), ``use_levels``, the skip projections (kernel, BatchNorm), the extra input's pyramid
('maxpool' vs 'resize'), ``final_upsample`` and ``align_corners``, the recurrent state and the
extra hidden inputs, the pooled features, and the gradients. The heads that use it are tested
in test_rsis_model.py / test_rvos_model.py and against the original code."""
from typing import List, Tuple

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmsegsup.models.layers.recurrent_decoder import RecurrentMaskDecoder
from mmsegsup.registry import MODELS

IN = (4, 6, 8, 10)  # encoder channels, finest first (strides 4, 8, 16, 32)
HID = (8, 6, 5, 3)  # decoder channels, coarsest first
STRIDES = (32, 16, 8, 4)  # coarsest first


def _level_sizes(h: int, w: int) -> List[Tuple[int, int]]:
    """A ResNet's output sizes at strides 4, 8, 16, 32 (finest first): every stride-2 layer
    (conv1, max-pool, stages 2-4) rounds up."""
    sizes = []
    for _ in range(5):
        h, w = -(-h // 2), -(-w // 2)
        sizes.append((h, w))
    return sizes[1:]


def _feats(size: Tuple[int, int], batch: int = 2) -> List[torch.Tensor]:
    return [torch.randn(batch, c, *s) for c, s in zip(IN, _level_sizes(*size))]


def _decoder(**kwargs) -> RecurrentMaskDecoder:
    return RecurrentMaskDecoder(IN, kwargs.pop('hidden_channels', HID), **kwargs)


def _twin(decoder: RecurrentMaskDecoder, **kwargs) -> RecurrentMaskDecoder:
    """A decoder built with other options and ``decoder``'s weights."""
    other = _decoder(**kwargs)
    other.load_state_dict(decoder.state_dict())
    return other


@pytest.mark.parametrize('final_upsample', [False, True])
@pytest.mark.parametrize('size', [(64, 64), (67, 45)])
def test_output_shapes(size, final_upsample):
    sizes = _level_sizes(*size)
    decoder = _decoder(final_upsample=final_upsample)
    proj = decoder.project(_feats(size))
    assert [tuple(p.shape[1:]) for p in proj] == [(c, *s) for c, s in zip(HID, sizes[::-1])]
    mask, pooled, state = decoder.step(proj)
    h, w = sizes[0]  # (17, 12) for 67 x 45
    assert tuple(mask.shape) == ((2, 1, 2 * h, 2 * w) if final_upsample else (2, 1, h, w))
    assert decoder.pooled_channels == 3 * sum(HID)  # 'max' + 'mask' (hidden and projection)
    assert tuple(pooled.shape) == (2, decoder.pooled_channels)
    assert [tuple(h.shape) for h, _ in state] == [(2, c, *s) for c, s in zip(HID, sizes[::-1])]
    assert all(c.shape == h.shape for h, c in state)


def test_built_from_the_registry():
    cfg = dict(type='RecurrentMaskDecoder', in_channels=IN, hidden_channels=HID[:3],
               use_levels=(1, 2, 3), proj_norm=True)
    built = MODELS.build(cfg)
    direct = RecurrentMaskDecoder(IN, HID[:3], use_levels=(1, 2, 3), proj_norm=True)
    assert isinstance(built, RecurrentMaskDecoder)
    assert built.state_dict().keys() == direct.state_dict().keys()


def test_use_levels_drops_the_unused_encoder_levels():
    decoder = RecurrentMaskDecoder(IN, HID[:3], use_levels=(1, 3, 2))
    assert decoder.levels == [3, 2, 1] and len(decoder.projections) == len(decoder.cells) == 3
    assert [p.in_channels for p in decoder.projections] == [IN[3], IN[2], IN[1]]
    feats = _feats((67, 45))
    feats[0] = None  # never read
    mask, pooled, state = decoder.step(decoder.project(feats))
    assert tuple(mask.shape[-2:]) == _level_sizes(67, 45)[1] and len(state) == 3
    assert pooled.shape[1] == decoder.pooled_channels == 3 * sum(HID[:3])
    with pytest.raises(ValueError, match='hidden_channels'):
        RecurrentMaskDecoder(IN, HID[:2], use_levels=(1, 2, 3))
    with pytest.raises(ValueError, match='skip_channels'):
        _decoder(skip_channels=(4, 4))


def test_projection_kernel_and_batchnorm():
    plain = _decoder()
    normed = _decoder(proj_kernel_size=3, proj_norm=True)
    assert isinstance(plain.projections[0], nn.Conv2d)
    assert plain.projections[0].kernel_size == (1, 1)
    assert 'projections.0.weight' in plain.state_dict()
    assert normed.projections[0][0].kernel_size == (3, 3)
    assert {'projections.0.0.weight', 'projections.0.1.running_mean'} <= set(normed.state_dict())
    feats = _feats((64, 64))
    for p in normed.project(feats):  # training mode: every channel normalised over the batch
        assert p.mean(dim=(0, 2, 3)).abs().max() < 1e-5
        torch.testing.assert_close(p.var(dim=(0, 2, 3), unbiased=False),
                                   torch.ones(p.shape[1]), atol=2e-3, rtol=0)
    normed.eval()
    moved = [f.clone() for f in feats]
    moved[0][0, :, 8, 8] += 1.0  # one pixel of the finest level
    for decoder, reach in ((plain, 1), (normed, 9)):  # 1 x 1 vs 3 x 3 neighbourhood
        diff = (decoder.project(moved)[-1] - decoder.project(feats)[-1])[0].abs().sum(0)
        assert int((diff > 0).sum()) == reach


def test_extra_input_pyramids():
    size = (67, 45)
    sizes = _level_sizes(*size)[::-1]
    dot = torch.zeros(1, 1, *size)
    dot[0, 0, 40, 30] = 1.0
    maxpool = _decoder(extra_input_channels=1, extra_input_mode='maxpool')
    resize = _twin(maxpool, extra_input_channels=1)
    assert resize.extra_input_mode == 'resize'
    # The original's pyramid: 2 x 2 ceil max-pools from the input resolution keep the dot whole.
    for level, s, stride in zip(maxpool.extra_pyramid(dot, sizes), sizes, STRIDES):
        assert tuple(level.shape[-2:]) == s
        assert level.sum() == 1 and level[0, 0, 40 // stride, 30 // stride] == 1
    for level, s in zip(resize.extra_pyramid(dot, sizes), sizes):
        torch.testing.assert_close(level, F.interpolate(dot, size=s, mode='bilinear',
                                                        align_corners=False), rtol=0, atol=0)
    with pytest.raises(ValueError, match='input resolution'):
        maxpool.extra_pyramid(dot[..., ::2, ::2], sizes)
    # Every level's cell sees it: [up2(h_{k-1}) | projection | extra].
    assert [c.in_channels for c in maxpool.cells] == [HID[0] + 1] + [
        HID[k] + 1 + HID[k - 1] for k in range(1, 4)]
    proj = maxpool.project(_feats(size, batch=1))
    mask = maxpool.step(proj, extra_input=dot)[0]
    assert not torch.allclose(mask, resize.step(proj, extra_input=dot)[0])
    assert not torch.allclose(mask, maxpool.step(proj, extra_input=0 * dot)[0])
    with pytest.raises(ValueError, match='extra_input'):
        maxpool.step(proj)
    with pytest.raises(ValueError, match='extra_input_mode'):
        _decoder(extra_input_mode='nearest')


def test_align_corners_and_final_upsample():
    feats = _feats((67, 45))
    off = _decoder()
    on = _twin(off, align_corners=True)
    proj = off.project(feats)
    assert not torch.allclose(off.step(proj)[0], on.step(proj)[0])  # h upsampled between levels
    single = dict(hidden_channels=HID[:1], use_levels=(0, ))
    off = _decoder(**single)
    on = _twin(off, align_corners=True, **single)
    proj = off.project(feats)
    assert torch.equal(off.step(proj)[0], on.step(proj)[0])  # nothing upsampled
    masks = []
    for align in (False, True):
        decoder = _twin(off, align_corners=align, final_upsample=True, **single)
        mask, _, state = decoder.step(proj)
        h = state[0][0]
        up = F.interpolate(h, size=(2 * h.shape[2], 2 * h.shape[3]), mode='bilinear',
                           align_corners=align)
        torch.testing.assert_close(mask, decoder.conv_mask(up))
        masks.append(mask)
    assert not torch.allclose(*masks)


def test_state_none_starts_from_zeros_and_a_state_changes_the_output():
    decoder = _decoder()
    proj = decoder.project(_feats((64, 64)))
    mask, pooled, state = decoder.step(proj)
    zeros = [(torch.zeros_like(h), torch.zeros_like(c)) for h, c in state]
    again = decoder.step(proj, zeros)
    assert torch.equal(mask, again[0]) and torch.equal(pooled, again[1])
    second = decoder.step(proj, state)
    assert not torch.allclose(mask, second[0]) and not torch.allclose(pooled, second[1])
    # Each level reads its own state; a coarser level's reaches the finer ones through h.
    coarsest_only = decoder.step(proj, [state[0]] + zeros[1:])
    assert torch.equal(coarsest_only[2][0][0], second[2][0][0])
    assert not torch.allclose(coarsest_only[0], mask)


def test_extra_hidden_inputs():
    decoder = _decoder(num_extra_hidden=1)
    assert decoder.cells[0].gates.in_channels == decoder.cells[0].in_channels + 2 * HID[0]
    proj = decoder.project(_feats((64, 64)))
    mask, _, state = decoder.step(proj, extra_hidden=[[None]] * 4)
    zeros = [[torch.zeros_like(h)] for h, _ in state]
    others = [[torch.randn_like(h)] for h, _ in state]
    assert torch.equal(mask, decoder.step(proj, extra_hidden=zeros)[0])
    assert not torch.allclose(mask, decoder.step(proj, extra_hidden=others)[0])
    with pytest.raises(ValueError, match='extra hidden'):
        decoder.step(proj, extra_hidden=[[None, None]] * 4)


def test_pooled_features():
    decoder = _decoder(pooling=('mask', 'avg', 'max'))
    assert decoder.pooled_channels == 4 * sum(HID)
    assert decoder.pooled_channels_of(('max', )) == decoder.pooled_channels_of(('avg', )) == \
        sum(HID)
    with torch.no_grad():  # the same mask probability everywhere: 'mask' is a plain average
        decoder.conv_mask.weight.zero_()
        decoder.conv_mask.bias.fill_(0.3)
    proj = decoder.project(_feats((67, 45)))
    mask, pooled, state = decoder.step(proj)
    hs = [h for h, _ in state]
    expected = [h.amax(dim=(2, 3)) for h in hs] + [h.mean(dim=(2, 3)) for h in hs]
    for h, feat in zip(hs, proj):
        expected += [h.mean(dim=(2, 3)), feat.mean(dim=(2, 3))]
    torch.testing.assert_close(pooled, torch.cat(expected, dim=1))  # max, avg, mask: fixed order
    # Under a mask on the left half of the finest level (17 x 12): the left half's averages,
    # there and (pooled to 9 x 6) at the next level.
    left = torch.full_like(mask, -30.0)
    left[..., :6] = 30.0
    by_mask = decoder.pool(proj, state, left, ('mask', ))
    assert by_mask.shape[1] == decoder.pooled_channels_of(('mask', ))
    c3, c2 = HID[3], HID[2]
    torch.testing.assert_close(by_mask[:, -2 * c3:-c3], hs[3][..., :6].mean(dim=(2, 3)))
    torch.testing.assert_close(by_mask[:, -c3:], proj[3][..., :6].mean(dim=(2, 3)))
    torch.testing.assert_close(by_mask[:, -2 * c3 - 2 * c2:-2 * c3 - c2],
                               hs[2][..., :3].mean(dim=(2, 3)))
    for bad in (('max', 'sum'), ()):
        with pytest.raises(ValueError, match='pooling'):
            _decoder(pooling=bad)


def test_mask_pooling_reads_the_mask_detached():
    decoder = _decoder(pooling=('mask', ))
    _, pooled, _ = decoder.step(decoder.project(_feats((64, 64))))
    pooled.sum().backward()
    assert decoder.conv_mask.weight.grad is None
    assert decoder.cells[-1].gates.weight.grad.abs().sum() > 0


def test_pooled_channels_with_skip_channels_other_than_hidden():
    """'mask' pooling pools the hidden map (hidden_channels) and the projected features
    (skip_channels) of each level; pooled_channels counted 2 x hidden before."""
    decoder = _decoder(skip_channels=(8, 8, 8, 8), pooling=('mask', ))
    _, pooled, _ = decoder.step(decoder.project(_feats((64, 64))))
    assert pooled.shape[1] == decoder.pooled_channels


def test_gradients_reach_every_parameter_and_input():
    """Every option on, two recurrent steps: each parameter and each input gets a gradient."""
    size = (67, 45)
    decoder = _decoder(skip_channels=(8, 8, 4, 4), proj_kernel_size=3, proj_norm=True,
                       extra_input_channels=1, extra_input_mode='maxpool', num_extra_hidden=1,
                       final_upsample=True, mask_kernel_size=3, align_corners=True,
                       pooling=('max', 'mask', 'avg'))
    feats = [f.requires_grad_() for f in _feats(size)]
    extra = torch.rand(2, 1, *size, requires_grad=True)
    hidden = [[torch.randn(2, c, *s, requires_grad=True)]
              for c, s in zip(HID, _level_sizes(*size)[::-1])]
    proj = decoder.project(feats)
    state, loss = None, 0
    for _ in range(2):
        mask, pooled, state = decoder.step(proj, state, extra, hidden)
        loss = loss + mask.square().mean() + pooled.square().mean()
    loss.backward()
    for name, param in decoder.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    for tensor in feats + [extra] + [h for (h, ) in hidden]:
        assert tensor.grad is not None and tensor.grad.abs().sum() > 0
