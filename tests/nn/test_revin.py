"""RevIN: normalisation statistics and exact inversion."""

from __future__ import annotations

import pytest
import torch

from acmix_ts.nn import RevIN
from acmix_ts.nn.revin import instance_standardise


@pytest.mark.parametrize("affine", [True, False])
def test_round_trip(affine):
    revin = RevIN(3, affine=affine)
    if affine:
        with torch.no_grad():
            revin.weight.uniform_(0.5, 2.0)
            revin.bias.normal_()
    x = 50.0 + 10.0 * torch.randn(4, 20, 3)
    x_norm, stats = revin(x)
    torch.testing.assert_close(revin.inverse(x_norm, stats), x, rtol=1e-5, atol=1e-4)
    # The inverse broadcasts over trailing output dimensions (B, H, C, Q).
    y = x_norm[:, :5, :, None].expand(-1, -1, -1, 2)
    torch.testing.assert_close(revin.inverse(y, stats)[..., 1], x[:, :5], rtol=1e-5, atol=1e-4)


def test_normalised_series_has_zero_mean_unit_std():
    x_norm, _ = RevIN(2, affine=False)(3.0 + 4.0 * torch.randn(8, 500, 2))
    torch.testing.assert_close(x_norm.mean(1), torch.zeros(8, 2), atol=1e-5, rtol=0)
    torch.testing.assert_close(x_norm.std(1, unbiased=False), torch.ones(8, 2), atol=1e-4, rtol=0)


def test_statistics_come_from_the_context_only():
    x = torch.cat([torch.randn(2, 30, 1), 1000.0 + torch.randn(2, 10, 1)], dim=1)
    x_norm, loc, _ = instance_standardise(x, n_context=30)
    torch.testing.assert_close(loc, x[:, :30].mean(1, keepdim=True))
    assert x_norm[:, 30:].min() > 100  # the horizon part is NOT re-centred


def test_constant_series_is_finite():
    x_norm, stats = RevIN(1)(torch.full((2, 10, 1), 7.0))
    assert torch.isfinite(x_norm).all()
    torch.testing.assert_close(RevIN(1).inverse(x_norm, stats), torch.full((2, 10, 1), 7.0))
