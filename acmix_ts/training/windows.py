"""Sliding windows over many series, built lazily by index arithmetic.

All series are stored once, concatenated along time; a window is described by its
series and start, and a batch of windows is gathered with one fancy-indexing call.
Nothing proportional to the number of windows is materialised, so 10,000 series of
1,000 steps train in the memory of the series themselves.

Shape: a batch holds ``y`` (B, L + H, C), ``past_covariates`` (B, L, Cp),
``future_covariates`` (B, L + H, Cf) and ``static`` (B, S).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler


@dataclass
class SeriesArrays:
    """The arrays of one series, time along the first axis.

    Parameters
    ----------
    y : numpy.ndarray
        Targets, shape (T, C).
    past_covariates : numpy.ndarray, optional
        Shape (T, Cp): known only up to the forecast origin.
    future_covariates : numpy.ndarray, optional
        Shape (T, Cf): known over the context and the horizon.
    static : numpy.ndarray, optional
        Shape (S,).
    """

    y: np.ndarray
    past_covariates: np.ndarray | None = None
    future_covariates: np.ndarray | None = None
    static: np.ndarray | None = None


def _concat(parts: Sequence[np.ndarray | None], n_steps: Sequence[int] | np.ndarray) -> np.ndarray:
    """Concatenate per-series (T_i, k) arrays; a missing array becomes (T_i, 0)."""
    filled = [
        np.zeros((n, 0), np.float32) if part is None else np.asarray(part, np.float32)
        for part, n in zip(parts, n_steps, strict=True)
    ]
    return np.concatenate(filled, axis=0) if filled else np.zeros((0, 0), np.float32)


class WindowDataset(Dataset):
    """Every stride-1 window of ``context_length + horizon`` steps over many series.

    Parameters
    ----------
    series : sequence of SeriesArrays
        Series of possibly different lengths; those shorter than one window add none.
    context_length : int
        Steps the network reads (L).
    horizon : int
        Steps it forecasts (H).

    Notes
    -----
    ``__getitems__`` gathers a whole batch at once; use :func:`make_loader`, which pairs it
    with a collate function that keeps the batch as it is.
    """

    def __init__(self, series: Sequence[SeriesArrays], context_length: int, horizon: int):
        self.context_length = context_length
        self.horizon = horizon
        lengths = np.array([len(s.y) for s in series], dtype=np.int64)
        self._y = _concat([s.y for s in series], lengths)
        self._past = _concat([s.past_covariates for s in series], lengths)
        self._future = _concat([s.future_covariates for s in series], lengths)
        statics = [
            np.zeros(0, np.float32) if s.static is None else np.asarray(s.static, np.float32)
            for s in series
        ]
        self._static = np.stack(statics) if statics else np.zeros((0, 0), np.float32)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        counts = np.maximum(lengths - (context_length + horizon) + 1, 0)
        self._series_start = starts
        self._count_end = np.cumsum(counts)  # windows of series 0..i together

    def __len__(self) -> int:
        return int(self._count_end[-1]) if len(self._count_end) else 0

    def locate(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Series number and first row (in the concatenated arrays) of each window."""
        index = np.asarray(index, dtype=np.int64)
        if index.size and (index.min() < 0 or index.max() >= len(self)):
            raise IndexError(f"window index out of range [0, {len(self)})")
        series = np.searchsorted(self._count_end, index, side="right")
        before = np.where(series > 0, self._count_end[np.maximum(series - 1, 0)], 0)
        return series, self._series_start[series] + (index - before)

    def __getitems__(self, indices: Sequence[int]) -> dict[str, torch.Tensor]:
        series, first = self.locate(np.asarray(indices))
        steps = np.arange(self.context_length + self.horizon)
        rows = first[:, None] + steps[None, :]  # (B, L + H)
        context_rows = rows[:, : self.context_length]  # (B, L)
        return {
            "y": torch.from_numpy(self._y[rows]),
            "past_covariates": torch.from_numpy(self._past[context_rows]),
            "future_covariates": torch.from_numpy(self._future[rows]),
            "static": torch.from_numpy(self._static[series]),
        }

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {key: value[0] for key, value in self.__getitems__([index]).items()}


def keep_batch(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Collate function for batches already gathered by ``__getitems__``."""
    return batch


def make_loader(
    dataset: WindowDataset,
    batch_size: int,
    shuffle: bool,
    num_workers: int = 0,
    pin_memory: bool = False,
    samples_per_epoch: int | None = None,
) -> DataLoader:
    """A DataLoader over ``dataset`` that gathers each batch in one vectorised call.

    Evaluation loaders (``shuffle=False``) keep every window, the last partial batch
    included (no ``drop_last``). Shuffling draws from torch's global generator, which
    the estimator seeds; a ``torch.Generator`` here could not be sent to ``ddp_spawn``
    worker processes.

    ``samples_per_epoch`` (with ``shuffle=True``) makes every epoch a fresh random
    subset of that many distinct windows instead of all of them: a fixed compute budget
    per epoch on long datasets. When it exceeds the number of windows they are drawn
    with replacement, so that an epoch is the same number of steps on small data.
    """
    sampler = None
    if samples_per_epoch is not None:
        if not shuffle or samples_per_epoch < 1:
            raise ValueError(
                f"samples_per_epoch={samples_per_epoch!r} needs shuffle=True and a value "
                ">= 1; pass samples_per_epoch=None to use every window each epoch."
            )
        # More samples than windows: draw with replacement (small data, a step budget).
        replacement = samples_per_epoch > len(dataset)
        sampler = RandomSampler(dataset, replacement=replacement, num_samples=samples_per_epoch)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        drop_last=False,
        # torch types collate_fn as taking a list of samples; with ``__getitems__`` it gets
        # the batch dict that method returns.
        collate_fn=cast(Callable[[list[Any]], Any], keep_batch),
        num_workers=num_workers,
        pin_memory=pin_memory,
        persistent_workers=num_workers > 0,
    )
