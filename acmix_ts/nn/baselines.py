"""Baseline networks for the benchmarks, with the constructor and forward of ACMixNetwork.

All take an :class:`ACMixConfig` (ignoring fields they do not use), accept the
covariate arguments (ignoring those they cannot use) and return (B, H, C, Q).

Shape: y (B, L, C) -> (B, H, C, Q).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .backbone import PatchForecastNetwork
from .block import PreNormBlock
from .config import ACMixConfig
from .inputs import check_target


class DLinear(nn.Module):
    """DLinear (Zeng et al., AAAI 2023): moving-average decomposition + two linear maps L -> H.

    The trend is a moving average (kernel 25, edges padded by repetition), the seasonal
    part the remainder; each goes through a linear map over time shared by all channels,
    initialised to the mean (weights 1/L) as in Time-Series-Library. Covariates and RevIN
    are not used.

    Parameters
    ----------
    config : ACMixConfig
        Uses ``context_length``, ``horizon``, ``n_targets``, ``n_outputs``.
    moving_average : int
        Kernel of the moving average (odd).

    Notes
    -----
    Shape: y (B, L, C) -> (B, H, C, Q).
    """

    def __init__(self, config: ACMixConfig, moving_average: int = 25) -> None:
        super().__init__()
        if moving_average < 1 or moving_average % 2 == 0:
            raise ValueError(f"moving_average must be an odd int >= 1. Got {moving_average}.")
        self.config = config
        self.moving_average = moving_average
        out = config.horizon * config.n_outputs
        self.seasonal_proj = nn.Linear(config.context_length, out)
        self.trend_proj = nn.Linear(config.context_length, out)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for proj in (self.seasonal_proj, self.trend_proj):
            nn.init.constant_(proj.weight, 1.0 / self.config.context_length)
            nn.init.zeros_(proj.bias)

    def trend(self, x: Tensor) -> Tensor:
        """Moving average along time. Shape: (B, C, L) -> (B, C, L)."""
        half = (self.moving_average - 1) // 2
        x = torch.cat([x[..., :1].expand(-1, -1, half), x, x[..., -1:].expand(-1, -1, half)], -1)
        return F.avg_pool1d(x, self.moving_average, stride=1)  # (B, C, L)

    def forward(
        self,
        y: Tensor,
        past_covariates: Tensor | None = None,
        future_covariates: Tensor | None = None,
        static: Tensor | None = None,
    ) -> Tensor:
        check_target(self.config, y)
        x = y.transpose(1, 2)  # (B, C, L)
        trend = self.trend(x)  # (B, C, L)
        out = self.seasonal_proj(x - trend) + self.trend_proj(trend)  # (B, C, H*Q)
        batch, n_targets = x.shape[:2]
        out = out.view(batch, n_targets, self.config.horizon, self.config.n_outputs)  # (B, C, H, Q)
        return out.transpose(1, 2)  # (B, H, C, Q)

    def no_weight_decay(self) -> set[str]:
        """Names of parameters to train without weight decay (the biases)."""
        return {name for name, p in self.named_parameters() if p.dim() <= 1}


class NaiveForecaster(nn.Module):
    """Repeats the last observed value over the horizon (the "Repeat" baseline).

    Has no parameters. Shape: y (B, L, C) -> (B, H, C, Q).
    """

    def __init__(self, config: ACMixConfig) -> None:
        super().__init__()
        self.config = config

    def forward(
        self,
        y: Tensor,
        past_covariates: Tensor | None = None,
        future_covariates: Tensor | None = None,
        static: Tensor | None = None,
    ) -> Tensor:
        check_target(self.config, y)
        last = y[:, -1:, :, None]  # (B, 1, C, 1)
        return last.repeat(1, self.config.horizon, 1, self.config.n_outputs)  # (B, H, C, Q)

    def no_weight_decay(self) -> set[str]:
        """Empty: there are no parameters."""
        return set()


class SelfAttention(nn.Module):
    """Plain multi-head self-attention over the whole sequence (no position bias).

    Notes
    -----
    Shape: x (B, T, d) -> (B, T, d).
    """

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.qkv_proj = nn.Linear(d_model, 3 * d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x: Tensor) -> Tensor:
        batch, n_tokens, d_model = x.shape
        qkv = self.qkv_proj(x).view(batch, n_tokens, 3, self.n_heads, -1)  # (B, T, 3, N, hd)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # 3 x (B, N, T, hd)
        out = F.scaled_dot_product_attention(q, k, v)  # (B, N, T, hd)
        out = out.transpose(1, 2).reshape(batch, n_tokens, d_model)  # (B, T, d)
        return self.out_proj(out)


class LearnedPosition(nn.Module):
    """Learned absolute position embedding added to the tokens (std 0.02 at init).

    Notes
    -----
    Shape: x (B, T, d) -> (B, T, d).
    """

    def __init__(self, n_tokens: int, d_model: int) -> None:
        super().__init__()
        self.embedding = nn.Parameter(torch.empty(1, n_tokens, d_model))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.trunc_normal_(self.embedding, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.embedding


class PatchTSTNetwork(PatchForecastNetwork):
    """PatchTST-style baseline: ACMixNetwork's patching, RevIN, covariates and head, but
    each block is a plain pre-norm transformer block with FULL multi-head attention of the
    same width (``d_model``, ``n_heads``, ``ffn_ratio``) and a learned absolute position
    embedding. ``window_size``, ``kernel_size``, ``fusion`` and ``conv_fp32`` are ignored.

    Notes
    -----
    Shape: y (B, L, C), past (B, L, Cp), future (B, L+H, Cf), static (B, S) -> (B, H, C, Q).
    """

    def __init__(self, config: ACMixConfig) -> None:
        blocks = [
            PreNormBlock(
                SelfAttention(config.d_model, config.n_heads),
                config.d_model,
                config.ffn_ratio,
                config.dropout,
            )
            for _ in range(config.depth)
        ]
        super().__init__(config, blocks, LearnedPosition(config.n_tokens, config.d_model))
