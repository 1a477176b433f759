"""What ``ACMixForecaster.fit`` does, top to bottom: the data in, a :class:`FittedState` out.

Validate the frame; infer the frequency and the season; choose the validation tail and
the context candidates; scale; estimate the seasonal cycles; train and score the
candidates (:func:`~acmix_ts.estimator.search.search`); score the conformal intervals;
keep the end of every series for ``predict``.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import numpy as np
import pandas as pd

from acmix_ts.data.calendar import infer_freq
from acmix_ts.data.frames import static_table
from acmix_ts.estimator.auto import context_candidates, infer_season_length
from acmix_ts.estimator.conformal import conformity_scores
from acmix_ts.estimator.fitting import FitData, resolve_val_size
from acmix_ts.estimator.prepare import Scaler, StaticScaler, series_blocks, validated_frame
from acmix_ts.estimator.search import first_candidates, search
from acmix_ts.estimator.seasonal import SeasonalCycles, first_phases
from acmix_ts.estimator.state import FittedState


def fit_state(
    estimator: Any, df: Any, val_size: int | None, static_df: pd.DataFrame | None
) -> FittedState:
    """Train ``estimator``'s network(s) on ``df``; see ``ACMixForecaster.fit``."""
    columns = estimator._columns()
    frame = validated_frame(df, columns, "df")
    freq = infer_freq(frame, columns, estimator.freq, "df")
    season = estimator.season_length or infer_season_length(freq)
    lengths = frame.groupby(columns.id, sort=False).size()
    fixed = None if estimator.context_length == "auto" else int(estimator.context_length)
    val_size = resolve_val_size(lengths.to_numpy(), val_size, estimator.horizon, fixed)
    contexts = contexts_for(estimator, int(lengths.min()) - val_size, season)
    check_lengths(lengths, min(contexts) + estimator.horizon, val_size)
    statics = static_table(frame, columns, static_df, "df")
    blocks = series_blocks(frame, columns)
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
    best, config, data = result.best, result.best.config, result.best.data

    conformal = None
    quantiles = estimator._training_quantiles()
    if best.val_set is not None and quantiles is None:
        conformal = conformity_scores(result.network, best.val_set)
    grouped = frame.groupby(columns.id, sort=False)[columns.time]
    state = FittedState(
        columns=columns,
        freq=freq,
        network=result.network,
        network_config=config,
        quantiles=quantiles,
        context_length=config["context_length"],
        season_length=season,
        seasonal=data.cycles.season > 1,
        trend=bool(config["linear_path"]),
        n_models=result.n_models,
        candidate_scores=[
            (*astuple(f.candidate), f.module.best_val_loss if val_size else None)
            for f in result.tried
        ],
        best_val_loss=best.module.best_val_loss if val_size else None,
        conformal_scores=conformal,
        ids=pd.Index(lengths.index, name=columns.id),
        last_ds=pd.DatetimeIndex(grouped.last()),
        scaler=scaler,
        static_scaler=static_scaler,
        static=static,
        context=np.stack([b[-config["context_length"] :] for b in blocks]),
        cycles=data.cycles,
        next_phase=np.mod(phases + lengths.to_numpy(), data.cycles.season),
    )
    state.check()
    return state


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
