"""Patching: exact patches on arange data, front padding, embedding shapes."""

from __future__ import annotations

import pytest
import torch

from acmix_ts.nn import ACMixConfig
from acmix_ts.nn.patching import PatchEmbedding, patchify


def test_patches_on_arange_end_at_the_last_step():
    x = torch.arange(20.0).view(1, 20, 1)
    patches = patchify(x, patch_len=8, stride=4)[0, :, 0]  # (T, P)
    # (20 - 8) / 4 = 3 exactly: no padding, 4 patches.
    expected = torch.stack([torch.arange(s, s + 8.0) for s in (0, 4, 8, 12)])
    assert torch.equal(patches, expected)


def test_front_is_padded_with_the_first_value_when_the_stride_does_not_fit():
    x = torch.arange(1.0, 23.0).view(1, 22, 1)  # 1..22; (22 - 8) / 4 = 3.5 -> 5 patches
    patches = patchify(x, patch_len=8, stride=4)[0, :, 0]
    assert patches.shape == (5, 8)
    assert torch.equal(patches[-1], torch.arange(15.0, 23.0))  # last patch ends at step L
    # padded length (5 - 1) * 4 + 8 = 24: two copies of the first value in front
    assert torch.equal(patches[0], torch.tensor([1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))


def test_series_shorter_than_a_patch_is_one_front_padded_patch():
    x = torch.tensor([[[3.0, -1.0], [4.0, -2.0], [5.0, -3.0]]])  # (1, 3, 2)
    patches = patchify(x, patch_len=5, stride=2)  # (1, 1, 2, 5)
    assert torch.equal(patches[0, 0, 0], torch.tensor([3.0, 3.0, 3.0, 4.0, 5.0]))
    assert torch.equal(patches[0, 0, 1], torch.tensor([-1.0, -1.0, -1.0, -2.0, -3.0]))


@pytest.mark.parametrize("channel_independent", [True, False])
@pytest.mark.parametrize(("n_covariates", "n_static"), [(0, 0), (3, 0), (0, 2), (3, 2)])
def test_embedding_shape(channel_independent, n_covariates, n_static):
    config = ACMixConfig(
        context_length=30, horizon=4, n_targets=2, n_past_covariates=n_covariates,
        n_static=n_static, patch_len=6, patch_stride=3, d_model=8, n_heads=2,
        channel_independent=channel_independent,
    )  # fmt: skip
    covariates = torch.randn(5, 30, n_covariates) if n_covariates else None
    static = torch.randn(5, n_static) if n_static else None
    tokens = PatchEmbedding(config)(torch.randn(5, 30, 2), covariates, static)
    assert tokens.shape == (10 if channel_independent else 5, config.n_tokens, 8)


@torch.no_grad()
def test_channel_independent_sequences_share_weights():
    config = ACMixConfig(context_length=30, horizon=4, n_targets=2, patch_len=6,
                         patch_stride=3, d_model=8, n_heads=2, dropout=0.0)  # fmt: skip
    embedding = PatchEmbedding(config)
    y = torch.randn(1, 30, 2)
    tokens = embedding(y, None, None)  # (2, T, d)
    torch.testing.assert_close(tokens[1], embedding(y[..., [1, 0]], None, None)[0])
