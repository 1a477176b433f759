"""What ``ACMixForecaster.fit`` does, top to bottom: the data in, a :class:`FittedState` out.

Validate the frame; infer the frequency and the season; choose the validation tail and
the context candidates; scale; estimate the seasonal cycles; train and score the
candidates (:func:`~acmix_ts.estimator.search.search`); score the conformal intervals;
keep the end of every series for ``predict``.
"""

from __future__ import annotations

import numbers
from dataclasses import astuple
from typing import Any

import numpy as np
import pandas as pd

from acmix_ts.data.calendar import infer_freq
from acmix_ts.data.frames import has_integer_time, static_table
from acmix_ts.estimator.auto import context_candidates, infer_season_length
from acmix_ts.estimator.backtest import origin_history
from acmix_ts.estimator.conformal import MAX_WINDOWS, conformity_scores
from acmix_ts.estimator.fitting import FitData, resolve_val_size
from acmix_ts.estimator.predicting import forecast_values, network_context
from acmix_ts.estimator.prepare import Scaler, StaticScaler, series_blocks, validated_frame
from acmix_ts.estimator.search import first_candidates, search
from acmix_ts.estimator.seasonal import SeasonalCycles, first_phases
from acmix_ts.estimator.state import HISTORY_COLUMNS, FittedState
from acmix_ts.estimator.transform import is_multiplicative, log_blocks


def fit_state(
    estimator: Any, df: Any, val_size: int | None, static_df: pd.DataFrame | None
) -> FittedState:
    """Train ``estimator``'s network(s) on ``df``; see ``ACMixForecaster.fit``."""
    columns = estimator._columns()
    frame = validated_frame(df, columns, "df")
    integer = has_integer_time(df, columns)
    given = estimator.freq
    if isinstance(given, numbers.Integral) and not isinstance(given, bool):
        given = f"{int(given)}D"  # an integer step: days inside (frames.integers_to_times)
    freq = infer_freq(frame, columns, given, "df")
    # An integer time axis has no calendar: no season unless one is given.
    season = estimator.season_length or (1 if integer else infer_season_length(freq))
    lengths = frame.groupby(columns.id, sort=False).size()
    fixed = None if estimator.context_length == "auto" else int(estimator.context_length)
    val_size = resolve_val_size(lengths.to_numpy(), val_size, estimator.horizon, fixed)
    contexts = contexts_for(estimator, int(lengths.min()) - val_size, season)
    check_lengths(lengths, min(contexts) + estimator.horizon, val_size)
    statics = static_table(frame, columns, static_df, "df")
    blocks = series_blocks(frame, columns)
    n_y = len(columns.targets)
    log = estimator.target_transform == "log" or (
        estimator.target_transform == "auto"
        and is_multiplicative([b[: len(b) - val_size, :n_y] for b in blocks], season)
    )
    if log:
        blocks = log_blocks(blocks, n_y, "df")
    firsts = pd.DatetimeIndex(frame.groupby(columns.id, sort=False)[columns.time].first())
    phases = first_phases(firsts, freq, season)
    train_blocks = [b[: len(b) - val_size] for b in blocks]
    scaler = Scaler.fit(train_blocks, enabled=estimator.scaler == "standard")
    static_scaler = StaticScaler.fit(statics)
    static = static_scaler.transform(statics)
    cycles: dict[bool, FitData] = {}

    def data_for(seasonal: bool) -> FitData:
        if seasonal not in cycles:
            found = SeasonalCycles.fit_targets(
                train_blocks, scaler, len(columns.targets), phases, season if seasonal else 1
            )
            cycles[seasonal] = FitData(blocks, scaler, found, phases, static, columns, season)
        return cycles[seasonal]

    train_lengths = lengths.to_numpy() - val_size
    first = first_candidates(estimator, contexts, train_lengths, val_size, season)
    result = search(estimator, first, data_for, val_size)
    best = result.best
    # One cycle for every member: the seasonal one when a member reads it.
    seasonal = any(m.seasonal for m in result.members)
    found = data_for(True).cycles if seasonal else data_for(False).cycles
    grouped = frame.groupby(columns.id, sort=False)[columns.time]
    state = FittedState(
        columns=columns,
        freq=freq,
        members=result.members,
        quantiles=estimator._training_quantiles(),
        context_length=max(m.context_length for m in result.members),
        season_length=season,
        seasonal=result.members[0].seasonal,
        trend=bool(result.members[0].config["linear_path"]),
        n_models=result.n_models,
        candidate_scores=[
            (*astuple(f.candidate), f.module.best_val_loss if val_size else None)
            for f in result.tried
        ],
        best_val_loss=best.module.best_val_loss if val_size else None,
        history=pd.DataFrame(
            [
                {"candidate": k, **row}
                for k, f in enumerate(result.tried)
                for row in f.module.history
            ],
            columns=HISTORY_COLUMNS,
        ),
        conformal_scores=None,
        ids=pd.Index(lengths.index, name=columns.id),
        last_ds=pd.DatetimeIndex(grouped.last()),
        scaler=scaler,
        static_scaler=static_scaler,
        static=static,
        context=np.stack([b[-max(m.context_length for m in result.members) :] for b in blocks]),
        cycles=found,
        next_phase=np.mod(phases + lengths.to_numpy(), found.season),
        time_axis="integer" if integer else "datetime",
        log_targets=log,
    )
    if val_size and state.quantiles is None:
        state.conformal_scores = calibration_scores(state, blocks, phases, val_size, estimator)
    state.check()
    return state


