"""Reversible instance normalisation (RevIN, Kim et al., ICLR 2022).

Shape: x (B, L, C) -> x_norm (B, L, C); the inverse maps (B, H, C, ...) back.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def instance_standardise(
    x: Tensor, n_context: int | None = None, eps: float = 1e-5
) -> tuple[Tensor, Tensor, Tensor]:
    """Standardise each sample and variable with statistics of its first ``n_context`` steps.

    Parameters
    ----------
    x : Tensor
        Series of shape (B, L, C).
    n_context : int or None
        Steps the statistics are taken from; ``None`` uses all of ``x``. Steps after
        ``n_context`` (e.g. the horizon part of future covariates) are standardised with
        the same statistics, so that no future value leaks into them.
    eps : float
        Relative to the variance: the scale is ``sqrt(var * (1 + eps))`` (plus a floor at
        the float resolution of the level), so that it does not depend on x's units.

    Returns
    -------
    x_norm, loc, scale : Tensor
        ``x_norm = (x - loc) / scale`` with ``loc`` and ``scale`` of shape (B, 1, C).

    Notes
    -----
    Shape: x (B, L, C) -> (B, L, C), (B, 1, C), (B, 1, C).
    """
    context = x if n_context is None else x[:, :n_context]
    loc = context.mean(dim=1, keepdim=True).detach()  # (B, 1, C)
    var = context.var(dim=1, keepdim=True, unbiased=False).detach()  # (B, 1, C)
    # Free of x's units and offset: eps is relative to the variance, and a flat window is
    # scaled by the float resolution at its level (its deviations are rounding); the
    # smallest normal number keeps an all-zero window finite.
    info = torch.finfo(x.dtype)
    floor = (info.eps * loc).square() + info.tiny
    scale = torch.sqrt(var * (1 + eps) + floor)  # (B, 1, C)
    return (x - loc) / scale, loc, scale


class RevIN(nn.Module):
    """Reversible instance normalisation with an optional per-variable affine map.

    Parameters
    ----------
    n_features : int
        Number of variables C.
    affine : bool
        Learn a weight and bias per variable, applied after standardising.
    eps : float
        Relative variance term of :func:`instance_standardise` (and the guard of the
        division by the affine weight).

    Notes
    -----
    Shape: forward x (B, L, C) -> (B, L, C); inverse y (B, H, C, *) -> (B, H, C, *).

    Examples
    --------
    >>> revin = RevIN(2)
    >>> x = torch.randn(4, 10, 2)
    >>> x_norm, stats = revin(x)
    >>> torch.allclose(revin.inverse(x_norm, stats), x, atol=1e-5)
    True
    """

    def __init__(self, n_features: int, affine: bool = True, eps: float = 1e-5) -> None:
        super().__init__()
        self.n_features = n_features
        self.eps = eps
        if affine:
            self.weight = nn.Parameter(torch.empty(n_features))
            self.bias = nn.Parameter(torch.empty(n_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            nn.init.ones_(self.weight)
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Normalise ``x``; return it with the statistics needed by :meth:`inverse`."""
        x_norm, loc, scale = instance_standardise(x, eps=self.eps)  # (B, L, C)
        if self.weight is not None:
            x_norm = x_norm * self.weight + self.bias
        return x_norm, (loc, scale)

    def inverse(self, y: Tensor, stats: tuple[Tensor, Tensor]) -> Tensor:
        """Map a normalised forecast ``y`` of shape (B, H, C, ...) back to data units."""
        loc, scale = stats  # (B, 1, C) each
        extra = (1,) * (y.dim() - 3)
        loc = loc.view(*loc.shape, *extra)  # (B, 1, C, 1...)
        scale = scale.view(*scale.shape, *extra)  # (B, 1, C, 1...)
        if self.weight is not None:
            weight = self.weight.view(-1, *extra)  # (C, 1...)
            bias = self.bias.view(-1, *extra)  # (C, 1...)
            y = (y - bias) / (weight + self.eps * self.eps)
        return y * scale + loc
