"""Rolling-origin backtesting (``cross_validation``) of the estimator.

Each window has a cutoff per series; the model that forecasts it was fitted on data up
to a cutoff no later than that one, and it reads only rows up to the window's cutoff.
Rows after the cutoff reach the forecast only as future covariates of the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from acmix_ts.data.calendar import future_dates
from acmix_ts.data.frames import Columns, group_series
from acmix_ts.data.frames import to_long as frame_to_long
from acmix_ts.estimator.predicting import History, add_intervals, forecast_values, to_frame
from acmix_ts.estimator.prepare import series_blocks
from acmix_ts.estimator.requests import check_h, check_levels, interval_columns
from acmix_ts.estimator.seasonal import SeasonalCycles, first_phases
from acmix_ts.estimator.state import FittedState
from acmix_ts.estimator.transform import exp_columns, log_blocks


def refit_windows(n_windows: int, refit: bool | int) -> list[bool]:
    """For each window, whether the model is (re)fitted before forecasting it."""
    if isinstance(refit, bool):
        every = 1 if refit else 0
    elif isinstance(refit, (int, np.integer)) and refit >= 0:
        every = int(refit)
    else:
        raise ValueError(f"refit must be a bool or an int >= 0. Got {refit!r} instead.")
    return [i == 0 or (every > 0 and i % every == 0) for i in range(n_windows)]


def _calendar_times(lasts: pd.Series, h: int, freq: str) -> np.ndarray:
    """The timestamps ``predict`` lays out after each series' last row, in series order.

    On a trading-day calendar they are weekdays, while the observed next rows skip
    exchange holidays: future covariates are matched to forecast steps by position.
    """
    return np.concatenate([future_dates(pd.Timestamp(t), h, freq).to_numpy() for t in lasts])


def _attach_actuals(
    forecast: pd.DataFrame, cutoffs: pd.Series, actual: pd.DataFrame, columns: Columns
) -> pd.DataFrame:
    """Forecast columns next to the actual rows they forecast: step k is the k-th next row.

    Matching by position rather than timestamp keeps every step aligned when the
    observed calendar has holes (trading days): ``ds`` is the observed timestamp.
    """
    observed = actual.loc[:, [columns.id, columns.time, *columns.targets]].reset_index(drop=True)
    if not (observed[columns.id].to_numpy() == forecast[columns.id].to_numpy()).all():
        raise RuntimeError("cross_validation: forecast rows are not in the order of the actuals")
    values = forecast.drop(columns=[columns.id, columns.time]).reset_index(drop=True)
    merged = pd.concat([observed, values], axis=1)
    return merged.merge(cutoffs, left_on=columns.id, right_index=True)


def cross_validation(
    estimator: Any,
    df: pd.DataFrame | pd.Series,
    n_windows: int = 1,
    step_size: int | None = None,
    refit: bool | int = False,
    h: int | None = None,
    static_df: pd.DataFrame | None = None,
    val_size: int | None = None,
    level: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Forecast ``n_windows`` consecutive windows of the end of every series.

    See :meth:`acmix_ts.ACMixForecaster.cross_validation`.
    """
    h = check_h(h, estimator.horizon)
    step_size = h if step_size is None else step_size
    for name, value in (("n_windows", n_windows), ("step_size", step_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int >= 1. Got {value!r} instead.")
    columns: Columns = estimator._columns()
    frame = group_series(frame_to_long(df, columns, "df"), columns)
    codes = pd.factorize(frame[columns.id])[0]  # grouped: 0, 0, ..., 1, 1, ...
    sizes = np.bincount(codes)
    position = np.arange(len(frame)) - (np.cumsum(sizes) - sizes)[codes]
    fits = refit_windows(n_windows, refit)
    # cuts[i, s]: the first forecast row of window i of series s.
    cuts = sizes[None, :] - h - (n_windows - 1 - np.arange(n_windows))[:, None] * step_size
    if (cuts < 1).any():
        raise ValueError(
            f"n_windows={n_windows} windows of h={h} steps {step_size} apart need longer "
            "series; use fewer windows or a smaller step_size."
        )
    if not any(fits[1:]):  # one fit: every window in one batched pass
        history = frame.loc[position < cuts[0][codes]]
        estimator.fit(history, val_size=val_size, static_df=static_df)
        out = batched_windows(estimator, frame, cuts, h, level)
    else:
        results = []
        for series_cut, fit_now in zip(cuts, fits, strict=True):
            cut = series_cut[codes]
            history = frame.loc[position < cut]
            actual = frame.loc[(position >= cut) & (position < cut + h)]
            if fit_now:
                estimator.fit(history, val_size=val_size, static_df=static_df)
            lasts = history.groupby(columns.id, sort=False)[columns.time].last()  # the cutoffs
            futr_df = None
            if columns.future:
                futr_df = actual.loc[:, [columns.id, columns.time, *columns.future]]
                futr_df[columns.time] = _calendar_times(lasts, h, estimator.freq_)
            forecast = estimator.predict(
                h=h, df=history, futr_df=futr_df, static_df=static_df, level=level
            )
            results.append(_attach_actuals(forecast, lasts.rename("cutoff"), actual, columns))
        out = pd.concat(results, ignore_index=True)
    return in_layout(out, columns)


def batched_windows(
    model: Any, frame: pd.DataFrame, cuts: np.ndarray, h: int, level: Sequence[float] | None
) -> pd.DataFrame:
    """Every window of every series forecast in one pass, from the model's fitted state.

    The same forecasts as ``predict(df=history)`` at each cutoff (the series are those
    ``fit`` saw, with their scalers and cycles); thousands of stride-1 windows take one
    forward pass instead of thousands of ``predict`` calls.
    """
    pairs = [(i, int(cut)) for window in cuts for i, cut in enumerate(window)]
    return forecast_pairs(model, frame, pairs, h, level)


def predict_insample(model: Any, df: Any, step_size: int, h: int | None) -> pd.DataFrame:
    """Forecasts of every ``step_size``-th training window of ``df``'s series (fitted values).

    Windows whose whole horizon lies in the data, the first with a full context.
    """
    h = check_h(h, model.horizon)
    if not isinstance(step_size, (int, np.integer)) or step_size < 1:
        raise ValueError(f"step_size must be an int >= 1. Got {step_size!r} instead.")
    columns = model.state_.columns
    frame = group_series(frame_to_long(df, columns, "df"), columns)
    lengths = frame.groupby(columns.id, sort=False).size().to_numpy()
    length = model.state_.context_length
    pairs = [
        (i, origin)
        for i, n in enumerate(lengths)
        for origin in range(length, int(n) - h + 1, step_size)
    ]
    if not pairs:
        raise ValueError(
            f"No series of df holds context_length_ + h = {length + h} rows: nothing to "
            "forecast in sample."
        )
    return forecast_pairs(model, frame, pairs, h, None)


def origin_history(
    state: FittedState, blocks: list[np.ndarray], rows: np.ndarray, phases: np.ndarray,
    pairs: list[tuple[int, int]], last_ds: pd.DatetimeIndex, horizon: int,
) -> tuple[History, np.ndarray | None]:  # fmt: skip
    """The history (and future covariates) of forecasting block ``i`` from origin ``o``.

    One row per ``(i, o)`` of ``pairs``: the ``context_length`` steps before row ``o``
    of ``blocks[i]``, the fitted series ``rows[k]``'s scaler, statics and cycle, the
    phase ``phases[i] + o``, and the future covariates of rows ``o .. o + horizon`` (by
    position; the last repeats where the block ends). Backtests, fitted values and the
    conformal calibration forecast many origins in one pass through it.
    """
    length, season = state.context_length, state.cycles.season
    series = np.array([i for i, _ in pairs])
    origins = np.array([o for _, o in pairs])
    history = History(
        ids=state.ids[rows],
        last_ds=last_ds,
        context=np.stack([blocks[i][o - length : o] for i, o in pairs]),
        scaler=state.scaler.take(rows),
        static=state.static[rows],
        cycles=SeasonalCycles(season, state.cycles.cycles[rows]),
        next_phase=np.mod(phases[series] + origins, season),
    )
    n_known = len(state.columns.future)
    if not n_known:
        return history, None
    parts = []
    for i, o in pairs:
        values = blocks[i][o : o + horizon, -n_known:]
        parts.append(np.concatenate([values, np.repeat(values[-1:], horizon - len(values), 0)]))
    return history, np.stack(parts)


def forecast_pairs(
    model: Any, frame: pd.DataFrame, pairs: list[tuple[int, int]], h: int,
    level: Sequence[float] | None,
) -> pd.DataFrame:  # fmt: skip
    """Forecast series ``i`` of ``frame`` from origin ``o`` (its first forecast row) for
    every ``(i, o)`` in ``pairs``, in one batched pass; the long cross-validation layout.
    """
    state = model.state_
    columns, length, horizon = state.columns, state.context_length, model.horizon
    blocks = series_blocks(frame, columns)
    if state.log_targets:
        blocks = log_blocks(blocks, len(columns.targets), "df")
    ids = pd.unique(frame[columns.id])
    known = state.ids.get_indexer(ids)
    if (known < 0).any():
        unseen = list(ids[known < 0][:3])
        raise ValueError(f"Series {unseen} were not seen by fit; batched windows need them.")
    if min(o for _, o in pairs) < length:
        raise ValueError(
            f"The first window's cutoff leaves fewer than context_length_={length} rows of "
            "history; use fewer windows or a smaller step_size."
        )
    grouped = frame.groupby(columns.id, sort=False)[columns.time]
    starts = np.concatenate([[0], np.cumsum([len(b) for b in blocks])[:-1]])
    phases = first_phases(pd.DatetimeIndex(grouped.first()), state.freq, state.cycles.season)
    series = np.array([i for i, _ in pairs])
    origins = np.array([o for _, o in pairs])
    last_ds = pd.DatetimeIndex(frame[columns.time].iloc[starts[series] + origins - 1])
    history, future = origin_history(state, blocks, known[series], phases, pairs, last_ds, horizon)
    levels = check_levels(level)
    extra, widths = interval_columns(state, levels, None, h)
    forecast = forecast_values(state, history, future, horizon)[:, :h]
    out = to_frame(state, history, forecast, extra, model.model_name)
    out = add_intervals(state, out, history, widths, model)
    if state.log_targets:  # the targets below come from frame, in the data's units
        out = exp_columns(out, model.model_name)
    actual = np.concatenate([starts[i] + o + np.arange(h) for i, o in pairs])
    observed = frame.iloc[actual].reset_index(drop=True)
    out[columns.time] = frame[columns.time].iloc[actual].reset_index(drop=True)
    out.insert(2, "cutoff", pd.Series(history.last_ds.repeat(h), index=out.index))
    for target in columns.targets:
        out[target] = observed[target].to_numpy()
    return in_layout(out, columns)


def in_layout(out: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """Columns in the backtest order: id, time, cutoff, target(s), then the forecasts."""
    first = [columns.id, columns.time, "cutoff", *columns.targets]
    return out.loc[:, first + [c for c in out.columns if c not in first]]
