"""Patching of series into tokens, and the token embedding with covariates.

Shape: patchify (B, L, V) -> (B, T, V, P); PatchEmbedding -> (B*, T, d) with
B* = B*C when channel independent, else B.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .config import ACMixConfig, n_patches


def patchify(x: Tensor, patch_len: int, stride: int) -> Tensor:
    """Cut a series into patches, padding the front so the last patch ends at step L.

    The front is padded by repeating the first value (see :func:`~acmix_ts.nn.config.n_patches`
    for the number of patches ``T``); a series shorter than ``patch_len`` becomes one patch.

    Shape: x (B, L, V) -> (B, T, V, P).
    """
    length = x.shape[1]
    n_tokens = n_patches(length, patch_len, stride)
    pad = (n_tokens - 1) * stride + patch_len - length
    if pad > 0:
        front = x[:, :1].expand(-1, pad, -1)  # (B, pad, V)
        x = torch.cat([front, x], dim=1)  # (B, L + pad, V)
    return x.unfold(1, patch_len, stride)  # (B, T, V, P)


class PatchEmbedding(nn.Module):
    """Token embedding of the target patches, context covariates and static features.

    Token ``t`` of channel ``c`` is
    ``W_y patch_t(y_c) + W_x patch_t(past, future[:L]) + W_s static (+ bias)``:
    with channel independence every target channel is its own sequence and the same
    covariate and static terms reach all of them (shared weights). Without channel
    independence all targets of a sample share one sequence.

    Parameters
    ----------
    config : ACMixConfig
        Uses ``n_targets``, ``n_past_covariates``, ``n_future_covariates``, ``n_static``,
        ``patch_len``, ``patch_stride``, ``d_model``, ``dropout``, ``channel_independent``.

    Shape: y (B, L, C), covariates (B, L, Cp + Cf) or None, static (B, S) or None
    -> (B*, T, d).
    """

    def __init__(self, config: ACMixConfig) -> None:
        super().__init__()
        self.patch_len = config.patch_len
        self.stride = config.patch_stride
        self.channel_independent = config.channel_independent
        series_vars = 1 if config.channel_independent else config.n_targets
        n_covariates = config.n_past_covariates + config.n_future_covariates
        self.value_proj = nn.Linear(series_vars * config.patch_len, config.d_model)
        # No biases on the covariate and static terms: value_proj has the token bias.
        self.covariate_proj = (
            nn.Linear(n_covariates * config.patch_len, config.d_model, bias=False)
            if n_covariates > 0
            else None
        )
        self.static_proj = (
            nn.Linear(config.n_static, config.d_model, bias=False) if config.n_static > 0 else None
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, y: Tensor, covariates: Tensor | None, static: Tensor | None) -> Tensor:
        patches = patchify(y, self.patch_len, self.stride)  # (B, T, C, P)
        if self.channel_independent:
            tokens = self.value_proj(patches.permute(0, 2, 1, 3))  # (B, C, T, d)
        else:
            tokens = self.value_proj(patches.flatten(2)).unsqueeze(1)  # (B, 1, T, d)
        if self.covariate_proj is not None and covariates is not None:
            cov = patchify(covariates, self.patch_len, self.stride).flatten(2)  # (B, T, Cc*P)
            tokens = tokens + self.covariate_proj(cov).unsqueeze(1)  # (B, C', T, d)
        if self.static_proj is not None and static is not None:
            tokens = tokens + self.static_proj(static)[:, None, None, :]  # (B, C', T, d)
        return self.dropout(tokens.flatten(0, 1))  # (B*C', T, d)
