"""ACMixNetwork: patch tokens, ACMix blocks alternating plain / shifted windows, linear head.

Shape: y (B, L, C), past (B, L, Cp), future (B, L+H, Cf), static (B, S) -> (B, H, C, Q).
"""

from __future__ import annotations

from typing import cast

from torch import Tensor

from .acmix import ACMix1d
from .backbone import PatchForecastNetwork
from .block import ACMixBlock
from .config import ACMixConfig


class ACMixNetwork(PatchForecastNetwork):
    """Forecasting network built from ACMix blocks (see ``docs/network.md``).

    Instance normalisation (RevIN) of each series, inverted on the output; tokens are
    patches of ``patch_len`` steps with stride ``patch_stride``; with channel
    independence each target variable is a separate sequence with shared weights;
    ``n_blocks`` ACMix blocks (per stage, ``n_stages``), block ``i`` shifted when ``i``
    is odd; a linear head to the horizon (one per stage). Covariates: see
    :mod:`acmix_ts.nn.backbone`.

    Parameters
    ----------
    config : ACMixConfig
        Sizes and options.

    Notes
    -----
    Shape: y (B, L, C), past_covariates (B, L, Cp), future_covariates (B, L+H, Cf),
    static (B, S) -> (B, H, C, Q), in the units of ``y``.

    Examples
    --------
    >>> import torch
    >>> net = ACMixNetwork(ACMixConfig(context_length=96, horizon=24, n_targets=2))
    >>> net(torch.randn(3, 96, 2)).shape
    torch.Size([3, 24, 2, 1])
    """

    def __init__(self, config: ACMixConfig) -> None:
        blocks = [
            ACMixBlock(
                config.d_model,
                config.n_heads,
                window_size=config.window_size,
                kernel_size=config.kernel_size,
                fusion=config.fusion,
                shifted=i % 2 == 1,
                ffn_ratio=config.ffn_ratio,
                dropout=config.dropout,
                conv_fp32=config.conv_fp32,
            )
            for i in range(config.depth)
        ]
        super().__init__(config, blocks)

    def mixers(self) -> list[ACMix1d]:
        """The ACMix1d token mixer of every block, in order."""
        return [cast(ACMix1d, block.mixer) for block in self.blocks]  # blocks: ACMixBlock

    def set_attention_scale(self, scale: float) -> None:
        """Multiply the attention path of every block by ``scale`` in [0, 1] (warm-up).

        A plain attribute of each :class:`ACMix1d`: it is not saved in the state dict.
        """
        scale = float(scale)
        if not 0.0 <= scale <= 1.0:
            raise ValueError(f"scale must be a float in [0, 1]. Got {scale} instead.")
        for mixer in self.mixers():
            mixer.attention_scale = scale

    def fusion_weights(self) -> list[dict[str, Tensor]]:
        """Per block, the weights of each path used in the last forward pass.

        Keys ``"attention"`` (alpha, INCLUDING the attention scale of the warm-up) and
        ``"conv"`` (beta); detached CPU tensors of shape ``()`` for ``"scalar"``,
        ``"attention"`` and ``"conv"``, ``(B*,)`` for ``"gate"`` and ``(B*, T)`` for
        ``"token_gate"``, where B* = B*C with channel independence, else B. Empty
        dictionaries before the first forward pass.
        """
        return [
            {key: w.detach().cpu() for key, w in mixer.fusion.last_weights.items()}
            for mixer in self.mixers()
        ]
