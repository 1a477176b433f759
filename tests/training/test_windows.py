"""Window datasets: exact windows on np.arange data, lazy indexing, loaders keep every window."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from acmix_ts.training import SeriesArrays, WindowDataset, make_loader


def _arange_series(lengths, channels=1):
    out, start = [], 0
    for n in lengths:
        y = np.arange(start, start + n * channels, dtype=np.float32).reshape(n, channels)
        out.append(SeriesArrays(y=y))
        start += 1000
    return out


def test_exact_windows_over_series_of_different_lengths() -> None:
    data = WindowDataset(_arange_series([10, 4, 7]), context_length=3, horizon=2)
    assert len(data) == (10 - 5 + 1) + 0 + (7 - 5 + 1)  # the 4-step series is too short
    batch = data.__getitems__(list(range(len(data))))
    y = batch["y"][..., 0].numpy()
    np.testing.assert_array_equal(y[0], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(y[5], [5, 6, 7, 8, 9])
    np.testing.assert_array_equal(y[6], [2000, 2001, 2002, 2003, 2004])
    np.testing.assert_array_equal(y[-1], [2002, 2003, 2004, 2005, 2006])
    single = data[6]
    np.testing.assert_array_equal(single["y"][:, 0].numpy(), y[6])


def test_covariates_and_static_follow_their_series() -> None:
    series = [
        SeriesArrays(
            y=np.arange(8, dtype=np.float32)[:, None] + 100 * i,
            past_covariates=np.full((8, 2), i, np.float32),
            future_covariates=np.arange(8, dtype=np.float32)[:, None] * -1,
            static=np.array([i, 10 * i], np.float32),
        )
        for i in range(2)
    ]
    data = WindowDataset(series, context_length=4, horizon=2)
    batch = data.__getitems__([0, len(data) - 1])
    assert batch["past_covariates"].shape == (2, 4, 2)
    assert batch["future_covariates"].shape == (2, 6, 1)
    np.testing.assert_array_equal(batch["static"].numpy(), [[0, 0], [1, 10]])
    np.testing.assert_array_equal(batch["future_covariates"][1, :, 0].numpy(), -np.arange(2, 8))


def test_index_out_of_range() -> None:
    data = WindowDataset(_arange_series([6]), context_length=3, horizon=2)
    with pytest.raises(IndexError):
        data.__getitems__([2])


def test_many_series_stay_in_bounded_memory() -> None:
    n_series, n_steps = 10_000, 1_000
    series = [SeriesArrays(y=np.zeros((n_steps, 1), np.float32)) for _ in range(n_series)]
    data = WindowDataset(series, context_length=96, horizon=24)
    assert len(data) == n_series * (n_steps - 120 + 1)  # ~8.8 million windows
    stored = sum(v.nbytes for v in vars(data).values() if isinstance(v, np.ndarray))
    assert stored < 1.2 * n_series * n_steps * 4  # the series themselves plus O(n_series)
    batch = data.__getitems__(np.random.default_rng(0).integers(0, len(data), 256))
    assert batch["y"].shape == (256, 120, 1)


def test_loader_keeps_the_last_partial_batch() -> None:
    data = WindowDataset(_arange_series([30]), context_length=4, horizon=2)
    loader = make_loader(data, batch_size=10, shuffle=False)
    sizes = [len(b["y"]) for b in loader]
    assert sizes == [10, 10, 5] and sum(sizes) == len(data) == 25
    first = next(iter(loader))["y"]
    assert isinstance(first, torch.Tensor) and first.dtype == torch.float32


def test_samples_per_epoch_draws_a_fresh_subset_of_distinct_windows() -> None:
    data = WindowDataset(_arange_series([60]), context_length=4, horizon=2)  # 55 windows
    torch.manual_seed(0)
    loader = make_loader(data, batch_size=8, shuffle=True, samples_per_epoch=20)
    epochs = [torch.cat([b["y"][:, 0, 0] for b in loader]) for _ in range(2)]
    for starts in epochs:
        assert len(starts) == 20 and len(set(starts.tolist())) == 20  # no window twice
    assert set(epochs[0].tolist()) != set(epochs[1].tolist())  # a new subset each epoch
    more = make_loader(data, batch_size=8, shuffle=True, samples_per_epoch=1000)
    starts = torch.cat([b["y"][:, 0, 0] for b in more])
    assert len(starts) == 1000  # more than the 55 windows: drawn with replacement
    assert set(starts.tolist()) <= set(range(55))


@pytest.mark.parametrize("shuffle, samples", [(False, 10), (True, 0)])
def test_samples_per_epoch_rejects_what_it_cannot_honour(shuffle: bool, samples: int) -> None:
    data = WindowDataset(_arange_series([30]), context_length=4, horizon=2)
    with pytest.raises(ValueError, match="samples_per_epoch"):
        make_loader(data, batch_size=8, shuffle=shuffle, samples_per_epoch=samples)
