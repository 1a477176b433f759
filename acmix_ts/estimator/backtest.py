"""Rolling-origin backtesting (``cross_validation``) of the estimator.

Each window has a cutoff per series; the model that forecasts it was fitted on data up
to a cutoff no later than that one, and it reads only rows up to the window's cutoff.
Rows after the cutoff reach the forecast only as future covariates of the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from acmix_ts.data.calendar import future_dates
from acmix_ts.data.frames import Columns, group_series
from acmix_ts.data.frames import to_long as frame_to_long


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
    estimator,
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
    h = estimator.horizon if h is None else h
    if not isinstance(h, (int, np.integer)) or not 1 <= h <= estimator.horizon:
        raise ValueError(f"h must be an int in [1, horizon={estimator.horizon}]. Got {h!r}.")
    step_size = h if step_size is None else step_size
    for name, value in (("n_windows", n_windows), ("step_size", step_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int >= 1. Got {value!r} instead.")
    columns: Columns = estimator._columns()
    frame = group_series(frame_to_long(df, columns, "df"), columns)
    position = frame.groupby(columns.id, sort=False).cumcount().to_numpy()
    size = frame.groupby(columns.id, sort=False)[columns.id].transform("size").to_numpy()
    model = estimator
    results = []
    for i, fit_now in enumerate(refit_windows(n_windows, refit)):
        cut = size - h - (n_windows - 1 - i) * step_size  # first forecast row, per row's series
        if (cut < 1).any():
            raise ValueError(
                f"n_windows={n_windows} windows of h={h} steps {step_size} apart need longer "
                "series; use fewer windows or a smaller step_size."
            )
        history = frame.loc[position < cut]
        actual = frame.loc[(position >= cut) & (position < cut + h)]
        if fit_now:
            model = clone(estimator).fit(history, val_size=val_size, static_df=static_df)
        lasts = history.groupby(columns.id, sort=False)[columns.time].last()  # the cutoffs
        futr_df = None
        if columns.future:
            futr_df = actual.loc[:, [columns.id, columns.time, *columns.future]]
            futr_df[columns.time] = _calendar_times(lasts, h, model.freq_)
        forecast = model.predict(h=h, df=history, futr_df=futr_df, static_df=static_df, level=level)
        results.append(_attach_actuals(forecast, lasts.rename("cutoff"), actual, columns))
    out = pd.concat(results, ignore_index=True)
    first = [columns.id, columns.time, "cutoff", *columns.targets]
    return out.loc[:, first + [c for c in out.columns if c not in first]]
