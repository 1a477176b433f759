"""Baselines: shapes, the exact last value of NaiveForecaster, DLinear's decomposition."""

from __future__ import annotations

import pytest
import torch

from acmix_ts.nn import ACMixConfig, DLinear, NaiveForecaster, PatchTSTNetwork

BASELINES = [DLinear, NaiveForecaster, PatchTSTNetwork]


def config_for(**overrides):
    fields = dict(context_length=40, horizon=7, n_targets=3, n_outputs=2, d_model=8,
                  n_heads=2, patch_len=8, patch_stride=4, dropout=0.0)  # fmt: skip
    return ACMixConfig(**{**fields, **overrides})


@pytest.mark.parametrize("network", BASELINES)
@pytest.mark.parametrize(("batch", "context_length"), [(1, 40), (2, 13), (3, 5)])
def test_output_shape(network, batch, context_length):
    config = config_for(context_length=context_length)
    out = network(config)(torch.randn(batch, context_length, 3))
    assert out.shape == (batch, 7, 3, 2)


@pytest.mark.parametrize("network", [DLinear, NaiveForecaster])
def test_covariates_are_accepted_and_ignored(network):
    config = config_for(n_past_covariates=1, n_future_covariates=2, n_static=1)
    net = network(config).eval()
    y = torch.randn(2, 40, 3)
    out = net(y, torch.randn(2, 40, 1), torch.randn(2, 47, 2), torch.randn(2, 1))
    torch.testing.assert_close(out, net(y))


def test_patchtst_uses_covariates_like_acmix():
    config = config_for(n_past_covariates=1, n_future_covariates=2, n_static=1)
    net = PatchTSTNetwork(config)
    out = net(torch.randn(2, 40, 3), torch.randn(2, 40, 1), torch.randn(2, 47, 2),
              torch.randn(2, 1))  # fmt: skip
    assert out.shape == (2, 7, 3, 2)
    out.square().sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_naive_returns_exactly_the_last_value_and_has_no_parameters():
    net = NaiveForecaster(config_for())
    y = torch.randn(4, 40, 3)
    out = net(y)
    assert list(net.parameters()) == []
    assert torch.equal(out, y[:, -1, :, None, None].expand(4, 3, 7, 2).permute(0, 2, 1, 3))
    out.add_(1.0)  # the output is a new tensor, not a view of the input
    assert torch.equal(net(y)[:, 0, :, 0], y[:, -1])


def test_dlinear_starts_as_the_mean_and_decomposes_exactly():
    config = config_for(n_outputs=1)
    net = DLinear(config)
    y = torch.randn(2, 40, 3)
    torch.testing.assert_close(net(y)[:, 0, :, 0], y.mean(1))  # weights 1/L at init
    x = y.transpose(1, 2)
    torch.testing.assert_close(net.trend(torch.ones(2, 3, 40)), torch.ones(2, 3, 40))
    assert net.trend(x).shape == x.shape


def test_dlinear_every_parameter_gets_a_gradient():
    net = DLinear(config_for())
    net(torch.randn(2, 40, 3)).square().sum().backward()
    for name, p in net.named_parameters():
        assert p.grad.abs().sum() > 0, name


def test_patchtst_blocks_use_full_attention_of_the_same_width():
    net = PatchTSTNetwork(config_for(n_blocks=3))
    assert len(net.blocks) == 3
    mixer = net.blocks[0].mixer
    assert mixer.qkv_proj.in_features == 8 and mixer.n_heads == 2


@pytest.mark.parametrize("network", BASELINES)
def test_wrong_target_shape_raises(network):
    with pytest.raises(ValueError, match="y"):
        network(config_for())(torch.randn(2, 39, 3))
