"""Multi-scale stages: token merging, one head per stage, the forecast their sum."""

from __future__ import annotations

import pytest
import torch

from acmix_ts.nn import ACMixConfig, ACMixNetwork
from acmix_ts.nn.stages import TokenMerge, stage_tokens


def test_stage_token_counts_halve_rounding_up() -> None:
    assert stage_tokens(11, 3) == [11, 6, 3]
    assert stage_tokens(64, 2) == [64, 32]
    assert stage_tokens(1, 2) == [1, 1]


def test_merge_pairs_neighbours_and_keeps_the_latest_pair() -> None:
    torch.manual_seed(0)
    merge = TokenMerge(4)
    tokens = torch.randn(2, 5, 4)
    merged = merge(tokens)
    assert merged.shape == (2, 3, 4)
    last_pair = tokens[:, 3:5].reshape(2, 1, 8)  # tokens 3 and 4: the most recent
    torch.testing.assert_close(merged[:, -1:], merge.reduce(merge.norm(last_pair)))
    first = torch.cat([tokens[:, :1], tokens[:, :1]], dim=-1)  # token 0 repeated in front
    torch.testing.assert_close(merged[:, :1], merge.reduce(merge.norm(first)))


@pytest.mark.parametrize("n_stages", [2, 3])
def test_multiscale_network_trains_every_part(n_stages: int) -> None:
    torch.manual_seed(0)
    config = ACMixConfig(context_length=96, horizon=12, n_targets=2, n_blocks=1,
                         n_stages=n_stages, d_model=16, n_heads=2, dropout=0.0)  # fmt: skip
    network = ACMixNetwork(config)
    assert len(network.blocks) == config.depth == n_stages
    assert len(network.merges) == len(network.stage_heads) == n_stages - 1
    out = network(torch.randn(4, 96, 2))
    assert out.shape == (4, 12, 2, 1)
    out.square().mean().backward()
    for name, p in network.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_one_stage_is_the_single_scale_network() -> None:
    config = ACMixConfig(context_length=96, horizon=12)
    state = ACMixNetwork(config).state_dict()
    assert not any(k.startswith(("merges", "stage_heads")) for k in state)
    old = {k: v for k, v in config.to_dict().items() if k != "n_stages"}  # saved before
    assert ACMixConfig.from_dict(old).n_stages == 1


def test_config_refuses_zero_stages() -> None:
    with pytest.raises(ValueError, match="n_stages"):
        ACMixConfig(context_length=96, horizon=12, n_stages=0)
