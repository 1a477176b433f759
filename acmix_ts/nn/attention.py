"""Windowed multi-head temporal attention with a learned relative-position bias.

The T tokens are split into non-overlapping windows of ``window_size`` W; each query
attends to the keys of its own window with scores ``q k^T / sqrt(hd) + B[i - j]``,
where ``B`` is a table of 2W-1 entries per head indexed by the offset in tokens.
Shifted windows move the grid by W//2 by PADDING the front (and the back up to a
multiple of W) and masking the padded keys; there is no cyclic roll, so the last tokens
never see the first ones. Cost O(T*W*d) time and memory: the windows are folded into
the batch and :func:`torch.nn.functional.scaled_dot_product_attention` runs on
(B*nW, N, W, hd); no T x T tensor is built unless the whole sequence is one window.

Shape: q, k, v (B, N, T, hd) -> (B, N, T, hd).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class WindowAttention(nn.Module):
    """Scaled dot-product attention inside (optionally shifted) windows.

    Parameters
    ----------
    n_heads : int
        Number of heads N.
    window_size : int or None
        Window W in tokens. ``None`` is full attention over the whole sequence WITHOUT a
        position bias (there is no table size to learn; position then comes from the
        convolution path and the head). ``W >= T`` is full attention WITH the bias.
    shifted : bool
        Shift the window grid by ``W // 2`` (ignored when one window covers the sequence).

    Shape: q, k, v (B, N, T, hd) -> (B, N, T, hd).
    """

    relative_bias_table: nn.Parameter | None  # (2W - 1, N); None for full attention
    relative_index: Tensor | None  # buffer (W, W); None for full attention

    def __init__(self, n_heads: int, window_size: int | None = 8, shifted: bool = False) -> None:
        super().__init__()
        if window_size is not None and window_size < 1:
            raise ValueError(f"window_size must be an int >= 1 or None. Got {window_size}.")
        self.n_heads = n_heads
        self.window_size = window_size
        self.shifted = shifted
        if window_size is None:
            self.register_parameter("relative_bias_table", None)
            self.register_buffer("relative_index", None, persistent=False)
        else:
            # Entry (W - 1 + i - j, h) is the bias of query i on key j in head h.
            self.relative_bias_table = nn.Parameter(torch.empty(2 * window_size - 1, n_heads))
            offsets = torch.arange(window_size)
            index = offsets[:, None] - offsets[None, :] + window_size - 1  # (W, W)
            self.register_buffer("relative_index", index, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.relative_bias_table is not None:
            nn.init.trunc_normal_(self.relative_bias_table, std=0.02)

    def window_layout(self, n_tokens: int) -> tuple[int, int]:
        """Return ``(window, shift)`` used for a sequence of ``n_tokens`` tokens.

        When one window covers the sequence (``W >= T``) the window shrinks to T and the
        shift is dropped, as in Swin: shifting would only cut the sequence in two.
        """
        size = self.window_size
        if size is None or size >= n_tokens:
            return n_tokens, 0
        return size, (size // 2 if self.shifted else 0)

    def relative_bias(self, size: int) -> Tensor:
        """Bias of every (query, key) pair of a window of ``size`` tokens.

        Shape: -> (N, size, size); entry [h, i, j] = table[W - 1 + i - j, h].
        """
        # Only with a window_size (full attention has no table).
        assert self.relative_index is not None and self.relative_bias_table is not None
        index = self.relative_index[:size, :size]  # (size, size)
        return self.relative_bias_table[index].permute(2, 0, 1)  # (N, size, size)

    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        if self.relative_bias_table is None:
            return F.scaled_dot_product_attention(q, k, v)  # (B, N, T, hd)
        batch, n_heads, n_tokens, head_dim = q.shape
        window, shift = self.window_layout(n_tokens)
        pad_back = -(shift + n_tokens) % window
        padded = shift + n_tokens + pad_back
        n_windows = padded // window
        bias = self.relative_bias(window).to(q.dtype)  # (N, W, W)
        if shift or pad_back:
            q, k, v = (F.pad(t, (0, 0, shift, pad_back)) for t in (q, k, v))  # (B, N, Tp, hd)
            position = torch.arange(padded, device=q.device)
            padding = (position < shift) | (position >= shift + n_tokens)  # (Tp,)
            key_mask = q.new_zeros(padded).masked_fill(padding, float("-inf"))  # (Tp,)
            key_mask = key_mask.view(n_windows, 1, 1, window)  # (nW, 1, 1, W)
            bias = bias.unsqueeze(0) + key_mask  # (nW, N, W, W)
            bias = bias.expand(batch, -1, -1, -1, -1)  # (B, nW, N, W, W)
            bias = bias.reshape(-1, n_heads, window, window)  # (B*nW, N, W, W)
            # Every window holds >= 1 real key, so no row of scores is all -inf.

        def to_windows(t: Tensor) -> Tensor:
            t = t.view(batch, n_heads, n_windows, window, head_dim)  # (B, N, nW, W, hd)
            return t.transpose(1, 2).reshape(-1, n_heads, window, head_dim)  # (B*nW, N, W, hd)

        out = F.scaled_dot_product_attention(
            to_windows(q), to_windows(k), to_windows(v), attn_mask=bias
        )  # (B*nW, N, W, hd)
        out = out.view(batch, n_windows, n_heads, window, head_dim)  # (B, nW, N, W, hd)
        out = out.transpose(1, 2).reshape(batch, n_heads, padded, head_dim)  # (B, N, Tp, hd)
        return out[:, :, shift : shift + n_tokens]  # (B, N, T, hd)
