"""The time step of the series: inferred, checked, and used to lay out forecast timestamps.

Regular series have one step (pandas offset). Daily prices are the common exception:
business days with exchange holidays missing. They are accepted as the ``"B"`` calendar
with holes, and forecasts go on the following business days.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from acmix_ts.data.frames import Columns

# Share of missing business days tolerated in a trading-day series (about 9-10 exchange
# holidays a year out of ~261 weekdays is ~4 %; allow some slack for halts).
TRADING_DAY_HOLES = 0.06


def _series_freq(times: pd.DatetimeIndex) -> str | None:
    if len(times) < 3:
        return None
    with warnings.catch_warnings():  # pandas 3 announces an offset return type
        warnings.filterwarnings("ignore", message=".*infer_freq.*")
        freq = pd.infer_freq(times)
    return getattr(freq, "freqstr", freq)


def _is_trading_days(times: pd.DatetimeIndex) -> bool:
    if len(times) < 3 or (times != times.normalize()).any() or (times.dayofweek >= 5).any():
        return False
    expected = pd.bdate_range(times[0], times[-1])
    return 1 - len(times) / len(expected) <= TRADING_DAY_HOLES


def infer_freq(frame: pd.DataFrame, columns: Columns, freq: str | None, where: str) -> str:
    """The frequency of every series of ``frame``; raise when a series is irregular.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long frame grouped by series and sorted in time.
    columns : Columns
        Column roles.
    freq : str, optional
        A pandas frequency given by the user; inferred when None.
    where : str
        Name of the frame in error messages.
    """
    groups = frame.groupby(columns.id, sort=False)[columns.time]
    if freq is None:
        for _, times in groups:
            freq = _series_freq(pd.DatetimeIndex(times))
            if freq is not None:
                break
        else:
            firsts = [pd.DatetimeIndex(t) for _, t in groups]
            if all(_is_trading_days(t) for t in firsts):
                return "B"
            raise _irregular(frame, columns, None, where)
    for sid, times in groups:
        index = pd.DatetimeIndex(times)
        expected = pd.date_range(index[0], periods=len(index), freq=freq)
        if expected.equals(index) or (freq == "B" and _is_trading_days(index)):
            continue
        raise _irregular(frame, columns, (sid, index, expected, freq), where)
    return str(freq)


def _irregular(frame: pd.DataFrame, columns: Columns, detail, where: str) -> ValueError:
    hint = (
        "Resample it to a regular step (e.g. df.set_index(ds).resample('h').mean() per "
        "series, then fill the gaps), or pass freq= when pandas cannot infer it."
    )
    if detail is None:
        first = frame[columns.id].iloc[0]
        return ValueError(
            f"Could not infer a regular frequency for the series of {where} (e.g. {first!r}). "
            + hint
        )
    sid, index, expected, freq = detail
    position = int(np.argmax(index[: len(expected)] != expected[: len(index)]))
    return ValueError(
        f"Series {sid!r} of {where} is not regular at frequency {freq!r}: its timestamp "
        f"{index[position]} should be {expected[position]} (the step before it is "
        f"{index[position] - index[max(position - 1, 0)]}). " + hint
    )


def future_dates(last: pd.Timestamp, horizon: int, freq: str) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps after ``last`` at ``freq`` (next business days for "B")."""
    offset = pd.tseries.frequencies.to_offset(freq)
    return pd.date_range(last + offset, periods=horizon, freq=offset)
