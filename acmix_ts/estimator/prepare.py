"""From validated long frames to scaled per-series arrays, and back.

Each series is standardised per column with statistics of its training part only
(``Scaler``); static features are standardised across series. The same statistics
scale the context at prediction time and unscale the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from acmix_ts.data.frames import Columns, check_order, check_values, group_series, to_long
from acmix_ts.training.windows import SeriesArrays


@dataclass
class Scaler:
    """Per-series, per-column standardisation, shape (n_series, D) for D dynamic columns."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, blocks: list[np.ndarray], enabled: bool = True) -> Scaler:
        """Statistics of each (T_i, D) block; identity when ``enabled`` is False."""
        width = blocks[0].shape[1] if blocks else 0
        if not enabled:
            ones = np.ones((len(blocks), width))
            return cls(np.zeros_like(ones), ones)
        with np.errstate(over="ignore", invalid="ignore"):
            mean = np.stack([b.mean(axis=0) for b in blocks])
            std = np.stack([b.std(axis=0) for b in blocks])
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            raise ValueError(
                "The series' values are too large to standardise in float64 (their mean "
                "or spread overflows). Divide them by a constant (e.g. 1e200) before fit "
                "and multiply the forecast back."
            )
        # Relative, so that a series around 1e-12 keeps its own scale; a constant
        # series is scaled by its level (or 1 at zero).
        flat = std <= 1e-8 * np.abs(mean)
        level = np.where(np.abs(mean) > 0, np.abs(mean), 1.0)
        return cls(mean, np.where(flat | (std == 0), level, std))

    def take(self, rows: np.ndarray) -> Scaler:
        """The statistics of the series at ``rows``."""
        return Scaler(self.mean[rows], self.std[rows])


def validated_frame(df: object, columns: Columns, where: str) -> pd.DataFrame:
    """``df`` as a long frame grouped by series, its values and time order checked."""
    frame = group_series(to_long(df, columns, where), columns)
    check_values(frame, columns, columns.dynamic, where)
    check_order(frame, columns, where)
    return frame


@dataclass
class Tails:
    """The last rows of each series of a long frame, and what the whole series tells.

    ``frame`` holds the kept rows, grouped by series in first-seen order and checked;
    ``blocks`` their dynamic columns per series; ``sizes`` and ``first`` the length and
    first timestamp of each whole series.
    """

    frame: pd.DataFrame
    ids: pd.Index
    blocks: list[np.ndarray]
    sizes: np.ndarray
    first: pd.DatetimeIndex
    last: pd.DatetimeIndex


def series_tails(df: object, columns: Columns, length: int, known: pd.Index, where: str) -> Tails:
    """The last ``length`` rows of the series in ``known``, and every row of the others.

    One factorization of the id column; only the kept rows are checked for values and
    time order (the rows before a known series' tail are counted, not read).
    """
    frame = to_long(df, columns, where)
    codes, uniques = pd.factorize(frame[columns.id])
    if (np.diff(codes) < 0).any():  # interleaved series: gather them, keeping row order
        order = np.argsort(codes, kind="stable")
        frame, codes = frame.iloc[order], codes[order]
    ids = pd.Index(uniques, name=columns.id)
    sizes = np.bincount(codes, minlength=len(ids))
    take = np.where(known.get_indexer(ids) >= 0, np.minimum(sizes, length), sizes)
    ends, starts = np.cumsum(sizes), np.cumsum(take) - take
    rows = np.repeat(ends - take - starts, take) + np.arange(int(take.sum()))
    times = frame[columns.time].to_numpy()
    kept = frame.iloc[rows].reset_index(drop=True)
    check_values(kept, columns, columns.dynamic, where)
    check_order(kept, columns, where)
    values = kept.loc[:, list(columns.dynamic)].to_numpy(dtype=np.float64)
    return Tails(
        frame=kept,
        ids=ids,
        blocks=np.split(values, np.cumsum(take)[:-1]),
        sizes=sizes,
        first=pd.DatetimeIndex(times[ends - sizes]),
        last=pd.DatetimeIndex(times[ends - 1]),
    )


def series_blocks(frame: pd.DataFrame, columns: Columns) -> list[np.ndarray]:
    """The dynamic columns of each series as a float64 (T_i, D) array, in frame order."""
    values = frame.loc[:, list(columns.dynamic)].to_numpy(dtype=np.float64)
    codes, _ = pd.factorize(frame[columns.id])
    bounds = np.flatnonzero(np.diff(codes)) + 1
    return np.split(values, bounds)


def to_series_arrays(
    blocks: list[np.ndarray],
    scaler: Scaler,
    static: np.ndarray,
    columns: Columns,
    cycles: list[np.ndarray] | None = None,
) -> list[SeriesArrays]:
    """Scaled :class:`SeriesArrays` of each block (targets, past, future, static).

    ``cycles`` holds, per block, the (T_i, C) seasonal cycle of its targets in scaled
    units (:mod:`acmix_ts.estimator.seasonal`), subtracted from them.
    """
    n_y, n_past = len(columns.targets), len(columns.past)
    result = []
    for i, block in enumerate(blocks):
        scaled = (block - scaler.mean[i]) / scaler.std[i]
        if cycles is not None:
            scaled[:, :n_y] -= cycles[i]
        scaled = scaled.astype(np.float32)
        result.append(
            SeriesArrays(
                y=scaled[:, :n_y],
                past_covariates=scaled[:, n_y : n_y + n_past] if n_past else None,
                future_covariates=scaled[:, n_y + n_past :] if columns.future else None,
                static=static[i].astype(np.float32) if static.shape[1] else None,
            )
        )
    return result


@dataclass
class StaticScaler:
    """Standardisation of static features across series."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, table: pd.DataFrame) -> StaticScaler:
        values = table.to_numpy(dtype=np.float64)
        if values.shape[1] == 0:
            return cls(np.zeros(0), np.ones(0))
        std = values.std(axis=0)
        return cls(values.mean(axis=0), np.where(std > 0, std, 1.0))

    def transform(self, table: pd.DataFrame) -> np.ndarray:
        return (table.to_numpy(dtype=np.float64) - self.mean) / self.std


def train_val_blocks(
    blocks: list[np.ndarray], val_size: int, context_length: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Split every series into a training part and a validation tail of ``val_size`` steps.

    The validation part starts ``context_length`` steps before its first target, so its
    windows read history the model trained on but forecast only unseen steps.
    """
    if val_size == 0:
        return blocks, []
    train = [b[: len(b) - val_size] for b in blocks]
    val = [b[len(b) - val_size - context_length :] for b in blocks]
    return train, val
