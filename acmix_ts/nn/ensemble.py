"""The median of several networks of one config: an ensemble that is still one network.

Shape: the members' inputs -> (B, H, C, Q), the element-wise median over members.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
from torch import Tensor, nn

from .config import ACMixConfig
from .network import ACMixNetwork


class MedianEnsemble(nn.Module):
    """Networks trained from different seeds, combined by the median of their forecasts.

    The median (not the mean) keeps one member that diverged from moving the forecast;
    for an even number of members it is the lower of the two middle values.
    It exposes the members' ``config`` and forward signature, so that prediction,
    conformal scoring and export treat it as one network.

    Parameters
    ----------
    members : sequence of nn.Module
        Networks with the same ``config``.
    """

    config: ACMixConfig
    members: nn.ModuleList

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("MedianEnsemble needs at least one member network.")
        configs = {m.config for m in members}
        if len(configs) != 1:
            raise ValueError("Every member of a MedianEnsemble must have the same config.")
        self.members = nn.ModuleList(members)
        self.config = cast(ACMixConfig, members[0].config)

    def forward(
        self,
        y: Tensor,
        past_covariates: Tensor | None = None,
        future_covariates: Tensor | None = None,
        static: Tensor | None = None,
    ) -> Tensor:
        """Median over members of their forecasts (B, H, C, Q)."""
        outputs = [m(y, past_covariates, future_covariates, static) for m in self.members]
        stacked = torch.stack(outputs)  # (M, B, H, C, Q)
        # The (lower) median through a sort: torch.median has no ONNX export.
        return stacked.sort(dim=0).values[(len(self.members) - 1) // 2]  # (B, H, C, Q)

    @property
    def n_tokens(self) -> int:
        """Tokens per sequence of every member."""
        return self._member(0).n_tokens

    def fusion_weights(self) -> list[dict[str, Tensor]]:
        """The first member's fusion weights of its last forward pass (see ACMixNetwork)."""
        return self._member(0).fusion_weights()

    def set_attention_scale(self, scale: float) -> None:
        """Scale the attention path of every member (see ACMixNetwork)."""
        for member in self.members:
            cast(ACMixNetwork, member).set_attention_scale(scale)

    def _member(self, k: int) -> ACMixNetwork:
        # The estimator ensembles ACMixNetworks; ModuleList items are typed as nn.Module.
        return cast(ACMixNetwork, self.members[k])
