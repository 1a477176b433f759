"""ACMixBlock: pre-norm residual wrapper; shapes, seam, gradients, parameter count."""

from __future__ import annotations

import pytest
import torch

from acmix_ts.nn import FUSION_MODES, ACMix1d, ACMixBlock


@pytest.mark.parametrize("fusion", FUSION_MODES)
@pytest.mark.parametrize(("batch", "n_tokens"), [(1, 1), (1, 7), (2, 3), (3, 10), (2, 16)])
def test_block_output_shape(fusion, batch, n_tokens):
    block = ACMixBlock(16, 4, window_size=4, fusion=fusion, shifted=n_tokens % 2 == 1)
    out = block(torch.randn(batch, n_tokens, 16))
    assert out.shape == (batch, n_tokens, 16)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("fusion", ["scalar", "token_gate", "attention", "conv"])
@torch.no_grad()
def test_one_shifted_block_never_connects_last_tokens_to_first(fusion):
    torch.manual_seed(0)
    block = ACMixBlock(8, 2, window_size=4, kernel_size=3, fusion=fusion, shifted=True)
    block.eval()
    x = torch.randn(2, 16, 8)
    x_perturbed = x.clone()
    x_perturbed[:, 0] += 3.0 * torch.randn(8)  # not a constant: LayerNorm would remove it
    out, out_perturbed = block(x), block(x_perturbed)
    torch.testing.assert_close(out[:, 2:], out_perturbed[:, 2:], rtol=0, atol=0)
    assert (out[:, 1] - out_perturbed[:, 1]).abs().max() > 1e-3  # control: same window


def test_block_is_pre_norm_residual():
    torch.manual_seed(0)
    block = ACMixBlock(8, 2, window_size=4, dropout=0.0)
    x = torch.randn(2, 6, 8)
    h = x + block.mixer(block.norm_mixer(x))
    expected = h + block.ffn(block.norm_ffn(h))
    torch.testing.assert_close(block(x), expected)


@pytest.mark.parametrize("fusion", FUSION_MODES)
def test_every_block_parameter_gets_a_gradient(fusion):
    torch.manual_seed(0)
    block = ACMixBlock(8, 2, window_size=4, fusion=fusion, shifted=True, dropout=0.0)
    block(torch.randn(2, 9, 8)).square().sum().backward()
    for name, p in block.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("ffn_ratio", [1, 2, 4])
def test_block_parameter_count(ffn_ratio):
    d = 16
    block = ACMixBlock(d, 4, window_size=4, kernel_size=3, ffn_ratio=ffn_ratio)
    mixer = ACMix1d(d, 4, window_size=4, kernel_size=3)
    hidden = ffn_ratio * d
    expected = (
        sum(p.numel() for p in mixer.parameters())
        + 2 * (2 * d)  # two LayerNorms
        + (d * hidden + hidden)
        + (hidden * d + d)  # feed-forward
    )
    assert sum(p.numel() for p in block.parameters()) == expected
