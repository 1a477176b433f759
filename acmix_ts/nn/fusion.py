"""Fusion of the attention and convolution paths of ACMix1d.

Modes (``FUSION_MODES``):

- ``"scalar"``: ``alpha * attn + beta * conv`` with two learnable scalars (the paper),
  initialised to 0.5; their names end in ``alpha`` / ``beta`` and the networks list them
  in ``no_weight_decay()``.
- ``"gate"``: ``alpha, beta = sigmoid(MLP(mean_t x))``, MLP d -> d/4 -> 2, one pair per
  sample.
- ``"token_gate"``: ``alpha, beta = sigmoid(Linear(x))`` per token.
- ``"attention"`` / ``"conv"``: one path only (ablations).

Every fusion multiplies ``alpha`` by the block's ``attention_scale`` (progressive
warm-up) and stores the weights actually used in ``last_weights`` (detached, on the
device of the forward pass) under the keys ``"attention"`` and ``"conv"``.

Shape: x (B, T, d), attn (B, T, d) or None, conv (B, T, d) or None -> (B, T, d).
"""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn


class Fusion(nn.Module):
    """Base class: the paths a mode needs and the weights of the last forward pass.

    Shape: x, attn, conv (B, T, d) -> (B, T, d).
    """

    uses_attention: bool = True
    uses_conv: bool = True

    def __init__(self) -> None:
        super().__init__()
        self.last_weights: dict[str, Tensor] = {}

    def forward(
        self, x: Tensor, attn: Tensor | None, conv: Tensor | None, attention_scale: float = 1.0
    ) -> Tensor:
        raise NotImplementedError

    @staticmethod
    def both(attn: Tensor | None, conv: Tensor | None) -> tuple[Tensor, Tensor]:
        """``attn`` and ``conv`` of a mode that mixes both (ACMix1d builds both paths)."""
        assert attn is not None and conv is not None
        return attn, conv


class ScalarFusion(Fusion):
    """``alpha * attn + beta * conv`` with learnable scalars (shape ``()``), 0.5 / 0.5 at init.

    Shape: attn, conv (B, T, d) -> (B, T, d); weights ().
    """

    def __init__(self) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.empty(()))
        self.beta = nn.Parameter(torch.empty(()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.constant_(self.alpha, 0.5)
        nn.init.constant_(self.beta, 0.5)

    def forward(
        self, x: Tensor, attn: Tensor | None, conv: Tensor | None, attention_scale: float = 1.0
    ) -> Tensor:
        alpha = self.alpha * attention_scale
        # clone: the parameters change in place at the next optimiser step.
        self.last_weights = {
            "attention": alpha.detach().clone(),
            "conv": self.beta.detach().clone(),
        }
        attn, conv = self.both(attn, conv)
        return alpha * attn + self.beta * conv


class GateFusion(Fusion):
    """Per-sample gate ``sigmoid(MLP(mean over time of x))``, MLP d -> max(1, d//4) -> 2.

    The last layer starts with small weights (std 0.02) and zero bias, so alpha and beta
    start at about 0.5 while every layer of the MLP still receives a gradient.

    Shape: x, attn, conv (B, T, d) -> (B, T, d); weights (B,).
    """

    def __init__(self, d_model: int) -> None:
        super().__init__()
        hidden = max(1, d_model // 4)
        self.gate = nn.Sequential(nn.Linear(d_model, hidden), nn.GELU(), nn.Linear(hidden, 2))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        first, last = cast(nn.Linear, self.gate[0]), cast(nn.Linear, self.gate[2])
        first.reset_parameters()
        nn.init.trunc_normal_(last.weight, std=0.02)
        nn.init.zeros_(last.bias)

    def forward(
        self, x: Tensor, attn: Tensor | None, conv: Tensor | None, attention_scale: float = 1.0
    ) -> Tensor:
        weights = torch.sigmoid(self.gate(x.mean(dim=1)))  # (B, 2)
        alpha = weights[:, 0] * attention_scale  # (B,)
        beta = weights[:, 1]  # (B,)
        self.last_weights = {"attention": alpha.detach(), "conv": beta.detach()}
        attn, conv = self.both(attn, conv)
        return alpha[:, None, None] * attn + beta[:, None, None] * conv


class TokenGateFusion(Fusion):
    """Per-token gate ``sigmoid(Linear(x))``, Linear d -> 2, about 0.5 / 0.5 at init.

    Shape: x, attn, conv (B, T, d) -> (B, T, d); weights (B, T).
    """

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.gate = nn.Linear(d_model, 2)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.trunc_normal_(self.gate.weight, std=0.02)
        nn.init.zeros_(self.gate.bias)

    def forward(
        self, x: Tensor, attn: Tensor | None, conv: Tensor | None, attention_scale: float = 1.0
    ) -> Tensor:
        weights = torch.sigmoid(self.gate(x))  # (B, T, 2)
        alpha = weights[..., 0] * attention_scale  # (B, T)
        beta = weights[..., 1]  # (B, T)
        self.last_weights = {"attention": alpha.detach(), "conv": beta.detach()}
        attn, conv = self.both(attn, conv)
        return alpha.unsqueeze(-1) * attn + beta.unsqueeze(-1) * conv


class AttentionOnlyFusion(Fusion):
    """Attention path only (the convolution path is not built).

    Shape: attn (B, T, d) -> (B, T, d); weights ().
    """

    uses_conv = False

    def forward(
        self, x: Tensor, attn: Tensor | None, conv: Tensor | None, attention_scale: float = 1.0
    ) -> Tensor:
        self.last_weights = {
            "attention": torch.tensor(float(attention_scale)),
            "conv": torch.tensor(0.0),
        }
        assert attn is not None  # ACMix1d builds the attention path here
        return attn * attention_scale


class ConvOnlyFusion(Fusion):
    """Convolution path only (the attention path is not built).

    Shape: conv (B, T, d) -> (B, T, d); weights ().
    """

    uses_attention = False

    def forward(
        self, x: Tensor, attn: Tensor | None, conv: Tensor | None, attention_scale: float = 1.0
    ) -> Tensor:
        self.last_weights = {"attention": torch.tensor(0.0), "conv": torch.tensor(1.0)}
        assert conv is not None  # ACMix1d builds the convolution path here
        return conv


def build_fusion(mode: str, d_model: int) -> Fusion:
    """Return the fusion module of ``mode`` (one of ``FUSION_MODES``)."""
    if mode == "scalar":
        return ScalarFusion()
    if mode == "gate":
        return GateFusion(d_model)
    if mode == "token_gate":
        return TokenGateFusion(d_model)
    if mode == "attention":
        return AttentionOnlyFusion()
    if mode == "conv":
        return ConvOnlyFusion()
    raise ValueError(
        "fusion must be one of ('scalar', 'gate', 'token_gate', 'attention', 'conv'). "
        f"Got {mode!r} instead."
    )
