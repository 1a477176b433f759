"""Point and interval forecast metrics, and `evaluate` for long forecast frames.

Every metric takes array-likes, pools all their values (any shape, as long as the
shapes match) and returns a Python ``float``. Inputs are never modified. NaN in any
input is an error: a metric that silently skips missing values hides broken forecasts.

Shape: ``y_true``, ``y_pred``, ``lo``, ``hi``: any shape ``S`` (all equal); ``y_train``: ``(T,)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "coverage",
    "evaluate",
    "mae",
    "mape",
    "mase",
    "mse",
    "quantile_loss",
    "rmse",
    "smape",
]

# Column-name parts of interval and quantile columns (not point forecasts).
INTERVAL_MARKERS = ("-lo-", "-hi-", "_ql")
_RESERVED_COLUMNS = ("ds", "cutoff")


def _as_float_array(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise ValueError(f"'{name}' must not be empty. Got an array of shape {array.shape}.")
    n_nan = int(np.isnan(array).sum())
    if n_nan:
        first = np.argwhere(np.isnan(array))[0].tolist()
        raise ValueError(
            f"'{name}' contains {n_nan} NaN value(s), first at index {first}. "
            "Drop or fill the missing values before computing metrics."
        )
    return array


def _aligned(**arrays: ArrayLike) -> list[np.ndarray]:
    """Convert to float arrays and check that all shapes agree."""
    out = [_as_float_array(values, name) for name, values in arrays.items()]
    shapes = {name: array.shape for name, array in zip(arrays, out, strict=True)}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"Inputs must have the same shape. Got shapes {shapes}.")
    return out


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error, ``mean((y_true - y_pred) ** 2)``.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observed and forecast values of the same shape.

    Returns
    -------
    float
    """
    y, f = _aligned(y_true=y_true, y_pred=y_pred)
    return float(np.mean((y - f) ** 2))


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error, ``mean(|y_true - y_pred|)``.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observed and forecast values of the same shape.

    Returns
    -------
    float
    """
    y, f = _aligned(y_true=y_true, y_pred=y_pred)
    return float(np.mean(np.abs(y - f)))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error, ``sqrt(mse(y_true, y_pred))``.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observed and forecast values of the same shape.

    Returns
    -------
    float
    """
    return float(np.sqrt(mse(y_true, y_pred)))


def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute percentage error in percent, ``100 * mean(|y - f| / |y|)``.

    Zeros in ``y_true`` raise instead of being masked: masking would average over a
    different set of points for each series and make scores incomparable. Use
    `smape` or `mase` for series that can be zero.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observed and forecast values of the same shape.

    Returns
    -------
    float
        On a 0..inf scale (10.0 means 10 %).

    Raises
    ------
    ValueError
        If ``y_true`` contains zeros.
    """
    y, f = _aligned(y_true=y_true, y_pred=y_pred)
    n_zero = int(np.sum(y == 0))
    if n_zero:
        raise ValueError(
            f"'y_true' contains {n_zero} zero(s), for which MAPE is undefined. "
            "Use smape or mase instead."
        )
    return float(100.0 * np.mean(np.abs(y - f) / np.abs(y)))


def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric MAPE on a 0..200 scale, ``100 * mean(2 |y - f| / (|y| + |f|))``.

    A point where both ``y_true`` and ``y_pred`` are 0 is a perfect forecast and
    contributes 0.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observed and forecast values of the same shape.

    Returns
    -------
    float
        Between 0 and 200.
    """
    y, f = _aligned(y_true=y_true, y_pred=y_pred)
    denominator = np.abs(y) + np.abs(f)
    safe = np.where(denominator == 0, 1.0, denominator)
    ratio = np.where(denominator == 0, 0.0, 2.0 * np.abs(y - f) / safe)
    return float(100.0 * np.mean(ratio))


