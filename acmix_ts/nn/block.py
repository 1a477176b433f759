"""Pre-norm residual blocks: ``x + drop(mixer(norm(x)))`` then ``x + drop(ffn(norm(x)))``.

Shape: x (B, T, d) -> (B, T, d).
"""

from __future__ import annotations

from torch import Tensor, nn

from .acmix import ACMix1d


class FeedForward(nn.Module):
    """Pointwise MLP d -> ratio*d -> d with GELU.

    Notes
    -----
    Shape: x (B, T, d) -> (B, T, d).
    """

    def __init__(self, d_model: int, ffn_ratio: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.fc_in = nn.Linear(d_model, ffn_ratio * d_model)
        self.act = nn.GELU()
        self.dropout = nn.Dropout(dropout)
        self.fc_out = nn.Linear(ffn_ratio * d_model, d_model)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc_out(self.dropout(self.act(self.fc_in(x))))


class PreNormBlock(nn.Module):
    """Pre-norm residual wrapper around any token mixer, followed by a feed-forward.

    Parameters
    ----------
    mixer : nn.Module
        Token mixer mapping (B, T, d) -> (B, T, d).
    d_model : int
        Token width d.
    ffn_ratio : int
        Feed-forward hidden width ``ffn_ratio * d_model``.
    dropout : float
        Dropout on both residual branches and inside the feed-forward.

    Notes
    -----
    Shape: x (B, T, d) -> (B, T, d).
    """

    def __init__(
        self, mixer: nn.Module, d_model: int, ffn_ratio: int = 2, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.norm_mixer = nn.LayerNorm(d_model)
        self.mixer = mixer
        self.norm_ffn = nn.LayerNorm(d_model)
        self.ffn = FeedForward(d_model, ffn_ratio, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.dropout(self.mixer(self.norm_mixer(x)))
        return x + self.dropout(self.ffn(self.norm_ffn(x)))


class ACMixBlock(PreNormBlock):
    """Pre-norm residual block whose token mixer is :class:`~acmix_ts.nn.ACMix1d`.

    Parameters
    ----------
    d_model, n_heads : int
        Token width and attention heads.
    window_size : int or None
        Attention window in tokens (``None`` = full attention).
    kernel_size : int
        Odd number of taps of the shift convolution.
    fusion : str
        One of ``FUSION_MODES``.
    shifted : bool
        Shift the attention windows by ``window_size // 2`` (odd blocks of a network).
    ffn_ratio : int
        Feed-forward hidden width ``ffn_ratio * d_model``.
    dropout : float
        Dropout on the residual branches and in the feed-forward.
    conv_fp32 : bool
        Keep the convolution path in fp32 under autocast.

    Notes
    -----
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
        ffn_ratio: int = 2,
        dropout: float = 0.0,
        conv_fp32: bool = False,
    ) -> None:
        mixer = ACMix1d(
            d_model,
            n_heads,
            window_size=window_size,
            kernel_size=kernel_size,
            fusion=fusion,
            shifted=shifted,
            conv_fp32=conv_fp32,
        )
        super().__init__(mixer, d_model, ffn_ratio, dropout)