def calibration_scores(
    state: FittedState, blocks: list[np.ndarray], phases: np.ndarray, val_size: int,
    estimator: Any,
) -> np.ndarray | None:  # fmt: skip
    """Conformity scores of the fitted model for every step of the validation tails.

    Every origin whose horizon reaches a tail step is forecast as ``predict`` would
    from that point (the members' median, the cycle, the covariates of the horizon), in
    standardised units; each scores only its steps inside the tail.
    """
    horizon, length = estimator.horizon, state.context_length
    n_y = len(state.columns.targets)
    pairs = [
        (i, origin)
        for i, block in enumerate(blocks)
        for origin in range(max(len(block) - val_size - horizon + 1, length), len(block))
    ]
    if not pairs:
        return None
    if len(pairs) > MAX_WINDOWS:  # a seeded random subset
        keep = np.random.default_rng(0).choice(len(pairs), MAX_WINDOWS, replace=False)
        pairs = [pairs[k] for k in np.sort(keep)]
    rows = np.array([i for i, _ in pairs])  # the blocks are fit's series, in order
    history, future = origin_history(
        state, blocks, rows, phases, pairs, state.last_ds[rows], horizon
    )
    actual = np.stack([tail_targets(blocks[i], o, horizon, val_size, n_y) for i, o in pairs])
    forecast = forecast_values(state, history, future, horizon)[..., 0]  # (n, H, C)
    mean, std = history.scaler.mean[:, None, :n_y], history.scaler.std[:, None, :n_y]
    actual = (actual - mean) / std
    context = network_context(state, history, horizon)[0][:, :, :n_y]
    return conformity_scores(actual, (forecast - mean) / std, context)


def tail_targets(
    block: np.ndarray, origin: int, horizon: int, val_size: int, n_targets: int
) -> np.ndarray:
    """The targets of ``horizon`` steps from ``origin``, NaN outside the validation tail.

    Shape: (horizon, n_targets); the tail is the last ``val_size`` rows of ``block``.
    """
    steps = np.arange(origin, origin + horizon)
    inside = (steps >= len(block) - val_size) & (steps < len(block))
    values = np.full((horizon, n_targets), np.nan)
    values[inside] = block[steps[inside], :n_targets]
    return values


def contexts_for(estimator: Any, available: int, season: int) -> list[int]:
    """The context lengths to try on series of ``available`` training steps."""
    if estimator.context_length != "auto":
        return [int(estimator.context_length)]
    return context_candidates(available, estimator.horizon, season)


def check_lengths(lengths: pd.Series, window: int, val_size: int) -> None:
    """Every series holds one window of ``window`` steps (context + horizon) and the tail."""
    needed = window + val_size
    short = lengths[lengths < needed]
    if len(short):
        raise ValueError(
            f"Series {short.index[0]!r} has {short.iloc[0]} observations, fewer than "
            f"context_length + horizon{' + val_size' if val_size else ''} = {needed} "
            f"({len(short)} series are that short). Use a shorter context_length or "
            "horizon, a smaller val_size, or drop the short series."
        )