def mase(y_true: ArrayLike, y_pred: ArrayLike, y_train: ArrayLike, m: int = 1) -> float:
    """Mean absolute scaled error (Hyndman & Koehler, 2006).

    ``mae(y_true, y_pred) / mean(|y_train[m:] - y_train[:-m]|)``: the forecast's MAE
    divided by the in-sample MAE of the seasonal naive forecast with period ``m``
    (the random walk for ``m=1``). Below 1 beats the in-sample naive forecast.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observed and forecast values of the same shape.
    y_train : array-like of shape (T,)
        The training series, in time order, with ``T >= m + 1``.
    m : int, default=1
        Seasonal period of the naive forecast.

    Returns
    -------
    float
    """
    if not isinstance(m, (int, np.integer)) or isinstance(m, bool) or m < 1:
        raise ValueError(f"The 'm' parameter of mase must be an int >= 1. Got {m!r} instead.")
    train = _as_float_array(y_train, "y_train")
    if train.ndim != 1 or train.size < m + 1:
        raise ValueError(
            f"'y_train' must be 1-D with at least m + 1 = {m + 1} values to compute the "
            f"seasonal naive scale. Got shape {train.shape}."
        )
    scale = float(np.mean(np.abs(train[m:] - train[:-m])))
    if scale == 0:
        raise ValueError(
            f"The in-sample seasonal naive MAE of 'y_train' (m={m}) is 0 (the series "
            "repeats exactly), so MASE is undefined. Use mae or rmse instead."
        )
    return mae(y_true, y_pred) / scale


def quantile_loss(y_true: ArrayLike, y_pred_q: ArrayLike, q: float) -> float:
    """Pinball loss of a quantile forecast, averaged over all points.

    ``mean(max(q * (y - f), (q - 1) * (y - f)))``: under-forecasts cost ``q`` per
    unit, over-forecasts ``1 - q``. For ``q = 0.5`` it is half the MAE.

    Parameters
    ----------
    y_true : array-like
        Observed values.
    y_pred_q : array-like
        Forecast of the ``q`` quantile, same shape as ``y_true``.
    q : float
        Quantile level in (0, 1).

    Returns
    -------
    float
    """
    if not 0 < q < 1:
        raise ValueError(f"The 'q' parameter of quantile_loss must be in (0, 1). Got {q!r}.")
    y, f = _aligned(y_true=y_true, y_pred_q=y_pred_q)
    error = y - f
    return float(np.mean(np.maximum(q * error, (q - 1) * error)))


