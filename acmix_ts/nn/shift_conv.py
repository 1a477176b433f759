"""Shift convolution built from the shared q, k, v projections (ACMix stage II).

A k-tap convolution is k pointwise projections, each shifted and summed. The q, k, v
projections are viewed as 3N pieces of width hd; a learned map 3N -> k (shared over the
hd positions, the paper's "fully connected layer") turns them into k feature maps of
width hd, and a grouped ``Conv1d(k*hd -> d, kernel_size=k, groups=hd, padding=k//2)``
shifts and sums them. Its weight starts as one-hot shift kernels, ``w[o, j, j] = 1``
(map j read at offset ``j - k//2``), and stays trainable. Any odd k works.

Short sequences (T <= ``DENSE_MAX_TOKENS``) run the same convolution as one matrix
product on the unfolded maps, with the grouped weight laid out block-diagonally: on CPU
PyTorch's grouped convolution costs about twice as much at a dozen tokens (measured on
the development machine), and from a few dozen tokens on the grouped kernel is the
faster one. Both give the same result (tested).

Shape: qkv (B, T, 3d) -> (B, T, d).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Sequences up to this many tokens convolve by one matrix product (see the module doc).
DENSE_MAX_TOKENS = 32


class ShiftConv(nn.Module):
    """Convolution path of ACMix1d: 3N -> k map, then a grouped shift convolution.

    Parameters
    ----------
    n_heads : int
        Heads N; the projections are cut into 3N pieces of width ``head_dim``.
    head_dim : int
        Head width hd (d = N * hd).
    kernel_size : int
        Odd number of taps k.

    Notes
    -----
    Neither layer has a bias, on purpose. The maps are linear in q, k, v, whose
    projection already has a bias, so a constant offset reaches every map; the block's
    output projection adds its own bias right after the fusion; and without a bias the
    path is exactly a shift-and-sum of the maps at initialisation (tested). The
    official ACmix code meant to have a bias but deleted it by accident; here there is
    none by choice.

    Output channel ``o`` belongs to group ``o // N``, i.e. it aggregates the maps at
    head-dim position ``o // N`` (the grouped-conv layout of the official code); the
    block's output projection mixes the channels afterwards.

    Shape: qkv (B, T, 3d) -> (B, T, d).
    """

    def __init__(self, n_heads: int, head_dim: int, kernel_size: int = 3) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be an odd int >= 1. Got {kernel_size}.")
        self.n_heads = n_heads
        self.head_dim = head_dim
        self.kernel_size = kernel_size
        self.piece_map = nn.Linear(3 * n_heads, kernel_size, bias=False)
        self.conv = nn.Conv1d(
            kernel_size * head_dim,
            n_heads * head_dim,
            kernel_size,
            padding=kernel_size // 2,
            groups=head_dim,
            bias=False,
        )
        # group_mask[o, g] = 1 when output channel o belongs to group g (o // N == g).
        group_mask = torch.arange(n_heads * head_dim)[:, None] // n_heads == torch.arange(head_dim)
        self.group_mask: Tensor  # (d, hd)
        self.register_buffer("group_mask", group_mask.float(), persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.piece_map.reset_parameters()
        taps = torch.arange(self.kernel_size)
        with torch.no_grad():
            self.conv.weight.zero_()  # (d, k, k): (out, map j within the group, tap)
            self.conv.weight[:, taps, taps] = 1.0

    def forward(self, qkv: Tensor) -> Tensor:
        batch, n_tokens, _ = qkv.shape
        pieces = qkv.view(batch, n_tokens, 3 * self.n_heads, self.head_dim)  # (B, T, 3N, hd)
        maps = self.piece_map(pieces.transpose(2, 3))  # (B, T, hd, k)
        # Channel g*k + j of the conv input is map j at head-dim position g (group g).
        maps = maps.reshape(batch, n_tokens, -1)  # (B, T, hd*k)
        if n_tokens <= DENSE_MAX_TOKENS:
            return self.dense_conv(maps)
        return self.conv(maps.transpose(1, 2)).transpose(1, 2)  # (B, T, d)

    def dense_conv(self, maps: Tensor) -> Tensor:
        """``self.conv`` as one matrix product. Shape: (B, T, hd*k) -> (B, T, d)."""
        batch, n_tokens, n_in = maps.shape
        half = self.kernel_size // 2
        padded = F.pad(maps, (0, 0, half, half))  # (B, T + k - 1, hd*k)
        # Slices, not Tensor.unfold: ONNX export cannot size an unfold of a dynamic batch.
        shifted = [padded[:, tap : tap + n_tokens] for tap in range(self.kernel_size)]
        taps = torch.stack(shifted, dim=-1)  # (B, T, hd*k, k)
        weight = self.conv.weight  # (d, k, k): (out o, map j, tap)
        # dense[o, g, j, tap] = weight[o, j, tap] on o's own group g, else 0.
        dense = self.group_mask[:, :, None, None] * weight[:, None]  # (d, hd, k, k)
        flat = taps.reshape(batch * n_tokens, n_in * self.kernel_size)  # (B*T, hd*k*k)
        out = flat @ dense.reshape(len(weight), -1).t()  # (B*T, d)
        return out.view(batch, n_tokens, -1)
