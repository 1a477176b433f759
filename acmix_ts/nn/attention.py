"""Windowed multi-head temporal attention with a learned relative-position bias.

The T tokens are split into non-overlapping windows of ``window_size`` W; each query
attends to the keys of its own window with scores ``q k^T / sqrt(hd) + B[i - j]``,
where ``B`` is a table of 2W-1 entries per head indexed by the offset in tokens.
Shifted windows move the grid by W//2; there is no cyclic roll, so the last tokens
never see the first ones.

Layout. Attention runs on GROUPS of G tokens: each query scores the G keys of its group,
and an additive mask (``-inf``) keeps only the keys of its own window. One gather from
the table, extended by a ``-inf`` row, builds bias and mask together (:meth:`group_index`).

- Long sequences (T > ``BANDED_MAX_TOKENS``): the groups are the windows. The sequence is
  padded at the front by the shift and at the back up to a multiple of W (padded keys
  masked), and viewed, without a copy, as (B, N, nW, W, hd): cost O(T*W*d) time and
  memory, no T x T tensor.
- Short sequences: one group of all T tokens with a block-diagonal mask. For a few
  windows this is cheaper than cutting them out (no padding, no copies).

On CPU the keys of a short sequence's one group are padded with masked zeros up to
``MIN_KEYS``: PyTorch's CPU softmax runs a scalar loop over rows shorter than its vector
width (about 17x slower per element at 8 or 11 keys than at 16, measured on the
development machine), and masked keys change no weight. The windows of long sequences
are not padded: with many windows the doubled products cost more than the softmax saves
(measured at 48 to 1,023 tokens, batch 224). Every layout computes the same softmax over
the same keys (tested against an explicit reference).

Shape: q, k, v (B, N, T, hd) -> (B, N, T, hd).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Sequences up to this many tokens attend as one group with a block-diagonal mask.
BANDED_MAX_TOKENS = 32
# On CPU, a short sequence's one group scores at least this many keys (masked padding).
MIN_KEYS = 16


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

    def __init__(self, n_heads: int, window_size: int | None = 8, shifted: bool = False) -> None:
        super().__init__()
        if window_size is not None and window_size < 1:
            raise ValueError(f"window_size must be an int >= 1 or None. Got {window_size}.")
        self.n_heads = n_heads
        self.window_size = window_size
        self.shifted = shifted
        if window_size is None:
            self.register_parameter("relative_bias_table", None)
        else:
            # Entry (W - 1 + i - j, h) is the bias of query i on key j in head h.
            self.relative_bias_table = nn.Parameter(torch.empty(2 * window_size - 1, n_heads))
        self._index_cache: dict[tuple[int, int, str], Tensor] = {}
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

    def group_layout(self, n_tokens: int) -> tuple[int, int, int]:
        """Return ``(group, front, back)``: tokens per group and the padding around the sequence.

        One group of all tokens up to ``BANDED_MAX_TOKENS``; else the windows, padded
        in front by the shift and at the back up to a multiple of the window.
        """
        window, shift = self.window_layout(n_tokens)
        if n_tokens <= max(BANDED_MAX_TOKENS, window):
            return n_tokens, 0, 0
        return window, shift, -(shift + n_tokens) % window

    def group_index(self, n_tokens: int, n_keys: int, device: torch.device) -> Tensor:
        """Row of the extended table (bias rows, then a ``-inf`` row) for each score.

        Shape: -> (nG, G, n_keys), int64; entry [g, i, c] is ``W - 1 + i - c`` when
        query i and key c of group g are real tokens of the same window, else ``2W - 1``
        (the ``-inf`` row; keys c >= G are padding). Cached per length and device.
        """
        key = (n_tokens, n_keys, str(device))
        if key not in self._index_cache:
            window, shift = self.window_layout(n_tokens)
            group, front, back = self.group_layout(n_tokens)
            assert self.window_size is not None  # the table exists
            masked = 2 * self.window_size - 1
            position = torch.arange(front + n_tokens + back, device=device).view(-1, group)
            token = position - front  # (nG, G): index in the sequence, < 0 or >= T: padding
            real = (token >= 0) & (token < n_tokens)
            window_id = torch.div(token + shift, window, rounding_mode="floor")
            allowed = (window_id[:, :, None] == window_id[:, None, :]) & real[:, None, :]
            offset = position[:, :, None] - position[:, None, :] + self.window_size - 1
            index = torch.where(allowed, offset, masked)  # (nG, G, G)
            self._index_cache[key] = F.pad(index, (0, n_keys - group), value=masked)
        return self._index_cache[key]

    def group_bias(self, n_tokens: int, n_keys: int, dtype: torch.dtype) -> Tensor:
        """Bias and mask of every score. Shape: -> (N, nG, G, n_keys)."""
        assert self.relative_bias_table is not None  # only with a window_size
        table = self.relative_bias_table
        masked = table.new_full((1, self.n_heads), float("-inf"))
        index = self.group_index(n_tokens, n_keys, table.device)
        bias = F.embedding(index, torch.cat([table, masked]))  # (nG, G, n_keys, N)
        return bias.permute(3, 0, 1, 2).to(dtype)

    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        if self.relative_bias_table is None:
            return F.scaled_dot_product_attention(q, k, v)  # (B, N, T, hd)
        batch, n_heads, n_tokens, head_dim = q.shape
        group, front, back = self.group_layout(n_tokens)
        # Pad a short sequence's keys (see the module doc); windows of long sequences
        # are not padded: there the extra products cost more than the slow softmax.
        one_group = group == n_tokens
        n_keys = max(group, MIN_KEYS) if one_group and q.device.type == "cpu" else group
        if front or back:
            q, k, v = (F.pad(t, (0, 0, front, back)) for t in (q, k, v))  # (B, N, Tp, hd)
        q, k, v = (t.view(batch, n_heads, -1, group, head_dim) for t in (q, k, v))
        if n_keys > group:  # masked zero keys (CPU softmax width)
            k, v = (F.pad(t, (0, 0, 0, n_keys - group)) for t in (k, v))  # (B, N, nG, K, hd)
        bias = self.group_bias(n_tokens, n_keys, q.dtype)  # (N, nG, G, K)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)  # (B, N, nG, G, hd)
        out = out.reshape(batch, n_heads, -1, head_dim)  # (B, N, Tp, hd)
        return out[:, :, front : front + n_tokens]  # (B, N, T, hd)
