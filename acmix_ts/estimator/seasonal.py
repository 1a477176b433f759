"""The seasonal cycle of each series, removed before the network and added back after.

Residual cycle forecasting (CycleNet; Lin et al., NeurIPS 2024) models a periodic
series as a cycle indexed by the phase of the season plus a residual that the backbone
forecasts. CycleNet learns one cycle per channel of one dataset by back-propagation; a
global model over many series (some never seen in training) needs a cycle per series
that can also be had for a new series. So here the cycle is estimated in closed form from
each series' own history: classical decomposition (a centred moving average of one
season removes level and trend, then the detrended values are averaged per phase and
centred; Hyndman & Athanasopoulos, FPP3 §3.4). The network then trains on the
de-seasonalised windows, and the cycle of the forecast steps' phases is added back.

The phase of a step is its position on a global calendar (months since 1970 for a monthly
series, hours for an hourly one, ...) modulo the season, so that a forecast from any
history lines up with the cycle of the training data; on a calendar this module cannot
count, the phase is counted from each series' first step.

Shape: cycles (n_series, m, C) in the estimator's standardised units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from acmix_ts.data.sessions import Sessions, is_sessions
from acmix_ts.estimator.prepare import Scaler

RECENT_SEASONS = 5  # seasons of history the cycle is estimated from (the last ones)

_MONTHS = {
    offsets.MonthBegin: 1,
    offsets.MonthEnd: 1,
    offsets.QuarterBegin: 3,
    offsets.QuarterEnd: 3,
    offsets.YearBegin: 12,
    offsets.YearEnd: 12,
}


def step_ordinals(times: pd.DatetimeIndex, freq: str) -> np.ndarray | None:
    """The number of ``freq`` steps from a fixed origin to each timestamp, or None.

    Wall-clock time is used for time-zone aware stamps, so that a daily cycle follows
    local hours. None when the calendar of ``freq`` is not one of ticks (hours, minutes,
    days, ...), months, quarters, years, weeks or business days.
    """
    if is_sessions(freq):
        return Sessions.parse(freq).ordinals(times)
    offset = to_offset(freq)
    local = times.tz_localize(None) if times.tz is not None else times
    local = local.as_unit("ns")  # pandas 3 may hold seconds or microseconds
    if isinstance(offset, offsets.Tick):
        return local.asi8 // offset.nanos
    months = next((n for kind, n in _MONTHS.items() if isinstance(offset, kind)), None)
    if months is not None:
        return (local.year.to_numpy() * 12 + local.month.to_numpy() - 1) // (months * offset.n)
    days = local.normalize().asi8 // 86_400_000_000_000
    if isinstance(offset, offsets.Day):  # not a Tick from pandas 3 on
        return days // offset.n
    if isinstance(offset, offsets.Week):
        return (days + 3) // (7 * offset.n)  # 1970-01-01 was a Thursday
    if isinstance(offset, offsets.BusinessDay):
        return np.busday_count(np.datetime64("1970-01-01"), local.to_numpy().astype("M8[D]"))
    return None


def first_phases(first_times: pd.DatetimeIndex, freq: str, season: int) -> np.ndarray:
    """Phase of the first step of each series (0 for calendars ``step_ordinals`` lacks)."""
    ordinals = step_ordinals(first_times, freq)
    if ordinals is None:
        return np.zeros(len(first_times), dtype=np.int64)
    return np.mod(ordinals, season).astype(np.int64)


def estimate_cycle(block: np.ndarray, phase0: int, season: int) -> np.ndarray:
    """Classical-decomposition cycle of a (T, C) block whose first step has ``phase0``.

    Zero when the block holds fewer than two full seasons past the moving average.

    Returns
    -------
    numpy.ndarray
        Shape (season, C), centred (zero mean over the season).
    """
    length, width = block.shape
    cycle = np.zeros((season, width))
    if season < 2 or length < 3 * season:
        return cycle
    # The most recent seasons only: amplitudes drift (and grow with the level of a
    # multiplicative series), and the forecast continues the latest cycle.
    keep = min(length, RECENT_SEASONS * season)
    phase0 = (phase0 + length - keep) % season
    block, length = block[length - keep :], keep
    # Centred moving average of one season (2 x m for an even m, as in FPP3).
    kernel = np.ones(season + 1 - season % 2)
    if season % 2 == 0:
        kernel[[0, -1]] = 0.5
    kernel /= season
    half = len(kernel) // 2
    for c in range(width):
        trend = np.convolve(block[:, c], kernel, mode="valid")  # (T - 2 half,)
        detrended = block[half : length - half, c] - trend
        phases = np.mod(phase0 + half + np.arange(len(detrended)), season)
        sums = np.bincount(phases, weights=detrended, minlength=season)
        counts = np.bincount(phases, minlength=season)
        cycle[:, c] = sums / np.maximum(counts, 1)
    return cycle - cycle.mean(axis=0, keepdims=True)


@dataclass
class SeasonalCycles:
    """One estimated cycle per series and target, and where each series' phase starts.

    Attributes
    ----------
    season : int
        Steps per season m (1 = no cycle).
    cycles : numpy.ndarray
        Shape (n_series, m, C), standardised units.
    """

    season: int
    cycles: np.ndarray

    @classmethod
    def fit(cls, blocks: list[np.ndarray], phases: np.ndarray, season: int) -> SeasonalCycles:
        """Cycles of the (T_i, C) ``blocks`` whose first steps have ``phases``."""
        width = blocks[0].shape[1] if blocks else 0
        if season < 2:
            return cls(1, np.zeros((len(blocks), 1, width)))
        cycles = [estimate_cycle(b, int(p), season) for b, p in zip(blocks, phases, strict=True)]
        return cls(season, np.stack(cycles) if cycles else np.zeros((0, season, width)))

    @classmethod
    def fit_targets(
        cls, blocks: list[np.ndarray], scaler: Scaler, n_targets: int, phases: np.ndarray,
        season: int,
    ) -> SeasonalCycles:  # fmt: skip
        """Cycles of the first ``n_targets`` columns of raw ``blocks``, in ``scaler``'s units."""
        mean, std = scaler.mean[:, :n_targets], scaler.std[:, :n_targets]
        scaled = [(b[:, :n_targets] - mean[i]) / std[i] for i, b in enumerate(blocks)]
        return cls.fit(scaled, phases, season)

    def of_series(self, row: int, phase: int, steps: int) -> np.ndarray:
        """The cycle of series ``row`` over ``steps`` steps from ``phase``: (steps, C)."""
        return self.cycles[row, np.mod(phase + np.arange(steps), self.season)]

    def values(self, phases: np.ndarray, steps: int) -> np.ndarray:
        """The cycle over ``steps`` steps starting at each series' ``phases``: (n, steps, C)."""
        index = np.mod(phases[:, None] + np.arange(steps)[None, :], self.season)  # (n, steps)
        return np.take_along_axis(self.cycles, index[:, :, None], axis=1)
