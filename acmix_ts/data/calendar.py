"""The time step of the series: inferred, checked, and used to lay out forecast timestamps.

Regular series have one step (pandas offset). Daily prices are the common exception:
business days with exchange holidays missing. They are accepted as the ``"B"`` calendar
with holes (few, and short: see ``TRADING_DAY_HOLES`` and ``TRADING_DAY_MAX_RUN``), and
forecasts go on the following business days (Monday to Friday). No exchange calendar is
applied: a forecast date can fall on an exchange holiday (e.g. the step after
2024-12-24 is dated 2024-12-25), so the k-th forecast step is the k-th next trading day
but its date can be off by the holidays in between. Align backtests by step, not by date.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from acmix_ts.data.frames import Columns
from acmix_ts.data.sessions import OBSERVED, Sessions, is_sessions

# Share of missing business days tolerated in a trading-day series (about 9-10 exchange
# holidays a year out of ~261 weekdays is ~4 %; allow some slack for halts).
TRADING_DAY_HOLES = 0.06
# Longest run of consecutive missing weekdays in a trading-day series. The longest NYSE
# closure since 1933 is 4 weekdays (11-14 September 2001); Chinese exchanges close for
# up to about 6 weekdays around the Lunar New Year. A longer hole (a missing week or
# month) is a gap in the data, not a holiday, and the series is rejected as irregular.
TRADING_DAY_MAX_RUN = 7


def _series_freq(times: pd.DatetimeIndex) -> str | None:
    if len(times) < 3:
        return None
    with warnings.catch_warnings():  # pandas 3 announces an offset return type
        warnings.filterwarnings("ignore", message=".*infer_freq.*")
        freq = pd.infer_freq(times)
    return getattr(freq, "freqstr", freq)


def _on_weekdays(times: pd.DatetimeIndex) -> bool:
    """At least 3 midnight timestamps, none on a weekend."""
    return len(times) >= 3 and (times == times.normalize()).all() and (times.day_of_week < 5).all()


def _missing_runs(times: pd.DatetimeIndex) -> np.ndarray:
    """Weekdays missing between consecutive timestamps (weekday timestamps only)."""
    position = pd.bdate_range(times[0], times[-1]).get_indexer(times)
    return np.diff(position) - 1


def _is_trading_days(times: pd.DatetimeIndex) -> bool:
    if not _on_weekdays(times):
        return False
    runs = _missing_runs(times)
    share = runs.sum() / (len(times) + runs.sum())
    return share <= TRADING_DAY_HOLES and runs.max() <= TRADING_DAY_MAX_RUN


def _gap_error(sid: object, times: pd.DatetimeIndex, where: str) -> ValueError | None:
    """An error naming the longest hole of a weekday series with too long a hole."""
    if not _on_weekdays(times):
        return None
    runs = _missing_runs(times)
    worst = int(np.argmax(runs))
    if runs[worst] <= TRADING_DAY_MAX_RUN:
        return None
    return ValueError(
        f"Series {sid!r} of {where} looks like trading days (weekdays with holidays "
        f"missing), but {runs[worst]} weekdays in a row are missing between "
        f"{times[worst].date()} and {times[worst + 1].date()}; at most "
        f"{TRADING_DAY_MAX_RUN} may be (exchange closures). Drop the data before the gap, "
        "or fill the gap and pass a regular series."
    )


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
    if is_sessions(freq):
        times = {sid: pd.DatetimeIndex(t) for sid, t in groups}
        if freq == OBSERVED:
            calendar = Sessions.observe(times.values(), where)
        else:
            calendar = Sessions.parse(str(freq))
        for sid, index in times.items():
            calendar.check(sid, index, where)
        return calendar.name
    if freq is None:
        for _, times in groups:
            freq = _series_freq(pd.DatetimeIndex(times))
            if freq is not None:
                break
        else:
            series = {sid: pd.DatetimeIndex(t) for sid, t in groups}
            if all(_is_trading_days(t) for t in series.values()):
                return "B"
            gaps = (_gap_error(sid, t, where) for sid, t in series.items())
            raise next((e for e in gaps if e is not None), _irregular(frame, columns, None, where))
    for sid, times in groups:
        index = pd.DatetimeIndex(times)
        expected = pd.date_range(index[0], periods=len(index), freq=freq)
        if expected.equals(index) or (freq == "B" and _is_trading_days(index)):
            continue
        gap = _gap_error(sid, index, where) if freq == "B" else None
        raise gap or _irregular(frame, columns, (sid, index, expected, freq), where)
    return str(freq)


def _irregular(
    frame: pd.DataFrame,
    columns: Columns,
    detail: tuple[object, pd.DatetimeIndex, pd.DatetimeIndex, object] | None,
    where: str,
) -> ValueError:
    hint = (
        "Resample it to a regular step (e.g. df.set_index(ds).resample('h').mean() per "
        "series, then fill the gaps), or pass freq= when pandas cannot infer it. Intraday "
        'data with session gaps (nights, weekends): pass freq="sessions" to forecast the '
        "next observations, dated on the sessions seen in the data."
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
    """The ``horizon`` timestamps after ``last`` at ``freq`` (next business days for "B",
    the next slots of a session calendar)."""
    if is_sessions(freq):
        return Sessions.parse(freq).after(last, horizon)
    offset = pd.tseries.frequencies.to_offset(freq)
    return pd.date_range(last + offset, periods=horizon, freq=offset)
