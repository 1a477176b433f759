"""``predict`` of :class:`~acmix_ts.ACMixForecaster`: contexts in, long frame out.

:func:`predict` reads top to bottom; the steps it calls follow it in this file.
Prediction is a plain ``torch.no_grad()`` pass on the device the network lives on, in
chunks of series; no Lightning Trainer is built.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from acmix_ts.data.calendar import future_dates, infer_freq
from acmix_ts.data.frames import integers_to_times, static_table
from acmix_ts.estimator.conformal import context_scale, half_width
from acmix_ts.estimator.prepare import Scaler, series_blocks, validated_frame
from acmix_ts.estimator.seasonal import SeasonalCycles, first_phases
from acmix_ts.estimator.state import FittedState, Member
from acmix_ts.nn import NetworkInputs, forecast_in_chunks

CHUNK = 1024  # series per forward pass


@dataclass
class History:
    """What a forecast starts from: one row per series."""

    ids: pd.Index
    last_ds: pd.DatetimeIndex
    context: np.ndarray  # (n, L, D) raw values of the dynamic columns
    scaler: Scaler
    static: np.ndarray  # (n, S) scaled
    cycles: SeasonalCycles  # per-series seasonal cycles of the targets, scaled units
    next_phase: np.ndarray  # (n,) phase of the season at the first forecast step

    @classmethod
    def of(cls, state: FittedState) -> History:
        """The end of the training data."""
        return cls(state.ids, state.last_ds, state.context, state.scaler, state.static,
                   state.cycles, state.next_phase)  # fmt: skip


def interval_quantiles(level: Sequence[float]) -> list[tuple[str, float]]:
    """Column suffixes and quantiles of central intervals, e.g. 80 -> lo 0.1, hi 0.9."""
    pairs = []
    for value in level:
        if not 0 < value < 100:
            raise ValueError(f"level must hold numbers in (0, 100). Got {value!r}.")
        lo = (100 - value) / 200
        pairs += [(f"-lo-{value:g}", lo), (f"-hi-{value:g}", 1 - lo)]
    return pairs


def predict(
    model: Any,
    h: int | None = None,
    df: pd.DataFrame | pd.Series | None = None,
    futr_df: pd.DataFrame | None = None,
    static_df: pd.DataFrame | None = None,
    level: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
) -> pd.DataFrame:
    """:meth:`ACMixForecaster.predict <acmix_ts.ACMixForecaster.predict>` of the fitted ``model``.

    The steps, top to bottom: check the request, find the history (the end of the
    training data or ``df``'s tail), the future covariates, one batched forward pass,
    the long frame, and the conformal intervals.
    """
    state: FittedState = model.state_
    h = check_h(h, model.horizon, rolled=True)
    levels = check_levels(level)
    if h > model.horizon:
        check_rollable(state, model.horizon, h, levels, quantiles)
    conformal = levels is not None and state.quantiles is None
    extra = extra_quantiles(state, None if conformal else levels, quantiles)
    widths = conformal_widths(state, levels, h) if conformal else []
    if df is None:
        history = History.of(state)
    else:
        history = history_from(state, df, static_df, model.scaler == "standard")
    if h > model.horizon:
        forecast = rolled_forecast(state, history, model.horizon, h)  # (n, h, C, 1)
    else:
        future = future_block(state, futr_df, history, h, model.horizon)
        forecast = forecast_values(state, history, future, model.horizon)  # (n, H, C, Q)
    frame = to_frame(state, history, forecast[:, :h], extra, model.model_name)
    return add_intervals(state, frame, history, widths, model)


# ---------------------------------------------------------------------- requests
def check_h(h: Any, horizon: int, rolled: bool = False) -> int:
    """``h`` as an int in [1, horizon] (None: the horizon); any h >= 1 when ``rolled``."""
    if h is None:
        return horizon
    expected = "an int >= 1" if rolled else f"an int in [1, horizon={horizon}]"
    if not isinstance(h, (int, np.integer)) or isinstance(h, bool) or h < 1:
        raise ValueError(f"h must be {expected}. Got {h!r} instead.")
    if not rolled and h > horizon:
        raise ValueError(
            f"h must be {expected}. Got {h!r} instead. predict(h=...) rolls the forecast "
            "further; here, fit with a larger horizon."
        )
    return int(h)


def check_rollable(state: FittedState, horizon: int, h: int, levels: Any, quantiles: Any) -> None:
    """``h > horizon`` feeds the point forecast back as history: say when it cannot."""
    columns = state.columns
    if columns.past or columns.future:
        raise ValueError(
            f"h={h} is longer than horizon={horizon}, and this model reads covariates "
            f"({list(columns.past + columns.future)}) whose values after the first "
            f"{horizon} steps it cannot know. Fit with horizon >= {h} instead."
        )
    if levels is not None or quantiles is not None:
        raise ValueError(
            f"Intervals and quantiles cover at most horizon={horizon} steps (h={h} rolls "
            "the point forecast forward, with no calibrated spread). Ask for h <= "
            f"{horizon} with level=..., or fit with horizon >= {h}."
        )


def rolled_forecast(state: FittedState, history: History, horizon: int, h: int) -> np.ndarray:
    """Forecast ``h`` steps by feeding each block of ``horizon`` point forecasts back.

    Returns (n, h, C, 1), the median (point) output of every block.
    """
    trained = list(state.quantiles or (0.5,))
    median = trained.index(0.5) if 0.5 in trained else 0
    blocks, current = [], history
    while sum(b.shape[1] for b in blocks) < h:
        point = forecast_values(state, current, None, horizon)[..., median]  # (n, H, C)
        blocks.append(point)
        last = [future_dates(pd.Timestamp(t), horizon, state.freq)[-1] for t in current.last_ds]
        current = dataclasses.replace(
            current,
            context=np.concatenate([current.context, point], axis=1)[:, -state.context_length :],
            last_ds=pd.DatetimeIndex(last),
            next_phase=np.mod(current.next_phase + horizon, current.cycles.season),
        )
    return np.concatenate(blocks, axis=1)[:, :h, :, None]


def check_levels(level: Any) -> list[float] | None:
    """``level`` as a list of floats in (0, 100), or None."""
    if level is None:
        return None
    if isinstance(level, (str, bytes)) or not isinstance(level, Sequence | np.ndarray):
        raise ValueError(
            f"level must be a list of interval levels in percent, e.g. level=[80, 95]. "
            f"Got {level!r} instead."
        )
    for value in level:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                f"level must hold numbers in (0, 100), e.g. level=[80, 95]. Got {value!r} "
                f"in {level!r}."
            )
    interval_quantiles(level)  # the range
    return [float(value) for value in level]


def extra_quantiles(
    state: FittedState, level: Sequence[float] | None, quantiles: Sequence[float] | None
) -> list[tuple[str, float]]:
    """Column suffixes and trained quantiles asked for by ``level`` and ``quantiles``."""
    wanted = interval_quantiles(level or ())
    wanted += [(f"-q-{q:g}", float(q)) for q in quantiles or ()]
    trained = state.quantiles or ()
    for _, q in wanted:
        if not any(abs(q - t) < 1e-9 for t in trained):
            raise ValueError(
                f"Quantile {q:g} was not trained (trained: {list(trained) or 'none'}). "
                "Fit with loss='quantile' and quantiles=(...) that include it, e.g. "
                "quantiles=(0.1, 0.5, 0.9) for level=[80]."
            )
    return wanted


def conformal_widths(
    state: FittedState, level: Sequence[float], h: int
) -> list[tuple[float, np.ndarray]]:
    """Half-widths (h, C) per level, in units of window scale x series std."""
    if state.conformal_scores is None:
        raise ValueError(
            "level needs interval information this model does not have: it was fitted "
            "with a point loss and no validation windows. Fit with val_size > 0 "
            "(conformal intervals) or with loss='quantile'."
        )
    return [(float(v), half_width(state.conformal_scores, v)[:h]) for v in level]


# ----------------------------------------------------------------------- history
def history_from(
    state: FittedState, df: Any, static_df: pd.DataFrame | None, standardise: bool
) -> History:
    """The history of ``df``'s series: their last ``context_length`` steps, scaled.

    Series seen in ``fit`` keep their scaler and cycles; new series get their own.
    """
    columns = state.columns
    frame = validated_frame(df, columns, "df")
    sizes = frame.groupby(columns.id, sort=False).size()
    length = state.context_length
    if (sizes < length).any():
        sid = sizes.index[np.argmax(sizes.to_numpy() < length)]
        raise ValueError(
            f"Series {sid!r} of df has {sizes[sid]} observations; predict needs the "
            f"last context_length={length} of each series (the fitted context_length_)."
        )
    infer_freq(frame, columns, state.freq, "df")
    ids = pd.Index(pd.unique(frame[columns.id]), name=columns.id)
    blocks = series_blocks(frame, columns)
    known = state.ids.get_indexer(ids)
    own = Scaler.fit(blocks, enabled=standardise)
    mean = np.where(known[:, None] >= 0, state.scaler.mean[known], own.mean)
    std = np.where(known[:, None] >= 0, state.scaler.std[known], own.std)
    season = state.cycles.season
    grouped = frame.groupby(columns.id, sort=False)[columns.time]
    phases = first_phases(pd.DatetimeIndex(grouped.first()), state.freq, season)
    scaler = Scaler(mean, std)
    # Cycles for series fit never saw; the known ones keep theirs.
    cycles = SeasonalCycles.fit_targets(blocks, scaler, len(columns.targets), phases, season)
    seen = known >= 0
    cycles.cycles[seen] = state.cycles.cycles[known[seen]]
    return History(
        ids=ids,
        last_ds=pd.DatetimeIndex(grouped.last()),
        context=np.stack([b[-length:] for b in blocks]),
        scaler=scaler,
        static=static_for(state, frame, ids, known, static_df),
        cycles=cycles,
        next_phase=np.mod(phases + sizes.to_numpy(), season),
    )


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


def static_for(
    state: FittedState, frame: pd.DataFrame, ids: pd.Index, known: np.ndarray,
    static_df: pd.DataFrame | None,
) -> np.ndarray:  # fmt: skip
    """Scaled static covariates of ``ids``: stored for known series, else from the data."""
    columns = state.columns
    if not columns.static:
        return np.zeros((len(ids), 0))
    if static_df is None and (known >= 0).all() and not set(columns.static) & set(frame):
        return state.static[known]
    table = static_table(frame, columns, static_df, "df")
    return state.static_scaler.transform(table)


def future_block(
    state: FittedState, futr_df: Any, history: History, h: int, horizon: int
) -> np.ndarray | None:
    """The future covariates of the ``h`` steps after each series' end, (n, H, Cf)."""
    columns = state.columns
    if not columns.future:
        return None
    if futr_df is None:
        raise ValueError(
            f"This model uses future covariates {list(columns.future)}: pass futr_df "
            f"with {columns.id!r}, {columns.time!r} and those columns for the {h} "
            "timestamps after each series' end."
        )
    if not isinstance(futr_df, pd.DataFrame):
        raise TypeError(
            f"futr_df must be a pandas DataFrame with {columns.id!r}, {columns.time!r} and "
            f"{list(columns.future)}. Got {type(futr_df).__name__} instead."
        )
    for column in (columns.id, columns.time, *columns.future):
        if column not in futr_df.columns:
            raise ValueError(
                f"futr_df lacks the column {column!r}; it has {list(futr_df.columns)}."
            )
    grouped = {sid: g for sid, g in futr_df.groupby(columns.id, sort=False)}
    blocks = []
    for sid, last in zip(history.ids, history.last_ds, strict=True):
        expected = future_dates(pd.Timestamp(last), h, state.freq)
        rows = grouped.get(sid)
        if rows is None:
            rows = futr_df.iloc[:0]
        times = rows[columns.time]
        if state.time_axis == "integer" and pd.api.types.is_integer_dtype(times):
            times = integers_to_times(times, columns.time, "futr_df")
        times = pd.DatetimeIndex(pd.to_datetime(times))
        if times.has_duplicates:
            raise ValueError(f"futr_df holds duplicated timestamps for series {sid!r}.")
        # Rows are matched on (id, time): their order does not matter, extra rows are ignored.
        values = rows[list(columns.future)].set_axis(times).reindex(expected)
        missing = values.index[values.isna().all(axis=1).to_numpy()]
        if len(missing):
            raise ValueError(
                f"futr_df must hold the {h} timestamps after the end of series {sid!r} "
                f"({expected[0]} .. {expected[-1]}); {len(missing)} are missing (the first: "
                f"{missing[0]}). make_future_dataframe() lists the rows it needs."
            )
        values = values.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError(f"futr_df holds NaN/inf for series {sid!r}.")
        pad = np.repeat(values[-1:], horizon - h, axis=0)
        blocks.append(np.concatenate([values, pad]))
    return np.stack(blocks)  # (n, H, Cf)


def future_frame(model: Any, h: int | None, df: Any, static_df: Any = None) -> pd.DataFrame:
    """``id_col`` and ``time_col`` of the ``h`` steps after each series' end.

    The end of the training data, or of ``df``'s series; the layout ``futr_df`` needs.
    """
    state: FittedState = model.state_
    h = check_h(h, model.horizon, rolled=True)
    if df is None:
        ids, last = state.ids, state.last_ds
    else:
        columns = state.columns
        frame = validated_frame(df, columns, "df")
        grouped = frame.groupby(columns.id, sort=False)[columns.time]
        ids, last = pd.Index(grouped.last().index, name=columns.id), grouped.last()
    dates = [future_dates(pd.Timestamp(t), h, state.freq) for t in last]
    frame = pd.DataFrame({state.columns.id: ids.repeat(h)})
    frame[state.columns.time] = pd.Series(dates[0].append(dates[1:]), index=frame.index)
    return frame


# ----------------------------------------------------------------------- forward
def network_context(
    state: FittedState, history: History, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """What the network reads: the scaled context, the targets' cycle removed.

    Returns the context (n, L, D) and the cycle of the horizon (n, H, C), both in
    standardised units.
    """
    n_y = len(state.columns.targets)
    mean, std = history.scaler.mean[:, None, :], history.scaler.std[:, None, :]
    context = (history.context - mean) / std  # (n, L, D)
    length = context.shape[1]
    cycle = history.cycles.values(history.next_phase - length, length + horizon)
    context[:, :, :n_y] -= cycle[:, :length]  # (n, L, C): the network reads the residual
    return context, cycle[:, length:]


def forecast_values(
    state: FittedState, history: History, future: np.ndarray | None, horizon: int
) -> np.ndarray:
    """Forecasts (n, H, C, Q) in the data's units: the median of the members'."""
    forecasts = [member_forecast(m, state, history, future, horizon) for m in state.members]
    return forecasts[0] if len(forecasts) == 1 else np.median(np.stack(forecasts), axis=0)


def member_view(member: Member, history: History) -> History:
    """``history`` as ``member`` reads it: its context length, the cycle or none."""
    context = history.context[:, -member.context_length :]
    if member.seasonal:
        return dataclasses.replace(history, context=context)
    n, _, width = history.cycles.cycles.shape
    none = SeasonalCycles(1, np.zeros((n, 1, width)))
    return dataclasses.replace(history, context=context, cycles=none, next_phase=np.zeros(n, int))


def member_forecast(
    member: Member, state: FittedState, history: History, future: np.ndarray | None,
    horizon: int,
) -> np.ndarray:  # fmt: skip
    """One member's forecasts (n, H, C, Q) in the data's units, quantiles sorted."""
    history = member_view(member, history)
    columns = state.columns
    n_y, n_past = len(columns.targets), len(columns.past)
    mean, std = history.scaler.mean[:, None, :], history.scaler.std[:, None, :]
    context, cycle = network_context(state, history, horizon)  # (n, L, D), (n, H, C)

    def tensor(values: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(values, dtype=torch.float32)

    known = slice(n_y + n_past, None)  # the future covariates' columns
    past = tensor(context[:, :, n_y : n_y + n_past]) if n_past else None
    fut = None
    if future is not None:
        scaled = (future - mean[:, :, known]) / std[:, :, known]
        fut = tensor(np.concatenate([context[:, :, known], scaled], 1))
    static = tensor(history.static) if history.static.shape[1] else None
    inputs = NetworkInputs(tensor(context[:, :, :n_y]), past, fut, static)
    outputs = forecast_in_chunks(member.network, inputs, CHUNK).numpy()
    forecast = outputs.astype(np.float64)  # (n, H, C, Q)
    forecast = np.sort(forecast, axis=-1)  # quantiles never cross
    forecast += cycle[:, :, :, None]  # (n, H, C, 1): the cycle of the horizon
    return forecast * std[:, :, :n_y, None] + mean[:, :, :n_y, None]


# ------------------------------------------------------------------------ output
def column_name(state: FittedState, target: str, model_name: str) -> str:
    """``ACMix`` for one target, ``ACMix_<target>`` for several."""
    return model_name if len(state.columns.targets) == 1 else f"{model_name}_{target}"


def to_frame(
    state: FittedState, history: History, forecast: np.ndarray,
    extra: list[tuple[str, float]], model_name: str,
) -> pd.DataFrame:  # fmt: skip
    """The long frame: id, time, the point forecast and the asked-for quantiles."""
    columns = state.columns
    h = forecast.shape[1]
    dates = [future_dates(pd.Timestamp(last), h, state.freq) for last in history.last_ds]
    times = dates[0].append(dates[1:]) if dates else pd.DatetimeIndex([])
    frame = pd.DataFrame({columns.id: history.ids.repeat(h)})  # keeps the ids' dtype
    frame[columns.time] = pd.Series(times, index=frame.index)
    trained = list(state.quantiles or (0.5,))
    median = trained.index(0.5) if 0.5 in trained else 0
    for c, target in enumerate(columns.targets):
        name = column_name(state, target, model_name)
        frame[name] = forecast[:, :, c, median].reshape(-1)
        for suffix, q in extra:
            index = int(np.argmin([abs(q - t) for t in trained]))
            frame[name + suffix] = forecast[:, :, c, index].reshape(-1)
    return frame


def add_intervals(
    state: FittedState, frame: pd.DataFrame, history: History,
    widths: list[tuple[float, np.ndarray]], model: Any,
) -> pd.DataFrame:  # fmt: skip
    """``-lo-`` / ``-hi-`` columns: point forecast -/+ half-width x window scale x std."""
    if not widths:
        return frame
    columns = state.columns
    n_y = len(columns.targets)
    scale = context_scale(network_context(state, history, model.horizon)[0][:, :, :n_y])
    for c, target in enumerate(columns.targets):
        name = column_name(state, target, model.model_name)
        point = frame[name].to_numpy()  # (n*h,)
        std = history.scaler.std[:, c] * scale[:, c]  # (n,)
        for value, width in widths:
            spread = (std[:, None] * width[None, :, c]).reshape(-1)  # (n * h,)
            frame[f"{name}-lo-{value:g}"] = point - spread
            frame[f"{name}-hi-{value:g}"] = point + spread
    return frame
