"""Windowed multi-head temporal attention with a learned relative-position bias.

The T tokens are split into non-overlapping windows of ``window_size`` W; each query
attends to the keys of its own window with scores ``q k^T / sqrt(hd) + B[i - j]``,
where ``B`` is a table of 2W-1 entries per head indexed by the offset in tokens.
Shifted windows move the grid by W//2; there is no cyclic roll, so the last tokens
never see the first ones.

Layout. The sequence is padded at the front by the shift and at the back up to a
multiple of W, and viewed as (B, N, nW, W, hd): cost O(T*W*d) time and memory, no
T x T tensor. Padded keys are masked by an additive ``-inf``: one gather from the table,
extended by a ``-inf`` row, builds bias and mask together (:meth:`window_index`). When
one window covers the sequence (W >= T) it is the whole sequence, unpadded.

Kernels. On CUDA the windows go to ``scaled_dot_product_attention`` (fused kernels).
On CPU :func:`key_major_attention` computes the same softmax with the scores laid out
keys first, (.., key, query): PyTorch's CPU softmax over the last dimension runs a
scalar loop over rows shorter than its vector width (a window holds 8 keys), while a
softmax over an inner dimension vectorises along the queries. Measured on the
development machine (batch 32, 4 heads of 16, W=8, forward + backward), it is 1.3x
faster than ``scaled_dot_product_attention`` with the mask at 11 tokens and 1.5x from
63 to 1,023 tokens. Both kernels give the same result (tested against an explicit
reference).

Shape: q, k, v (B, N, T, hd) -> (B, N, T, hd).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def key_major_attention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor) -> Tensor:
    """``softmax(q k^T / sqrt(hd) + bias) v`` with the scores stored (.., key, query).

    Parameters
    ----------
    q, k, v : Tensor
        Queries, keys and values of every window, (B, N, nW, W, hd).
    bias : Tensor
        Additive bias and mask per (head, window, query, key), (N, nW, W, W).

    Returns
    -------
    Tensor
        The attended values, (B, N, nW, W, hd). The softmax runs over the keys, as in
        ``scaled_dot_product_attention``; only the memory layout of the scores differs.
    """
    *lead, window, head_dim = q.shape
    q, k, v = (t.reshape(-1, window, head_dim) for t in (q, k, v))  # (B*N*nW, W, hd)
    scores = torch.bmm(k, q.transpose(1, 2) * head_dim**-0.5)  # (B*N*nW, key, query)
    scores = scores.view(*lead, window, window) + bias.transpose(-1, -2)
    weights = torch.softmax(scores, dim=-2).view(-1, window, window)  # over the keys
    return torch.bmm(weights.transpose(1, 2), v).view(*lead, window, head_dim)


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
        self._index_cache: dict[tuple[int, str], Tensor] = {}
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.relative_bias_table is not None:
            nn.init.trunc_normal_(self.relative_bias_table, std=0.02)

    def window_layout(self, n_tokens: int) -> tuple[int, int, int]:
        """Return ``(window, front, back)``: tokens per window and the padding around them.

        When one window covers the sequence (``W >= T``) the window shrinks to T and the
        shift is dropped, as in Swin: shifting would only cut the sequence in two. Else
        the sequence is padded in front by the shift and at the back up to a multiple
        of the window.
        """
        size = self.window_size
        if size is None or size >= n_tokens:
            return n_tokens, 0, 0
        shift = size // 2 if self.shifted else 0
        return size, shift, -(shift + n_tokens) % size

    def window_index(self, n_tokens: int, device: torch.device) -> Tensor:
        """Row of the extended table (bias rows, then a ``-inf`` row) for each score.

        Shape: -> (nW, W, W), int64; entry [w, i, j] is ``W - 1 + i - j`` when key j of
        window w is a real token, else ``2W - 1`` (the ``-inf`` row). Cached per length
        and device.
        """
        key = (n_tokens, str(device))
        if key not in self._index_cache:
            window, front, back = self.window_layout(n_tokens)
            assert self.window_size is not None  # the table exists
            position = torch.arange(front + n_tokens + back, device=device).view(-1, window)
            token = position - front  # (nW, W): index in the sequence, < 0 or >= T: padding
            real = (token >= 0) & (token < n_tokens)
            offset = position[:, :, None] - position[:, None, :] + self.window_size - 1
            masked = 2 * self.window_size - 1
            self._index_cache[key] = torch.where(real[:, None, :], offset, masked)
        return self._index_cache[key]

    def window_bias(self, n_tokens: int, dtype: torch.dtype) -> Tensor:
        """Bias and mask of every score. Shape: -> (N, nW, W, W): (head, window, query, key)."""
        assert self.relative_bias_table is not None  # only with a window_size
        table = self.relative_bias_table
        masked = table.new_full((1, self.n_heads), float("-inf"))
        index = self.window_index(n_tokens, table.device)
        bias = F.embedding(index, torch.cat([table, masked]))  # (nW, W, W, N)
        return bias.permute(3, 0, 1, 2).to(dtype)

    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        if self.relative_bias_table is None:
            return F.scaled_dot_product_attention(q, k, v)  # (B, N, T, hd)
        batch, n_heads, n_tokens, head_dim = q.shape
        window, front, back = self.window_layout(n_tokens)
        if front or back:
            q, k, v = (F.pad(t, (0, 0, front, back)) for t in (q, k, v))  # (B, N, Tp, hd)
        q, k, v = (t.view(batch, n_heads, -1, window, head_dim) for t in (q, k, v))
        bias = self.window_bias(n_tokens, q.dtype)  # (N, nW, W, W)
        if q.device.type == "cpu":
            out = key_major_attention(q, k, v, bias)  # (B, N, nW, W, hd)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        out = out.reshape(batch, n_heads, -1, head_dim)  # (B, N, Tp, hd)
        return out[:, :, front : front + n_tokens]  # (B, N, T, hd)
