"""Fusion modes: initial weights, inspectable weights after forward, weight decay."""

from __future__ import annotations

import pytest
import torch

from acmix_ts.nn import FUSION_MODES, ACMix1d, ACMixConfig, ACMixNetwork


def test_scalar_fusion_starts_at_one_half():
    fusion = ACMix1d(8, 2, fusion="scalar").fusion
    assert fusion.alpha.item() == 0.5 and fusion.beta.item() == 0.5
    assert fusion.alpha.shape == () and fusion.beta.shape == ()


@pytest.mark.parametrize("fusion", ["gate", "token_gate"])
def test_gates_start_near_one_half(fusion):
    torch.manual_seed(0)
    mixer = ACMix1d(16, 2, fusion=fusion)
    mixer(torch.randn(3, 7, 16))
    for weight in mixer.fusion.last_weights.values():
        assert torch.allclose(weight, torch.full_like(weight, 0.5), atol=0.05)


@pytest.mark.parametrize("channel_independent", [True, False])
@pytest.mark.parametrize("fusion", FUSION_MODES)
def test_network_fusion_weights_shapes(fusion, channel_independent):
    config = ACMixConfig(
        context_length=40, horizon=5, n_targets=2, d_model=8, n_heads=2, n_blocks=3,
        fusion=fusion, channel_independent=channel_independent,
    )  # fmt: skip
    net = ACMixNetwork(config)
    assert net.fusion_weights() == [{}, {}, {}]  # nothing before the first forward
    net(torch.randn(3, 40, 2))
    batch = 6 if channel_independent else 3  # B* = B*C with channel independence
    expected = {"gate": (batch,), "token_gate": (batch, config.n_tokens)}.get(fusion, ())
    weights = net.fusion_weights()
    assert len(weights) == 3
    for block_weights in weights:
        assert set(block_weights) == {"attention", "conv"}
        for w in block_weights.values():
            assert w.shape == expected and w.device.type == "cpu" and not w.requires_grad


def test_fusion_weights_are_a_snapshot_of_the_last_forward():
    net = ACMixNetwork(ACMixConfig(context_length=32, horizon=4, d_model=8, n_heads=2))
    net(torch.randn(2, 32, 1))
    before = net.fusion_weights()[0]["attention"].clone()
    with torch.no_grad():
        net.mixers()[0].fusion.alpha.add_(1.0)  # e.g. an optimiser step
    assert torch.equal(net.fusion_weights()[0]["attention"], before)


def test_single_path_modes_report_constant_weights():
    x = torch.randn(2, 5, 8)
    attention_only = ACMix1d(8, 2, fusion="attention")
    attention_only(x)
    assert attention_only.fusion.last_weights["attention"].item() == 1.0
    assert attention_only.fusion.last_weights["conv"].item() == 0.0
    conv_only = ACMix1d(8, 2, fusion="conv")
    conv_only(x)
    assert conv_only.fusion.last_weights["conv"].item() == 1.0
    assert conv_only.attention is None and attention_only.shift_conv is None


def test_no_weight_decay_lists_fusion_scalars_biases_and_bias_tables():
    net = ACMixNetwork(ACMixConfig(context_length=32, horizon=4, d_model=8, n_heads=2))
    names = net.no_weight_decay()
    params = dict(net.named_parameters())
    assert names <= set(params)
    for i in range(2):
        assert f"blocks.{i}.mixer.fusion.alpha" in names
        assert f"blocks.{i}.mixer.fusion.beta" in names
        assert f"blocks.{i}.mixer.attention.relative_bias_table" in names
        assert f"blocks.{i}.mixer.qkv_proj.weight" not in names
    assert all(params[n].dim() <= 1 for n in names if not n.endswith("relative_bias_table"))