def coverage(y_true: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> float:
    """Fraction of observations inside the closed interval ``[lo, hi]``.

    Parameters
    ----------
    y_true : array-like
        Observed values.
    lo, hi : array-like
        Lower and upper interval bounds, same shape as ``y_true``, ``lo <= hi``.

    Returns
    -------
    float
        Between 0 and 1; compare with the nominal level (0.8 for an 80 % interval).
    """
    y, low, high = _aligned(y_true=y_true, lo=lo, hi=hi)
    n_crossed = int(np.sum(low > high))
    if n_crossed:
        raise ValueError(f"'lo' is above 'hi' at {n_crossed} point(s); check the bound order.")
    return float(np.mean((y >= low) & (y <= high)))


_METRICS: dict[str, Callable[..., float]] = {
    "mse": mse,
    "mae": mae,
    "rmse": rmse,
    "mape": mape,
    "smape": smape,
    "mase": mase,
}


def _point_columns(df: pd.DataFrame, id_col: str, target_col: str) -> list[str]:
    reserved = {id_col, target_col, *_RESERVED_COLUMNS}
    return [
        str(c)
        for c in df.columns
        if c not in reserved and not any(marker in str(c) for marker in INTERVAL_MARKERS)
    ]


def _resolve_metrics(
    metrics: Sequence[str | Callable[..., float]],
) -> list[tuple[str, Callable[..., float]]]:
    resolved = []
    for metric in metrics:
        if callable(metric):
            resolved.append((getattr(metric, "__name__", repr(metric)), metric))
        elif metric in _METRICS:
            resolved.append((metric, _METRICS[metric]))
        else:
            raise ValueError(
                f"Unknown metric {metric!r}. Use one of {sorted(_METRICS)} or a callable "
                "f(y_true, y_pred) -> float."
            )
    return resolved


def _check_no_nan(df: pd.DataFrame, columns: Sequence[str], id_col: str) -> None:
    for column in columns:
        missing = df[column].isna()
        if missing.any():
            ids = df.loc[missing, id_col].unique().tolist()
            raise ValueError(
                f"Column {column!r} has {int(missing.sum())} NaN value(s), in series "
                f"{ids[:5]}{' ...' if len(ids) > 5 else ''}. Drop or fill them first."
            )


def _train_series(
    train_df: pd.DataFrame | None, uid: object, id_col: str, target_col: str
) -> np.ndarray:
    if train_df is None:
        raise ValueError("The 'mase' metric needs the training data: pass train_df=...")
    values = train_df.loc[train_df[id_col] == uid, target_col].to_numpy(dtype=float)
    if values.size == 0:
        raise ValueError(f"train_df has no rows for {id_col}={uid!r}, needed by 'mase'.")
    return values


def evaluate(
    df: pd.DataFrame,
    metrics: Sequence[str | Callable[..., float]] = ("mae", "rmse"),
    models: Sequence[str] | None = None,
    id_col: str = "unique_id",
    target_col: str = "y",
    train_df: pd.DataFrame | None = None,
    m: int = 1,
) -> pd.DataFrame:
    """Score every model column of a long forecast frame, per series.

    Rows of all cutoffs of a cross-validation frame are pooled per series.

    Parameters
    ----------
    df : pandas.DataFrame
        Long frame with ``id_col``, ``target_col`` and one column per model (e.g. the
        output of ``ACMixForecaster.cross_validation``). Interval and quantile columns
        (names containing ``-lo-``, ``-hi-`` or ``_ql``), ``ds`` and ``cutoff`` are
        not models.
    metrics : sequence of str or callable, default=("mae", "rmse")
        Names among ``mse, mae, rmse, mape, smape, mase`` or callables
        ``f(y_true, y_pred) -> float``.
    models : sequence of str, optional
        Model columns to score; by default every point-forecast column.
    id_col, target_col : str
        Names of the series-id and observed-value columns.
    train_df : pandas.DataFrame, optional
        Training frame with the same ``id_col``/``target_col``; required by ``mase``.
    m : int, default=1
        Seasonal period used by ``mase``.

    Returns
    -------
    pandas.DataFrame
        Tidy frame with columns ``id_col, model, metric, value``, one row per series,
        model and metric.

    Examples
    --------
    >>> frame = pd.DataFrame({"unique_id": ["a", "a"], "y": [1.0, 3.0], "ACMix": [2.0, 3.0]})
    >>> evaluate(frame, metrics=["mae"])
      unique_id  model metric  value
    0         a  ACMix    mae    0.5
    """
    missing = [c for c in (id_col, target_col) if c not in df.columns]
    if missing:
        raise ValueError(f"df is missing column(s) {missing}; got columns {list(df.columns)}.")
    available = _point_columns(df, id_col, target_col)
    models = list(available if models is None else models)
    unknown = [c for c in models if c not in df.columns]
    if unknown or not models:
        raise ValueError(
            f"Model column(s) {unknown or models} not usable; point-forecast columns in df: "
            f"{available}. Pass models=[...] with existing column names."
        )
    scorers = _resolve_metrics(metrics)
    _check_no_nan(df, [target_col, *models], id_col)
    rows = []
    for uid, group in df.groupby(id_col, sort=True):
        y_true = group[target_col].to_numpy(dtype=float)
        for model in models:
            y_pred = group[model].to_numpy(dtype=float)
            for name, scorer in scorers:
                if scorer is mase:
                    value = mase(
                        y_true, y_pred, _train_series(train_df, uid, id_col, target_col), m
                    )
                else:
                    value = scorer(y_true, y_pred)
                rows.append({id_col: uid, "model": model, "metric": name, "value": float(value)})
    return pd.DataFrame(rows, columns=[id_col, "model", "metric", "value"])


def neg_mase_scorer(estimator: Any, df: Any, y: Any = None) -> float:
    """scikit-learn scorer (``scoring=neg_mase_scorer``): ``estimator.score(df)``.

    The negative MASE of the estimator's forecast of each series' last ``horizon``
    steps (:meth:`acmix_ts.ACMixForecaster.score`); ``y`` is ignored (the targets are
    in ``df``).
    """
    return float(estimator.score(df))
