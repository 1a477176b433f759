"""WindowAttention against a naive reference, relative-position bias, no T x T tensors,
the CPU kernel against scaled_dot_product_attention."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from acmix_ts.nn import attention as attention_module
from acmix_ts.nn.attention import WindowAttention, key_major_attention


def naive_window_attention(q, k, v, table, window, shift):
    """softmax(q k^T / sqrt(hd) + bias + mask) v with explicit loops over (i, j).

    Token t lies in window (t + shift) // window; pairs in different windows are masked,
    pairs in the same window get table[window - 1 + i - j, head].
    """
    _, n_heads, n_tokens, head_dim = q.shape
    scores = torch.einsum("bnid,bnjd->bnij", q, k) / math.sqrt(head_dim)
    bias = torch.full((n_heads, n_tokens, n_tokens), float("-inf"), dtype=q.dtype)
    for i in range(n_tokens):
        for j in range(n_tokens):
            if (i + shift) // window == (j + shift) // window:
                bias[:, i, j] = table[window - 1 + i - j, :]
    weights = torch.softmax(scores + bias, dim=-1)
    return torch.einsum("bnij,bnjd->bnid", weights, v)


def random_qkv(batch, n_heads, n_tokens, head_dim, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, n_heads, n_tokens, head_dim, generator=g) for _ in range(3)]


@pytest.mark.parametrize("shifted", [False, True])
@pytest.mark.parametrize(
    ("n_tokens", "window"),
    [(1, 4), (3, 4), (4, 4), (7, 4), (13, 4), (16, 4), (17, 5), (23, 6), (37, 4), (45, 8), (70, 6)],
)
def test_window_attention_matches_naive_block_diagonal_reference(n_tokens, window, shifted):
    torch.manual_seed(0)
    attn = WindowAttention(n_heads=3, window_size=window, shifted=shifted)
    with torch.no_grad():
        attn.relative_bias_table.normal_()  # a visible bias, not the 0.02 init
    q, k, v = random_qkv(2, 3, n_tokens, 5)
    # The reference layout is written independently: with W >= T every token is in
    # window 0 (full attention with the bias); else windows of W, the grid moved by
    # W // 2 when shifted.
    ref_shift = window // 2 if shifted and window < n_tokens else 0
    table = attn.relative_bias_table.detach()
    expected = naive_window_attention(q, k, v, table, window, ref_shift)
    torch.testing.assert_close(attn(q, k, v), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("n_tokens", [3, 11, 38])  # one window (no shift); windows
def test_window_attention_gradients_match_reference(n_tokens):
    attn = WindowAttention(n_heads=2, window_size=4, shifted=True)
    q, k, v = (t.requires_grad_() for t in random_qkv(2, 2, n_tokens, 3))
    attn(q, k, v).square().sum().backward()
    got = [t.grad.clone() for t in (q, k, v, attn.relative_bias_table)]
    for t in (q, k, v):
        t.grad = None
    table = attn.relative_bias_table.detach().clone().requires_grad_()
    shift = 2 if n_tokens > 4 else 0  # one window covers 3 tokens: no shift
    naive_window_attention(q, k, v, table, 4, shift).square().sum().backward()
    for a, b in zip(got, [q.grad, k.grad, v.grad, table.grad], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_full_attention_without_window_is_plain_sdpa():
    attn = WindowAttention(n_heads=2, window_size=None)
    assert attn.relative_bias_table is None
    q, k, v = random_qkv(2, 2, 9, 4)
    torch.testing.assert_close(attn(q, k, v), F.scaled_dot_product_attention(q, k, v))


def test_window_bias_reads_the_table_by_offset():
    attn = WindowAttention(n_heads=2, window_size=5)
    table = attn.relative_bias_table.detach()
    bias = attn.window_bias(5, torch.float32).detach()  # one window: (N, 1, 5, 5)
    assert bias.shape == (2, 1, 5, 5)
    for i in range(5):
        for j in range(5):
            torch.testing.assert_close(bias[:, 0, i, j], table[4 + i - j])


def test_window_bias_masks_the_padded_keys_of_shifted_windows():
    attn = WindowAttention(n_heads=2, window_size=4, shifted=True)
    bias = attn.window_bias(7, torch.float32).detach()  # 2 padded in front, 3 at the back
    assert bias.shape == (2, 3, 4, 4)  # (N, nW, W, W)
    real_key = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1], [1, 0, 0, 0]], dtype=torch.bool)
    for w in range(3):
        assert torch.isneginf(bias[:, w][:, :, ~real_key[w]]).all()
        assert torch.isfinite(bias[:, w][:, :, real_key[w]]).all()


@pytest.mark.parametrize(("n_tokens", "shifted"), [(20, True), (50, True), (64, False)])
def test_float64_matches_reference_to_rounding(n_tokens, shifted):
    # Padded keys and groups change no weight: in float64 the layouts agree to 1e-12.
    attn = WindowAttention(n_heads=3, window_size=8, shifted=shifted).double()
    with torch.no_grad():
        attn.relative_bias_table.normal_()
    q, k, v = (t.double() for t in random_qkv(2, 3, n_tokens, 4))
    table = attn.relative_bias_table.detach()
    expected = naive_window_attention(q, k, v, table, 8, 4 if shifted else 0)
    torch.testing.assert_close(attn(q, k, v), expected, atol=1e-12, rtol=1e-12)


def attention_rows(n_tokens, window, table):
    """Attention weights of every query: q = k = 0 leaves only the bias; v = identity."""
    attn = WindowAttention(n_heads=1, window_size=window)
    with torch.no_grad():
        attn.relative_bias_table.copy_(table)
    q = torch.zeros(1, 1, n_tokens, n_tokens)
    v = torch.eye(n_tokens).view(1, 1, n_tokens, n_tokens)
    return attn(q, q, v)[0, 0]  # (T, T): row i = weights of query i


def test_same_offset_same_bias_at_any_length():
    # A query at position p of a full window has the same weights on its window at
    # sequence lengths 16 and 28, in every full window (translation equivariance).
    window = 4
    table = torch.randn(2 * window - 1, 1)
    reference = attention_rows(16, window, table)[1, 0:4]
    for n_tokens in (16, 28):
        rows = attention_rows(n_tokens, window, table)
        for start in range(0, n_tokens - window + 1, window):
            torch.testing.assert_close(rows[start + 1, start : start + window], reference)
            assert rows[start + 1].sum().item() == pytest.approx(1.0)


@pytest.fixture
def kernel_shapes(monkeypatch):
    """Shapes (q, k, bias) of every key_major_attention call of the module."""
    seen = []
    real_kernel = attention_module.key_major_attention

    def recording_kernel(q, k, v, bias):
        seen.append((tuple(q.shape), tuple(k.shape), tuple(bias.shape)))
        return real_kernel(q, k, v, bias)

    monkeypatch.setattr(attention_module, "key_major_attention", recording_kernel)
    return seen


@pytest.mark.parametrize("n_tokens", [11, 37])
@pytest.mark.parametrize("shifted", [False, True])
def test_windowed_attention_builds_no_sequence_by_sequence_tensor(kernel_shapes, n_tokens, shifted):
    attn = WindowAttention(n_heads=2, window_size=4, shifted=shifted)
    q, k, v = random_qkv(3, 2, n_tokens, 8)
    attn(q, k, v)
    ((q_shape, k_shape, bias_shape),) = kernel_shapes
    n_windows = (n_tokens + (2 if shifted else 0) + 3) // 4
    assert q_shape == k_shape == (3, 2, n_windows, 4, 8)  # (B, N, nW, W, hd)
    assert bias_shape == (2, n_windows, 4, 4)  # scores of one window at a time


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_key_major_kernel_equals_sdpa_with_the_mask(dtype):
    # The CPU kernel and the CUDA one (scaled_dot_product_attention) compute the same
    # attention, padded keys included, forward and backward.
    attn = WindowAttention(n_heads=3, window_size=6, shifted=True).to(dtype)
    with torch.no_grad():
        attn.relative_bias_table.normal_()
    q, k, v = (t.to(dtype).view(2, 3, 4, 6, 5).requires_grad_() for t in random_qkv(2, 3, 24, 5))
    bias = attn.window_bias(21, dtype)  # 21 tokens: 3 padded in front, 0 at the back
    got = key_major_attention(q, k, v, bias)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    torch.testing.assert_close(got, expected)
    leaves = (q, k, v, attn.relative_bias_table)
    grads = torch.autograd.grad(got.square().sum(), leaves, retain_graph=True)
    ref_grads = torch.autograd.grad(expected.square().sum(), leaves)
    for a, b in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b)


def test_no_nan_with_bf16_inputs():
    attn = WindowAttention(n_heads=2, window_size=4, shifted=True)
    q, k, v = (t.bfloat16() for t in random_qkv(2, 2, 9, 4))
    out = attn(q, k, v)
    assert out.dtype == torch.bfloat16
    assert torch.isfinite(out).all()
