"""ACMixNetwork: shapes, covariates, gradients, precision, attention warm-up, state dict."""

from __future__ import annotations

import io

import pytest
import torch

from acmix_ts.nn import FUSION_MODES, ACMixConfig, ACMixNetwork


def small_config(**overrides):
    fields = dict(context_length=48, horizon=6, d_model=8, n_heads=2, patch_len=8,
                  patch_stride=4, window_size=4, dropout=0.0)  # fmt: skip
    return ACMixConfig(**{**fields, **overrides})


def covariate_config(**overrides):
    return small_config(
        n_targets=2, n_outputs=3, n_past_covariates=2, n_future_covariates=3, n_static=2,
        **overrides,
    )  # fmt: skip


def covariate_inputs(config, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    length, horizon = config.context_length, config.horizon
    return dict(
        y=torch.randn(batch, length, config.n_targets, generator=g),
        past_covariates=torch.randn(batch, length, config.n_past_covariates, generator=g),
        future_covariates=torch.randn(
            batch, length + horizon, config.n_future_covariates, generator=g
        ),
        static=torch.randn(batch, config.n_static, generator=g),
    )


@pytest.mark.parametrize("fusion", FUSION_MODES)
@pytest.mark.parametrize(
    ("batch", "context_length", "window_size", "channel_independent"),
    [(1, 47, 4, True), (2, 61, 3, True), (2, 16, 8, True), (1, 5, 4, True), (3, 33, None, False)],
)
def test_network_output_shape(fusion, batch, context_length, window_size, channel_independent):
    # L=47, 61 odd (13, 14 tokens: not multiples of W); L=16 -> 3 tokens < W; L=5 < patch_len.
    config = small_config(
        context_length=context_length, n_targets=2, n_outputs=3, window_size=window_size,
        fusion=fusion, n_blocks=3, channel_independent=channel_independent,
    )  # fmt: skip
    out = ACMixNetwork(config)(torch.randn(batch, context_length, 2))
    assert out.shape == (batch, 6, 2, 3)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize(
    ("context_length", "n_tokens"), [(1, 1), (5, 1), (8, 1), (9, 2), (12, 2), (13, 3)]
)
def test_context_shorter_than_a_patch_gives_one_token(context_length, n_tokens):
    config = small_config(context_length=context_length)
    assert config.n_tokens == n_tokens
    out = ACMixNetwork(config)(torch.randn(2, context_length, 1))
    assert out.shape == (2, 6, 1, 1)


@pytest.mark.parametrize("channel_independent", [True, False])
@pytest.mark.parametrize("fusion", FUSION_MODES)
def test_every_parameter_gets_a_gradient(fusion, channel_independent):
    torch.manual_seed(0)
    config = covariate_config(fusion=fusion, channel_independent=channel_independent)
    net = ACMixNetwork(config)
    net(**covariate_inputs(config)).square().sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("fusion", FUSION_MODES)
def test_no_nan_in_fp32_and_bf16_autocast(fusion):
    torch.manual_seed(0)
    config = covariate_config(fusion=fusion, conv_fp32=fusion == "gate")
    net = ACMixNetwork(config)
    inputs = covariate_inputs(config)
    assert torch.isfinite(net(**inputs)).all()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(**inputs)
    out.float().square().mean().backward()
    assert torch.isfinite(out).all()
    assert all(torch.isfinite(p.grad).all() for p in net.parameters())


def test_without_revin_covariates_still_work():
    config = covariate_config(revin=False)
    net = ACMixNetwork(config)
    assert net.revin is None
    assert net(**covariate_inputs(config)).shape == (2, 6, 2, 3)


def test_output_is_in_the_units_of_y():
    # RevIN: shifting and scaling the input does the same to the forecast.
    torch.manual_seed(0)
    net = ACMixNetwork(small_config(n_targets=2)).eval()
    y = torch.randn(2, 48, 2)
    torch.testing.assert_close(net(100.0 + 7.0 * y), 100.0 + 7.0 * net(y), rtol=1e-4, atol=1e-3)


def test_covariate_gradients_reach_their_embeddings():
    config = covariate_config()
    net = ACMixNetwork(config)
    net(**covariate_inputs(config)).sum().backward()
    for p in (
        net.embedding.covariate_proj.weight,
        net.embedding.static_proj.weight,
        net.head.future_proj.linear.weight,  # zero at init, but its gradient is not
        net.head.future_proj.mlp[0].weight,
    ):
        assert p.grad.abs().sum() > 0


@torch.no_grad()
def test_future_covariate_in_the_horizon_changes_that_step_only():
    torch.manual_seed(0)
    config = covariate_config()
    net = ACMixNetwork(config).eval()
    torch.nn.init.normal_(net.head.future_proj.linear.weight)  # as after training
    inputs = covariate_inputs(config)
    step = 2
    changed = {k: v.clone() for k, v in inputs.items()}
    changed["future_covariates"][:, config.context_length + step, 1] += 1.0
    diff = (net(**changed) - net(**inputs)).abs().amax(dim=(0, 2, 3))  # (H,)
    assert diff[step] > 1e-3
    assert torch.all(diff[torch.arange(config.horizon) != step] == 0)


@torch.no_grad()
def test_past_and_static_covariates_change_the_forecast():
    config = covariate_config()
    net = ACMixNetwork(config).eval()
    inputs = covariate_inputs(config)
    base = net(**inputs)
    for key in ("past_covariates", "static"):
        changed = {**inputs, key: inputs[key] + torch.randn_like(inputs[key])}
        assert (net(**changed) - base).abs().max() > 1e-4, key


@torch.no_grad()
def test_constant_covariate_over_the_context_does_not_explode():
    config = small_config(n_future_covariates=1)
    net = ACMixNetwork(config).eval()
    torch.nn.init.ones_(net.head.future_proj.linear.weight)
    future = torch.zeros(2, 54, 1)
    future[:, 48:] = 1.0  # an event indicator: 0 over the context, 1 in the horizon
    out = net(torch.randn(2, 48, 1), future_covariates=future)
    assert torch.isfinite(out).all() and out.abs().max() < 100


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("y", torch.randn(2, 47, 2), "y"),
        ("y", torch.randn(2, 48), "y"),
        ("y", torch.randn(2, 48, 3), "y"),
        ("past_covariates", torch.randn(2, 47, 2), "past_covariates"),
        ("past_covariates", None, "past_covariates"),
        ("future_covariates", torch.randn(2, 48, 3), "future_covariates"),
        ("future_covariates", torch.randn(2, 54, 2), "future_covariates"),
        ("future_covariates", torch.randn(3, 54, 3), "future_covariates"),
        ("static", torch.randn(2, 3), "static"),
        ("static", None, "static"),
    ],
)
def test_wrong_shapes_raise_value_error_naming_the_argument(key, value, match):
    config = covariate_config()
    inputs = {**covariate_inputs(config), key: value}
    with pytest.raises(ValueError, match=match):
        ACMixNetwork(config)(**inputs)


