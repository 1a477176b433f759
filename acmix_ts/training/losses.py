"""Training losses on forecasts of shape (B, H, C, Q) against targets (B, H, C)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

LOSSES = ("mse", "mae", "huber", "quantile")


class PointLoss(nn.Module):
    """MSE, MAE or Huber on the single output of a point forecast.

    Shape: forecast (B, H, C, 1), target (B, H, C) -> scalar.
    """

    def __init__(self, name: str, huber_delta: float = 1.0):
        super().__init__()
        self.name = name
        self.huber_delta = huber_delta

    def forward(self, forecast: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        point = forecast[..., 0]
        if self.name == "mse":
            return nn.functional.mse_loss(point, target)
        if self.name == "mae":
            return nn.functional.l1_loss(point, target)
        return nn.functional.huber_loss(point, target, delta=self.huber_delta)


class QuantileLoss(nn.Module):
    """Pinball loss averaged over quantiles, steps, targets and samples.

    Shape: forecast (B, H, C, Q), target (B, H, C) -> scalar.
    """

    quantiles: torch.Tensor  # buffer, (Q,)

    def __init__(self, quantiles: Sequence[float]):
        super().__init__()
        self.register_buffer("quantiles", torch.tensor(list(quantiles), dtype=torch.float32))

    def forward(self, forecast: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        error = target.unsqueeze(-1) - forecast  # (B, H, C, Q)
        q = self.quantiles.to(forecast.dtype)
        return torch.maximum(q * error, (q - 1) * error).mean()


def make_loss(name: str, quantiles: Sequence[float] | None = None) -> nn.Module:
    """The loss module for ``name`` (one of :data:`LOSSES`)."""
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}. Got {name!r} instead.")
    if name == "quantile":
        if not quantiles:
            raise ValueError("loss='quantile' needs a non-empty sequence of quantiles.")
        return QuantileLoss(quantiles)
    return PointLoss(name)
