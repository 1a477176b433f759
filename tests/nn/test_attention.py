"""WindowAttention against a naive reference, relative-position bias, no T x T tensors
beyond short sequences, padded keys on CPU."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from acmix_ts.nn import attention as attention_module
from acmix_ts.nn.attention import WindowAttention


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


@pytest.mark.parametrize("n_tokens", [11, 38])  # one banded group; windows
def test_window_attention_gradients_match_reference(n_tokens):
    attn = WindowAttention(n_heads=2, window_size=4, shifted=True)
    q, k, v = (t.requires_grad_() for t in random_qkv(2, 2, n_tokens, 3))
    attn(q, k, v).square().sum().backward()
    got = [t.grad.clone() for t in (q, k, v, attn.relative_bias_table)]
    for t in (q, k, v):
        t.grad = None
    table = attn.relative_bias_table.detach().clone().requires_grad_()
    naive_window_attention(q, k, v, table, 4, 2).square().sum().backward()
    for a, b in zip(got, [q.grad, k.grad, v.grad, table.grad], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_full_attention_without_window_is_plain_sdpa():
    attn = WindowAttention(n_heads=2, window_size=None)
    assert attn.relative_bias_table is None
    q, k, v = random_qkv(2, 2, 9, 4)
    torch.testing.assert_close(attn(q, k, v), F.scaled_dot_product_attention(q, k, v))


@pytest.mark.parametrize("n_keys", [5, 16])
def test_group_bias_reads_the_table_by_offset(n_keys):
    attn = WindowAttention(n_heads=2, window_size=5)
    table = attn.relative_bias_table.detach()
    bias = attn.group_bias(5, n_keys, torch.float32).detach()  # one window: (N, 1, 5, K)
    assert bias.shape == (2, 1, 5, n_keys)
    for i in range(5):
        for j in range(5):
            torch.testing.assert_close(bias[:, 0, i, j], table[4 + i - j])
    assert torch.isneginf(bias[:, :, :, 5:]).all()  # padded keys are masked


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
def sdpa_shapes(monkeypatch):
    """Shapes (q, k, attn_mask) of every scaled_dot_product_attention call of the module."""
    seen = []
    real_sdpa = F.scaled_dot_product_attention

    def recording_sdpa(q, k, v, attn_mask=None, **kwargs):
        mask = None if attn_mask is None else tuple(attn_mask.shape)
        seen.append((tuple(q.shape), tuple(k.shape), mask))
        return real_sdpa(q, k, v, attn_mask=attn_mask, **kwargs)

    monkeypatch.setattr(attention_module.F, "scaled_dot_product_attention", recording_sdpa)
    return seen


@pytest.mark.parametrize("shifted", [False, True])
def test_long_windowed_attention_builds_no_sequence_by_sequence_tensor(sdpa_shapes, shifted):
    attn = WindowAttention(n_heads=2, window_size=4, shifted=shifted)
    q, k, v = random_qkv(3, 2, 37, 8)  # more than BANDED_MAX_TOKENS: windows
    attn(q, k, v)
    ((q_shape, _, mask_shape),) = sdpa_shapes
    n_windows = (37 + (2 if shifted else 0) + 3) // 4
    assert q_shape == (3, 2, n_windows, 4, 8)  # (B, N, nW, W, hd), a view of the input
    assert mask_shape == (2, n_windows, 4, 4)  # windows: keys not padded


def test_short_sequence_is_one_masked_group(sdpa_shapes):
    attn = WindowAttention(n_heads=2, window_size=4, shifted=True)
    attn(*random_qkv(3, 2, 11, 8))
    ((q_shape, k_shape, _),) = sdpa_shapes
    assert q_shape == (3, 2, 1, 11, 8)  # all 11 tokens in one group
    assert k_shape == (3, 2, 1, attention_module.MIN_KEYS, 8)  # keys padded to the CPU width


def test_no_nan_with_bf16_inputs():
    attn = WindowAttention(n_heads=2, window_size=4, shifted=True)
    q, k, v = (t.bfloat16() for t in random_qkv(2, 2, 9, 4))
    out = attn(q, k, v)
    assert out.dtype == torch.bfloat16
    assert torch.isfinite(out).all()
