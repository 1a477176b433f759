"""Shift convolution: one-hot init for any odd k, and equality with a hand-built shift-and-sum."""

from __future__ import annotations

import pytest
import torch

from acmix_ts.nn import ACMix1d, ACMixConfig, ACMixNetwork
from acmix_ts.nn import shift_conv as shift_conv_module
from acmix_ts.nn.shift_conv import ShiftConv


def shift_and_sum(qkv, piece_map, n_heads, kernel_size):
    """Reference: k maps from the 3N pieces, map j read at offset j - k//2, summed.

    qkv (B, T, 3d) with pieces p = s*N + n (s in q, k, v); piece_map (k, 3N).
    Output channel o aggregates head-dim position o // N (grouped-conv layout).
    """
    batch, n_tokens, three_d = qkv.shape
    d_model = three_d // 3
    head_dim = d_model // n_heads
    pieces = qkv.reshape(batch, n_tokens, 3 * n_heads, head_dim)
    maps = torch.einsum("jp,btpc->bjtc", piece_map, pieces)  # (B, k, T, hd)
    out = torch.zeros(batch, n_tokens, d_model)
    for o in range(d_model):
        c = o // n_heads
        for j in range(kernel_size):
            offset = j - kernel_size // 2
            for t in range(n_tokens):
                if 0 <= t + offset < n_tokens:  # zero padding outside the sequence
                    out[:, t, o] += maps[:, j, t + offset, c]
    return out


@pytest.mark.parametrize("kernel_size", [1, 3, 5, 7])
def test_conv_weight_starts_one_hot(kernel_size):
    conv = ShiftConv(n_heads=2, head_dim=3, kernel_size=kernel_size).conv
    assert conv.weight.shape == (6, kernel_size, kernel_size)
    assert conv.groups == 3 and conv.padding == (kernel_size // 2,) and conv.bias is None
    expected = torch.zeros_like(conv.weight)
    for j in range(kernel_size):
        expected[:, j, j] = 1.0
    assert torch.equal(conv.weight.detach(), expected)


@pytest.mark.parametrize("kernel_size", [2, 0, -1])
def test_even_or_non_positive_kernel_is_rejected(kernel_size):
    with pytest.raises(ValueError, match="kernel_size"):
        ShiftConv(n_heads=2, head_dim=3, kernel_size=kernel_size)


@pytest.mark.parametrize(("kernel_size", "n_tokens"), [(1, 5), (3, 7), (5, 9), (7, 4)])
def test_shift_conv_equals_shift_and_sum_of_maps(kernel_size, n_tokens):
    torch.manual_seed(0)
    n_heads, head_dim = 2, 3
    module = ShiftConv(n_heads, head_dim, kernel_size)
    qkv = torch.randn(2, n_tokens, 3 * n_heads * head_dim)
    expected = shift_and_sum(qkv, module.piece_map.weight.detach(), n_heads, kernel_size)
    torch.testing.assert_close(module(qkv), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("kernel_size", "n_tokens"), [(1, 6), (3, 11), (5, 40)])
def test_dense_short_sequence_path_equals_grouped_conv(kernel_size, n_tokens):
    # Any trained weight: the matrix-product path and the grouped convolution agree,
    # outputs and gradients.
    torch.manual_seed(0)
    module = ShiftConv(n_heads=4, head_dim=3, kernel_size=kernel_size)
    with torch.no_grad():
        module.conv.weight.normal_()
    maps = torch.randn(2, n_tokens, 3 * kernel_size, requires_grad=True)  # (B, T, hd*k)
    results = []
    for path in (module.dense_conv, lambda m: module.conv(m.transpose(1, 2)).transpose(1, 2)):
        out = path(maps)
        out.square().sum().backward()
        results.append((out.detach(), maps.grad.clone(), module.conv.weight.grad.clone()))
        maps.grad, module.conv.weight.grad = None, None
    for dense, grouped in zip(*results, strict=True):
        torch.testing.assert_close(dense, grouped, atol=1e-5, rtol=1e-5)


def test_forward_takes_the_dense_path_only_for_short_sequences(monkeypatch):
    module = ShiftConv(n_heads=2, head_dim=3)
    calls = []
    real = module.dense_conv
    monkeypatch.setattr(module, "dense_conv", lambda maps: calls.append(1) or real(maps))
    for n_tokens in (shift_conv_module.DENSE_MAX_TOKENS, shift_conv_module.DENSE_MAX_TOKENS + 1):
        module(torch.randn(1, n_tokens, 18))
    assert calls == [1]


def conv_only_reference(mixer, x, beta):
    """out_proj(beta * shift_and_sum(maps of qkv_proj(x))), built by hand."""
    qkv = x @ mixer.qkv_proj.weight.T + mixer.qkv_proj.bias
    conv = shift_and_sum(
        qkv, mixer.shift_conv.piece_map.weight, mixer.n_heads, mixer.shift_conv.kernel_size
    )
    return (beta * conv) @ mixer.out_proj.weight.T + mixer.out_proj.bias


@pytest.mark.parametrize("kernel_size", [3, 5])
@torch.no_grad()
def test_conv_fusion_block_equals_explicit_shift_and_sum(kernel_size):
    torch.manual_seed(0)
    mixer = ACMix1d(8, 2, window_size=4, kernel_size=kernel_size, fusion="conv")
    x = torch.randn(3, 11, 8)
    torch.testing.assert_close(mixer(x), conv_only_reference(mixer, x, 1.0), atol=1e-5, rtol=1e-5)


@torch.no_grad()
def test_scalar_fusion_with_alpha_zero_is_the_conv_path():
    torch.manual_seed(0)
    mixer = ACMix1d(8, 2, window_size=4, kernel_size=3, fusion="scalar", shifted=True)
    mixer.fusion.alpha.zero_()
    x = torch.randn(2, 9, 8)
    expected = conv_only_reference(mixer, x, mixer.fusion.beta)
    torch.testing.assert_close(mixer(x), expected, atol=1e-5, rtol=1e-5)


def test_network_init_keeps_one_hot_shift_kernels():
    # The official ResNet variant lets a model-wide init overwrite the shift kernels.
    net = ACMixNetwork(ACMixConfig(context_length=64, horizon=8, kernel_size=5))
    for mixer in net.mixers():
        weight = mixer.shift_conv.conv.weight.detach()
        assert torch.equal(weight, ShiftConv(4, 16, 5).conv.weight.detach())
