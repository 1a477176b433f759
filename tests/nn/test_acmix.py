"""ACMix1d: shapes, the shifted-window seam, gradients, precision, parameter count."""

from __future__ import annotations

import pytest
import torch

from acmix_ts.nn import FUSION_MODES, ACMix1d
from acmix_ts.nn.baselines import SelfAttention


@pytest.mark.parametrize("fusion", FUSION_MODES)
@pytest.mark.parametrize("shifted", [False, True])
@pytest.mark.parametrize(
    ("batch", "n_tokens", "window"),
    [(1, 1, 4), (1, 3, 4), (2, 4, 4), (2, 9, 4), (3, 13, 5), (1, 17, 8), (2, 6, None)],
)
def test_output_shape(fusion, shifted, batch, n_tokens, window):
    mixer = ACMix1d(12, 3, window_size=window, kernel_size=3, fusion=fusion, shifted=shifted)
    out = mixer(torch.randn(batch, n_tokens, 12))
    assert out.shape == (batch, n_tokens, 12)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("fusion", ["scalar", "token_gate", "attention", "conv"])
@pytest.mark.parametrize("n_tokens", [14, 16])
@torch.no_grad()
def test_shifted_windows_never_connect_last_tokens_to_first(fusion, n_tokens):
    # W=4, shift 2: windows [0, 2), [2, 6), ... A cyclic roll (T=16) would put tokens
    # 14, 15 in the window of tokens 0, 1. Token 0 may reach token 1 (its window and the
    # 3-tap conv) and nothing else. ("gate" pools over time, so it is global by design.)
    torch.manual_seed(0)
    mixer = ACMix1d(8, 2, window_size=4, kernel_size=3, fusion=fusion, shifted=True)
    x = torch.randn(2, n_tokens, 8)
    x_perturbed = x.clone()
    x_perturbed[:, 0] += 5.0
    out, out_perturbed = mixer(x), mixer(x_perturbed)
    torch.testing.assert_close(out[:, 2:], out_perturbed[:, 2:], rtol=0, atol=0)
    assert (out[:, 1] - out_perturbed[:, 1]).abs().max() > 1e-3  # control: same window


@torch.no_grad()
def test_plain_windows_do_connect_the_first_window():
    # Control for the test above: without the shift, token 0 reaches tokens 0..3.
    torch.manual_seed(0)
    mixer = ACMix1d(8, 2, window_size=4, kernel_size=3, fusion="attention", shifted=False)
    x = torch.randn(1, 16, 8)
    x_perturbed = x.clone()
    x_perturbed[:, 0] += 5.0
    changed = (mixer(x) - mixer(x_perturbed)).abs().amax(dim=(0, 2)) > 1e-6
    assert changed.tolist() == [True] * 4 + [False] * 12


@pytest.mark.parametrize("fusion", FUSION_MODES)
def test_every_parameter_gets_a_gradient(fusion):
    torch.manual_seed(0)
    mixer = ACMix1d(8, 2, window_size=4, kernel_size=3, fusion=fusion, shifted=True)
    mixer(torch.randn(2, 11, 8)).square().sum().backward()
    for name, p in mixer.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("fusion", FUSION_MODES)
@pytest.mark.parametrize("conv_fp32", [False, True])
def test_no_nan_in_bf16_autocast(fusion, conv_fp32):
    torch.manual_seed(0)
    mixer = ACMix1d(16, 2, window_size=4, fusion=fusion, shifted=True, conv_fp32=conv_fp32)
    x = torch.randn(2, 13, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = mixer(x)
    out.float().square().sum().backward()
    assert torch.isfinite(out).all()
    assert all(torch.isfinite(p.grad).all() for p in mixer.parameters())


def test_conv_path_runs_in_fp32_under_autocast_when_asked():
    x = torch.randn(2, 9, 16)
    for conv_fp32, dtype in [(True, torch.float32), (False, torch.bfloat16)]:
        mixer = ACMix1d(16, 2, fusion="conv", conv_fp32=conv_fp32)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            qkv = mixer.qkv_proj(x)
            assert mixer.conv_path(qkv).dtype == dtype


def n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("kernel_size", [1, 3, 7])
@pytest.mark.parametrize(("d", "n_heads", "window"), [(16, 2, 4), (24, 4, 8), (12, 3, 5)])
def test_parameter_count_formula(d, n_heads, window, kernel_size):
    k, n = kernel_size, n_heads
    projections = (d * 3 * d + 3 * d) + (d * d + d)  # qkv_proj and out_proj
    relative_bias = (2 * window - 1) * n
    conv_path = 3 * n * k + k * k * d  # 3N -> k map, grouped conv weights; no biases
    hidden = max(1, d // 4)
    fusion = {
        "scalar": 2,
        "gate": d * hidden + hidden + hidden * 2 + 2,
        "token_gate": d * 2 + 2,
        "attention": 0,
        "conv": 0,
    }
    with_attention = {"scalar", "gate", "token_gate", "attention"}
    with_conv = {"scalar", "gate", "token_gate", "conv"}
    for mode in FUSION_MODES:
        expected = (
            projections
            + relative_bias * (mode in with_attention)
            + conv_path * (mode in with_conv)
            + fusion[mode]
        )
        mixer = ACMix1d(d, n, window_size=window, kernel_size=k, fusion=mode)
        assert n_params(mixer) == expected, mode
    # Extra cost of the conv path over a plain attention block: 3N*k + k*k*d (+ 2 scalars).
    plain = SelfAttention(d, n)
    scalar = ACMix1d(d, n, window_size=window, kernel_size=k, fusion="scalar")
    attention_only = ACMix1d(d, n, window_size=window, kernel_size=k, fusion="attention")
    assert n_params(plain) == 4 * d * d + 4 * d
    assert n_params(scalar) - n_params(attention_only) == 3 * n * k + k * k * d + 2
    assert n_params(scalar) - n_params(plain) == 3 * n * k + k * k * d + 2 + relative_bias


@torch.no_grad()
def test_attention_scale_zero_leaves_only_the_conv_path():
    torch.manual_seed(0)
    mixer = ACMix1d(8, 2, window_size=4, fusion="scalar", shifted=True)
    mixer.attention_scale = 0.0
    x = torch.randn(2, 10, 8)
    expected = mixer.out_proj(mixer.fusion.beta * mixer.conv_path(mixer.qkv_proj(x)))
    torch.testing.assert_close(mixer(x), expected)
    mixer.attention.relative_bias_table.normal_()  # the attention path no longer matters
    torch.testing.assert_close(mixer(x), expected)
    assert mixer.fusion.last_weights["attention"].item() == 0.0


@pytest.mark.parametrize(("d", "n_heads", "fusion"), [(10, 3, "scalar"), (8, 2, "mix")])
def test_bad_arguments_raise(d, n_heads, fusion):
    with pytest.raises(ValueError):
        ACMix1d(d, n_heads, fusion=fusion)
