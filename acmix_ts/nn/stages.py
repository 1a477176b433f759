"""Multi-scale stages: token merging between groups of blocks, one head per stage.

With ``n_stages = S > 1`` the blocks come in S stages of ``n_blocks`` each. Between two
stages, :class:`TokenMerge` joins each pair of neighbouring tokens into one (Swin's
patch merging, Liu et al., ICCV 2021, at a constant width), so that stage s reads about
T / 2^s tokens: later stages are cheaper and their attention windows span twice the
time. Every stage has its own flatten head, and the forecast is the sum of the
stages' forecasts, as N-HiTS sums its multi-rate outputs (Challu et al., AAAI 2023).
This is the FPN-like use of ACMix at several scales that the ACMix paper proposes.

Shape: tokens (B*, T, d) -> (B*, ceil(T / 2), d).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def stage_tokens(n_tokens: int, n_stages: int) -> list[int]:
    """Tokens per sequence in each stage: T, ceil(T / 2), ceil(T / 4), ..."""
    counts = [n_tokens]
    for _ in range(n_stages - 1):
        counts.append(-(-counts[-1] // 2))
    return counts


class TokenMerge(nn.Module):
    """Join tokens (2i, 2i + 1) into one: LayerNorm(2d) then Linear(2d -> d).

    An odd sequence repeats its FIRST token in front, so that the most recent tokens
    stay paired as they are (the patches are aligned on the last step).

    Shape: (B*, T, d) -> (B*, ceil(T / 2), d).
    """

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(2 * d_model)
        self.reduce = nn.Linear(2 * d_model, d_model)

    def forward(self, tokens: Tensor) -> Tensor:
        batch, n_tokens, width = tokens.shape
        if n_tokens % 2:
            tokens = torch.cat([tokens[:, :1], tokens], dim=1)  # (B*, T + 1, d)
        pairs = tokens.reshape(batch, -1, 2 * width)  # (B*, ceil(T / 2), 2d)
        return self.reduce(self.norm(pairs))
