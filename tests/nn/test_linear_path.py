"""The linear level/trend path and the median ensemble."""

from __future__ import annotations

import pytest
import torch

from acmix_ts.nn import ACMixConfig, ACMixNetwork, MedianEnsemble

CONFIG = dict(context_length=32, horizon=8, n_targets=2, patch_len=8, d_model=16, n_heads=2)


@pytest.mark.parametrize("lag", [1, 4])
def test_untrained_network_is_the_forecast_its_linear_path_starts_as(lag: int) -> None:
    # The head starts at zero with the path, so the network starts as repeating the
    # last `lag` context steps (naive, seasonal naive): RevIN round-trips them exactly.
    network = ACMixNetwork(ACMixConfig(**CONFIG, linear_path=True, linear_init_lag=lag))
    x = torch.randn(3, 32, 2) * 5 + 7
    expected = x[:, 32 - lag :][:, torch.arange(8) % lag]  # (3, 8, 2)
    torch.testing.assert_close(network.eval()(x)[..., 0], expected, rtol=1e-4, atol=1e-4)
    plain = ACMixNetwork(ACMixConfig(**CONFIG, linear_path=True))  # lag 0: the level
    level = x.mean(dim=1, keepdim=True).expand(3, 8, 2)
    torch.testing.assert_close(plain.eval()(x)[..., 0], level, rtol=1e-4, atol=1e-4)


def test_linear_path_learns_to_extrapolate_a_ramp() -> None:
    torch.manual_seed(0)
    network = ACMixNetwork(ACMixConfig(**CONFIG, n_blocks=1, linear_path=True, dropout=0.0))
    slopes = torch.rand(64, 1, 2) + 0.5
    t = torch.arange(40.0).view(1, 40, 1)
    series = slopes * t + torch.randn(64, 1, 2)  # ramps with random slopes and offsets
    optimiser = torch.optim.Adam(network.parameters(), lr=1e-2)
    for _ in range(300):
        loss = (network(series[:, :32])[..., 0] - series[:, 32:]).pow(2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert loss.item() < 0.05 * series[:, 32:].var().item()
    assert network.linear_path.proj.weight.grad is not None


def test_median_ensemble_takes_the_elementwise_median() -> None:
    members = [ACMixNetwork(ACMixConfig(**CONFIG)) for _ in range(3)]
    ensemble = MedianEnsemble(members).eval()
    x = torch.randn(4, 32, 2)
    outputs = torch.stack([m.eval()(x) for m in members])
    torch.testing.assert_close(ensemble(x), outputs.median(dim=0).values)
    assert ensemble.config == members[0].config


def test_median_ensemble_refuses_mixed_configs() -> None:
    other = ACMixNetwork(ACMixConfig(**{**CONFIG, "d_model": 32}))
    with pytest.raises(ValueError, match="same config"):
        MedianEnsemble([ACMixNetwork(ACMixConfig(**CONFIG)), other])
