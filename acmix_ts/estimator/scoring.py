"""``score``: negative MASE over the last horizon, the number model selection ranks by.

MASE per series: the forecast's MAE over the scored steps divided by the series' own
in-sample seasonal naive MAE before them (period ``season_length_``; lag 1 when the
history is shorter than two seasons), as in Hyndman & Koehler (2006); the mean over
series. ``score`` returns its negative, so that higher is better (scikit-learn's
convention).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from acmix_ts.data.frames import group_series, to_long


def seasonal_scale(past: np.ndarray, season: int) -> float:
    """In-sample MAE of the seasonal naive forecast of ``past`` (lag 1 on short series)."""
    lag = season if len(past) > 2 * season else 1
    if len(past) <= lag:
        return float("nan")
    return float(np.mean(np.abs(past[lag:] - past[:-lag])))


def mean_mase(forecast: pd.DataFrame, history: pd.DataFrame, model: Any) -> float:
    """Mean over series of MASE of ``forecast`` (target and forecast columns, by id)."""
    columns = model.state_.columns
    target = columns.targets[0]
    name = model.model_name if len(columns.targets) == 1 else f"{model.model_name}_{target}"
    pasts = {sid: g[target].to_numpy(dtype=float) for sid, g in history.groupby(columns.id)}
    values = []
    for sid, rows in forecast.groupby(columns.id, sort=False):
        scale = seasonal_scale(pasts[sid], model.season_length_)
        mae = float(np.mean(np.abs(rows[target].to_numpy(dtype=float) - rows[name].to_numpy())))
        values.append(mae / scale if scale > 0 else np.nan)
    return float(np.nanmean(values))


def before_tail(frame: pd.DataFrame, id_col: str, length: int) -> np.ndarray:
    """Rows of ``frame`` before the last ``length`` of their series (a boolean mask)."""
    position = frame.groupby(id_col, sort=False).cumcount()
    size = frame.groupby(id_col, sort=False)[id_col].transform("size")
    return (position < size - length).to_numpy()


def holdout_score(model: Any, df: Any) -> float:
    """``-MASE`` of ``predict`` from ``df`` without its last ``horizon`` steps, on them."""
    columns = model.state_.columns
    frame = group_series(to_long(df, columns, "df"), columns)
    keep = before_tail(frame, columns.id, model.horizon)
    history, future = frame.loc[keep], frame.loc[~keep]
    forecast = model.predict(df=history).drop(columns=[columns.time])
    forecast[columns.targets[0]] = future[columns.targets[0]].to_numpy()
    return -mean_mase(forecast, history, model)
