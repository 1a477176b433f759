"""ACMix1d: attention and convolution sharing one projection (Pan et al., CVPR 2022), in 1-D.

Stage I computes q, k, v with ONE pointwise projection d -> 3d. Stage II feeds them to
two cheap aggregations: windowed attention (:mod:`.attention`) and a shift
convolution (:mod:`.shift_conv`). The two are fused (:mod:`.fusion`) and mixed by an
output projection d -> d. See ``docs/network.md``.

Shape: x (B, T, d) -> (B, T, d).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .attention import WindowAttention
from .config import FUSION_MODES
from .fusion import build_fusion
from .shift_conv import ShiftConv


class ACMix1d(nn.Module):
    """The ACMix token mixer for sequences of T tokens of width d.

    Parameters
    ----------
    d_model : int
        Token width d.
    n_heads : int
        Heads N (must divide ``d_model``); head width ``hd = d / N``.
    window_size : int or None
        Attention window in tokens; ``None`` = full attention (see :class:`WindowAttention`).
    kernel_size : int
        Odd number of taps of the shift convolution.
    fusion : str
        One of ``FUSION_MODES``. ``"attention"`` does not build the convolution path and
        ``"conv"`` does not build the attention path (so every parameter is used).
    shifted : bool
        Shift the attention windows by ``window_size // 2``.
    conv_fp32 : bool
        Run the convolution path in fp32 with autocast disabled.

    Attributes
    ----------
    attention_scale : float
        Multiplier of the attention path in [0, 1] (progressive warm-up); a plain
        attribute, so it is not part of the state dict.

    Shape: x (B, T, d) -> (B, T, d).
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int = 4,
        *,
        window_size: int | None = 8,
        kernel_size: int = 3,
        fusion: str = "scalar",
        shifted: bool = False,
        conv_fp32: bool = False,
    ) -> None:
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}.")
        if fusion not in FUSION_MODES:
            raise ValueError(f"fusion must be one of {FUSION_MODES}. Got {fusion!r} instead.")
        self.d_model = d_model
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.conv_fp32 = conv_fp32
        self.attention_scale = 1.0
        self.qkv_proj = nn.Linear(d_model, 3 * d_model)
        self.fusion = build_fusion(fusion, d_model)
        self.attention = (
            WindowAttention(n_heads, window_size, shifted) if self.fusion.uses_attention else None
        )
        self.shift_conv = (
            ShiftConv(n_heads, self.head_dim, kernel_size) if self.fusion.uses_conv else None
        )
        self.out_proj = nn.Linear(d_model, d_model)

    def attention_path(self, qkv: Tensor) -> Tensor:
        """Windowed attention on the shared projections. Shape: (B, T, 3d) -> (B, T, d)."""
        batch, n_tokens, _ = qkv.shape
        qkv = qkv.view(batch, n_tokens, 3, self.n_heads, self.head_dim)  # (B, T, 3, N, hd)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # 3 x (B, N, T, hd)
        assert self.attention is not None  # built unless fusion='conv'
        out = self.attention(q, k, v)  # (B, N, T, hd)
        return out.transpose(1, 2).reshape(batch, n_tokens, self.d_model)  # (B, T, d)

    def conv_path(self, qkv: Tensor) -> Tensor:
        """Shift convolution on the shared projections. Shape: (B, T, 3d) -> (B, T, d)."""
        assert self.shift_conv is not None  # built unless fusion='attention'
        if not self.conv_fp32:
            return self.shift_conv(qkv)
        with torch.autocast(device_type=qkv.device.type, enabled=False):
            return self.shift_conv(qkv.float())

    def forward(self, x: Tensor) -> Tensor:
        qkv = self.qkv_proj(x)  # (B, T, 3d): [q | k | v], each N heads of width hd
        attn = self.attention_path(qkv) if self.attention is not None else None
        conv = self.conv_path(qkv) if self.shift_conv is not None else None
        mixed = self.fusion(x, attn, conv, self.attention_scale)  # (B, T, d)
        return self.out_proj(mixed)