@pytest.mark.parametrize("key", ["past_covariates", "future_covariates", "static"])
def test_covariates_the_config_does_not_know_raise(key):
    net = ACMixNetwork(small_config())
    value = torch.randn(2, 48, 1) if key != "static" else torch.randn(2, 1)
    with pytest.raises(ValueError, match=key):
        net(torch.randn(2, 48, 1), **{key: value})


@torch.no_grad()
def test_attention_scale_zero_removes_the_attention_path():
    torch.manual_seed(0)
    net = ACMixNetwork(small_config(fusion="scalar", n_blocks=2)).eval()
    y = torch.randn(2, 48, 1)
    net.set_attention_scale(0.0)
    before = net(y)
    for mixer in net.mixers():
        mixer.attention.relative_bias_table.normal_(std=5.0)
    torch.testing.assert_close(net(y), before, rtol=0, atol=0)
    assert all(w["attention"].item() == 0.0 for w in net.fusion_weights())
    net.set_attention_scale(1.0)
    assert (net(y) - before).abs().max() > 1e-4


def test_attention_scale_is_validated_and_not_saved():
    net = ACMixNetwork(small_config())
    with pytest.raises(ValueError, match="scale"):
        net.set_attention_scale(1.5)
    net.set_attention_scale(0.25)
    state = net.state_dict()
    assert not any("scale" in key for key in state)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    clone = ACMixNetwork(small_config())
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    clone.set_attention_scale(0.25)
    y = torch.randn(2, 48, 1)
    net.eval(), clone.eval()
    torch.testing.assert_close(clone(y), net(y))


def test_network_parameter_count_formula():
    c = covariate_config(n_blocks=2)
    d, p, t = c.d_model, c.patch_len, c.n_tokens
    block = sum(x.numel() for x in ACMixNetwork(c).blocks[0].parameters())
    expected = (
        2 * c.n_targets  # RevIN affine
        + (p * d + d)  # value_proj (one channel per sequence)
        + (c.n_past_covariates + c.n_future_covariates) * p * d  # covariate_proj
        + c.n_static * d  # static_proj
        + c.n_blocks * block
        + 2 * d  # head LayerNorm
        + (t * d * c.horizon * c.n_outputs + c.horizon * c.n_outputs)  # flatten head
        + c.n_future_covariates * c.n_targets * c.n_outputs  # future path: linear,
        + (c.n_future_covariates * d + d)  # MLP first layer (hidden d_model)
        + (d * c.n_targets * c.n_outputs + c.n_targets * c.n_outputs)  # MLP second layer
    )
    assert sum(x.numel() for x in ACMixNetwork(c).parameters()) == expected


def test_blocks_alternate_plain_and_shifted_windows():
    net = ACMixNetwork(small_config(n_blocks=4))
    assert [m.attention.shifted for m in net.mixers()] == [False, True, False, True]
