"""Session calendars: intraday series with gaps (exchange hours, FX weekends), step by step.

A session calendar is a step (say 30 minutes) and the slots of a week on which the
series is observed, counted in steps from Monday 00:00 (wall-clock time). The model
reads such a series one observation after the other, as if the gaps were not there, and
its forecast is dated on the next slots of the calendar. The calendar travels as a
string (``"sessions/30min/19-31,67-79,..."``), so that it is a ``freq`` like any other:

- ``freq="sessions"`` observes the calendar in the training data (every slot on which
  any series has an observation);
- ``freq=session_calendar("30min", "09:30", "16:00")`` passes one (exchange hours).

Holidays are not in the calendar: a forecast can be dated on a closed day, and a day
missing from the history shifts the seasonal phase by its slots (as for trading days,
align backtests by step, not by date).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

OBSERVED = "sessions"  # the freq that asks for the calendar observed in the data
PREFIX = "sessions/"
WEEK = pd.Timedelta(days=7)
MAX_SEASON = 336  # the longest weekly season of slots used as the seasonal period


def is_sessions(freq: object) -> bool:
    """Whether ``freq`` is a session calendar (or asks for the observed one)."""
    return isinstance(freq, str) and (freq == OBSERVED or freq.startswith(PREFIX))


def _wall_clock(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    local = times.tz_localize(None) if times.tz is not None else times
    return local.as_unit("ns")


def _week_start(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return times.normalize() - pd.to_timedelta(times.day_of_week, unit="D")


def _offsets(times: pd.DatetimeIndex, step: pd.Timedelta, where: str) -> np.ndarray:
    """Steps from the start of its week to each of ``times`` (raise off the step grid)."""
    local = _wall_clock(times)
    since = (local - _week_start(local)).asi8
    off_grid = since % step.value != 0
    if off_grid.any():
        raise ValueError(
            f"The timestamp {local[np.argmax(off_grid)]} of {where} is not on the {step} grid "
            "of the session calendar; resample the series to that step."
        )
    return since // step.value


@dataclass(frozen=True)
class Sessions:
    """A step and the sorted slots of the week (in steps from Monday 00:00) it covers."""

    step: pd.Timedelta
    slots: np.ndarray

    @property
    def name(self) -> str:
        """The calendar as a ``freq`` string: step, then runs of consecutive slots."""
        breaks = np.flatnonzero(np.diff(self.slots) != 1)
        starts = np.concatenate([[0], breaks + 1])
        ends = np.concatenate([breaks, [len(self.slots) - 1]])
        pairs = zip(self.slots[starts], self.slots[ends], strict=True)
        runs = ",".join(f"{a}-{b}" for a, b in pairs)
        minutes = int(self.step / pd.Timedelta(minutes=1))
        return f"{PREFIX}{minutes}min/{runs}"

    @classmethod
    def parse(cls, name: str) -> Sessions:
        """The calendar of a string made by :attr:`name`."""
        _, step, runs = name.split("/")
        slots = [np.arange(int(a), int(b) + 1) for a, b in (r.split("-") for r in runs.split(","))]
        return cls(pd.Timedelta(step), np.concatenate(slots))

    @classmethod
    def observe(cls, series: Iterable[pd.DatetimeIndex], where: str) -> Sessions:
        """The calendar of the given timestamps: their most common step, their slots."""
        stamps = [_wall_clock(t) for t in series]
        gaps = np.concatenate([np.diff(t.asi8) for t in stamps])
        gaps = gaps[gaps > 0]
        if not len(gaps):
            raise ValueError(f'freq="sessions" needs series of two or more rows in {where}.')
        values, counts = np.unique(gaps, return_counts=True)
        step = pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")
        if WEEK % step != pd.Timedelta(0):
            raise ValueError(
                f'freq="sessions": the most common step of {where} is {step}, which does not '
                "divide a week; resample the series to a step that does (e.g. 5min, 1h)."
            )
        slots = np.unique(np.concatenate([_offsets(t, step, where) for t in stamps]))
        return cls(step, slots)

    def check(self, sid: object, times: pd.DatetimeIndex, where: str) -> None:
        """Raise when a timestamp of series ``sid`` falls outside the calendar's slots."""
        offsets = _offsets(times, self.step, where)
        outside = ~np.isin(offsets, self.slots)
        if outside.any():
            raise ValueError(
                f"Series {sid!r} of {where} has an observation at {times[np.argmax(outside)]}, "
                f"outside the sessions of the calendar ({self.name}). Pass "
                'freq="sessions" to use the sessions observed in the data.'
            )

    def ordinals(self, times: pd.DatetimeIndex) -> np.ndarray:
        """Slots from a fixed Monday to each timestamp, counting only calendar slots."""
        local = _wall_clock(times)
        weeks = (_week_start(local) - pd.Timestamp("1970-01-05")) // WEEK  # a Monday
        index = np.searchsorted(self.slots, _offsets(local, self.step, "the data"))
        return np.asarray(weeks, dtype=np.int64) * len(self.slots) + index

    def after(self, last: pd.Timestamp, count: int) -> pd.DatetimeIndex:
        """The ``count`` calendar slots after ``last``."""
        local = _wall_clock(pd.DatetimeIndex([last]))
        start = _week_start(local)[0]
        here = int((local[0] - start) // self.step)
        index = np.searchsorted(self.slots, here, side="right") + np.arange(count)
        weeks, slot = np.divmod(index, len(self.slots))
        times = start + weeks * WEEK + self.slots[slot] * self.step
        dates = pd.DatetimeIndex(times)
        return dates.tz_localize(last.tz) if last.tz is not None else dates

    def season(self) -> int:
        """Slots per session day when every day has as many, else per week (or 1 if long)."""
        per_week = int(WEEK / self.step)
        per_day = per_week // 7
        counts = np.bincount(self.slots // per_day, minlength=7)
        counts = counts[counts > 0]
        if (counts == counts[0]).all() and counts[0] > 1:
            return int(counts[0])
        return len(self.slots) if len(self.slots) <= MAX_SEASON else 1


def session_calendar(step: str, open: str, close: str, weekdays: Iterable[int] = range(5)) -> str:
    """A session calendar ``freq`` for exchange hours: ``step`` slots from ``open`` to ``close``.

    Parameters
    ----------
    step : str
        The bar length, a pandas timedelta string (``"5min"``, ``"30min"``, ``"1h"``).
    open, close : str
        Wall-clock time of the first bar and the end of the session (``"09:30"``,
        ``"16:00"``): bars start at ``open``, ``open + step``, ... before ``close``.
    weekdays : iterable of int, default=range(5)
        The trading days, Monday = 0.
    """
    width = pd.Timedelta(step)
    first, end = pd.Timedelta(f"{open}:00"), pd.Timedelta(f"{close}:00")
    on_grid = WEEK % width == pd.Timedelta(0) and first % width == pd.Timedelta(0)
    if width <= pd.Timedelta(0) or end <= first or not on_grid:
        raise ValueError(
            "session_calendar needs a step that divides a week and the open time, and "
            "open < close; got "
            f"step={step!r}, open={open!r}, close={close!r}."
        )
    day = [int(first // width) + k for k in range(int(np.ceil((end - first) / width)))]
    per_day = int(pd.Timedelta(days=1) / width)
    slots = np.array(sorted(d * per_day + s for d in weekdays for s in day))
    return Sessions(width, slots).name
