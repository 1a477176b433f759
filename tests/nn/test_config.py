"""ACMixConfig: validation naming the field, dictionary round trip, derived sizes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from acmix_ts.nn import FUSION_MODES, ACMixConfig

REQUIRED = dict(context_length=96, horizon=24)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("context_length", 0),
        ("context_length", 9.5),
        ("horizon", 0),
        ("horizon", True),
        ("n_targets", 0),
        ("n_outputs", 0),
        ("n_past_covariates", -1),
        ("n_future_covariates", -1),
        ("n_static", -2),
        ("patch_len", 0),
        ("patch_stride", 0),
        ("d_model", 0),
        ("n_heads", 0),
        ("n_heads", 5),  # does not divide d_model=64
        ("n_blocks", 0),
        ("window_size", 0),
        ("window_size", 2.0),
        ("kernel_size", 4),
        ("kernel_size", 0),
        ("fusion", "mean"),
        ("ffn_ratio", 0),
        ("dropout", 1.0),
        ("dropout", -0.1),
        ("dropout", "0.1"),
        ("revin", 1),
        ("channel_independent", "yes"),
        ("conv_fp32", None),
    ],
)
def test_bad_field_raises_value_error_naming_it(field, value):
    with pytest.raises(ValueError, match=f"'{field}' field of ACMixConfig"):
        ACMixConfig(**{**REQUIRED, field: value})


def test_error_message_follows_the_house_style():
    with pytest.raises(ValueError) as info:
        ACMixConfig(**REQUIRED, patch_len=0)
    assert str(info.value) == (
        "The 'patch_len' field of ACMixConfig must be an int >= 1. Got 0 instead."
    )


def test_defaults_are_valid_and_frozen():
    config = ACMixConfig(**REQUIRED)
    assert config.fusion in FUSION_MODES
    assert (config.d_model, config.n_heads, config.n_blocks, config.window_size) == (64, 4, 2, 8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.d_model = 32


def test_dict_round_trip_through_json():
    config = ACMixConfig(
        context_length=512, horizon=96, n_targets=3, n_outputs=9, n_past_covariates=1,
        n_future_covariates=2, n_static=4, window_size=None, fusion="token_gate",
        dropout=0, conv_fp32=True,
    )  # fmt: skip
    data = json.loads(json.dumps(config.to_dict()))
    assert ACMixConfig.from_dict(data) == config
    assert isinstance(config.dropout, float)


def test_from_dict_rejects_unknown_and_missing_fields():
    with pytest.raises(ValueError, match="unknown fields \\['n_layers'\\]"):
        ACMixConfig.from_dict({**REQUIRED, "n_layers": 3})
    with pytest.raises(ValueError, match="horizon"):
        ACMixConfig.from_dict({"context_length": 96})


@pytest.mark.parametrize(
    ("context_length", "patch_len", "stride", "n_tokens"),
    [(96, 16, 8, 11), (100, 16, 8, 12), (512, 16, 8, 63), (5, 16, 8, 1), (16, 16, 8, 1),
     (17, 16, 8, 2), (10, 1, 1, 10), (10, 4, 4, 3)],
)  # fmt: skip
def test_number_of_tokens(context_length, patch_len, stride, n_tokens):
    config = ACMixConfig(
        context_length=context_length, horizon=1, patch_len=patch_len, patch_stride=stride
    )
    assert config.n_tokens == n_tokens
