"""``predict`` of :class:`~acmix_ts.ACMixForecaster`: contexts in, long frame out.

:func:`predict` reads top to bottom; the steps it calls follow it in this file.
Prediction is a plain ``torch.no_grad()`` pass on the device the network lives on, in
chunks of series; no Lightning Trainer is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from acmix_ts.data.calendar import future_dates, infer_freq
from acmix_ts.data.frames import integers_to_times, static_table
from acmix_ts.estimator.conformal import context_scale
from acmix_ts.estimator.prepare import Scaler, series_tails, validated_frame
from acmix_ts.estimator.requests import (
    check_h,
    check_levels,
    check_rollable,
    interval_columns,
)
from acmix_ts.estimator.seasonal import SeasonalCycles, first_phases
from acmix_ts.estimator.state import FittedState, Member
from acmix_ts.estimator.transform import exp_columns, log_blocks
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
    extra, widths = interval_columns(state, levels, quantiles, h)
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
    frame = add_intervals(state, frame, history, widths, model)
    return exp_columns(frame, model.model_name) if state.log_targets else frame


def rolled_forecast(state: FittedState, history: History, horizon: int, h: int) -> np.ndarray:
    """Forecast ``h`` steps by feeding each block of ``horizon`` point forecasts back.

    Returns (n, h, C, 1), the median (point) output of every block.
    """
    trained = list(state.quantiles or (0.5,))
    median = trained.index(0.5) if 0.5 in trained else 0
    blocks: list[np.ndarray] = []
    current = history
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


# ----------------------------------------------------------------------- history
def history_from(
    state: FittedState, df: Any, static_df: pd.DataFrame | None, standardise: bool
) -> History:
    """The history of ``df``'s series: their last ``context_length`` steps, scaled.

    Series seen in ``fit`` keep their scaler and cycles, and only their tail is read
    (checked for values, order and frequency); new series get their own, from every row.
    """
    columns = state.columns
    length = state.context_length
    tails = series_tails(df, columns, length, state.ids, "df")
    if (tails.sizes < length).any():
        short = int(np.argmax(tails.sizes < length))
        raise ValueError(
            f"Series {tails.ids[short]!r} of df has {tails.sizes[short]} observations; "
            f"predict needs the last context_length={length} of each series (the fitted "
            "context_length_)."
        )
    infer_freq(tails.frame, columns, state.freq, "df")
    blocks, ids = tails.blocks, tails.ids
    if state.log_targets:
        blocks = log_blocks(blocks, len(columns.targets), "df")
    known = state.ids.get_indexer(ids)
    own = Scaler.fit(blocks, enabled=standardise)  # whole series for the new ones
    mean = np.where(known[:, None] >= 0, state.scaler.mean[known], own.mean)
    std = np.where(known[:, None] >= 0, state.scaler.std[known], own.std)
    season = state.cycles.season
    phases = first_phases(tails.first, state.freq, season)
    scaler = Scaler(mean, std)
    # Cycles for series fit never saw (from their whole series); the known ones keep theirs.
    starts = phases + tails.sizes - np.array([len(b) for b in blocks])
    cycles = SeasonalCycles.fit_targets(blocks, scaler, len(columns.targets), starts, season)
    seen = known >= 0
    cycles.cycles[seen] = state.cycles.cycles[known[seen]]
    return History(
        ids=ids,
        last_ds=tails.last,
        context=np.stack([b[-length:] for b in blocks]),
        scaler=scaler,
        static=static_for(state, tails.frame, ids, known, static_df),
        cycles=cycles,
        next_phase=np.mod(phases + tails.sizes, season),
    )


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


def missing_rows(expected: pd.DataFrame, futr_df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rows of ``expected`` that ``futr_df`` lacks, matched on ``keys``."""
    given = futr_df[keys].assign(_given=True)
    merged = expected.merge(given, on=keys, how="left")
    return expected[merged["_given"].isna().to_numpy()].reset_index(drop=True)


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
