"""Forecast-evaluation statistics for the stock-price benchmark.

Direction accuracy (`hit_rate`, `direction_hits`) with a `binomial_test` against
chance, the `diebold_mariano` test of equal predictive accuracy, and the returns of a
sign-following trading strategy (`sign_strategy_returns`) with its `sharpe_ratio` and
`max_drawdown`. Inputs are never modified.

Shape: ``prices``: ``(n + 1,)``; changes, losses and returns: ``(n,)``.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as _scipy_stats

__all__ = [
    "binomial_test",
    "diebold_mariano",
    "direction_hits",
    "hit_rate",
    "max_drawdown",
    "sharpe_ratio",
    "sign_strategy_returns",
]

Alternative = Literal["two-sided", "less", "greater"]
_ALTERNATIVES = ("two-sided", "less", "greater")


def _vector(values: ArrayLike, name: str, min_size: int = 1) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"'{name}' must be 1-D. Got shape {array.shape}.")
    if array.size < min_size:
        raise ValueError(f"'{name}' needs at least {min_size} value(s). Got {array.size}.")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(f"'{name}' contains NaN or inf, first at index {bad[:5].tolist()}.")
    return array


def _check_alternative(alternative: str) -> None:
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"'alternative' must be one of {_ALTERNATIVES}. Got {alternative!r}.")


def direction_hits(actual_change: ArrayLike, predicted_change: ArrayLike) -> tuple[int, int]:
    """Count correctly predicted directions.

    Pairs where either the actual or the predicted change is exactly 0 are left out:
    a flat move or a flat forecast has no direction to get right (and a strategy does
    not trade on it).

    Parameters
    ----------
    actual_change, predicted_change : array-like of shape (n,)
        Realised and forecast changes (e.g. ``y[t+h] - y[t]`` and ``yhat[t+h] - y[t]``).

    Returns
    -------
    hits : int
        Number of pairs with the same non-zero sign.
    trials : int
        Number of pairs where both changes are non-zero.
    """
    actual = _vector(actual_change, "actual_change")
    predicted = _vector(predicted_change, "predicted_change")
    if actual.shape != predicted.shape:
        raise ValueError(
            f"'actual_change' and 'predicted_change' must have the same shape. "
            f"Got {actual.shape} and {predicted.shape}."
        )
    signs = np.sign(actual) * np.sign(predicted)
    return int(np.sum(signs > 0)), int(np.sum(signs != 0))


def hit_rate(actual_change: ArrayLike, predicted_change: ArrayLike) -> float:
    """Fraction of correctly predicted directions, zeros ignored (see `direction_hits`).

    Parameters
    ----------
    actual_change, predicted_change : array-like of shape (n,)
        Realised and forecast changes.

    Returns
    -------
    float
        ``hits / trials``, between 0 and 1.
    """
    hits, trials = direction_hits(actual_change, predicted_change)
    if trials == 0:
        raise ValueError("Every pair has a zero actual or predicted change: hit rate undefined.")
    return hits / trials


def binomial_test(
    successes: int, trials: int, p: float = 0.5, alternative: Alternative = "greater"
) -> float:
    """Exact binomial test p-value (``scipy.stats.binomtest``).

    Parameters
    ----------
    successes : int
        Number of successes, ``0 <= successes <= trials``.
    trials : int
        Number of trials, ``>= 1``.
    p : float, default=0.5
        Success probability under the null hypothesis (0.5 = coin flip).
    alternative : {"greater", "two-sided", "less"}, default="greater"
        ``"greater"`` tests whether the true success rate exceeds ``p``.

    Returns
    -------
    float
        The p-value.
    """
    _check_alternative(alternative)
    if not (0 <= successes <= trials and trials >= 1):
        raise ValueError(
            f"Need 0 <= successes <= trials and trials >= 1. Got {successes=} {trials=}."
        )
    if not 0 < p < 1:
        raise ValueError(f"The 'p' parameter of binomial_test must be in (0, 1). Got {p!r}.")
    result = _scipy_stats.binomtest(int(successes), int(trials), p=p, alternative=alternative)
    return float(result.pvalue)


def _autocovariance(x: np.ndarray, lag: int) -> float:
    """``(1/n) * sum_t (x_t - mean)(x_{t-lag} - mean)``, the biased estimator DM use."""
    centered = x - x.mean()
    return float(np.dot(centered[lag:], centered[: x.size - lag]) / x.size)


def _long_run_variance(d: np.ndarray, h: int) -> float:
    gammas = [_autocovariance(d, k) for k in range(h)]
    variance = gammas[0] + 2.0 * sum(gammas[1:])
    if variance <= 0 and h > 1:
        warnings.warn(
            f"The truncated HAC variance with h-1={h - 1} lags is not positive; using "
            "Bartlett (Newey-West) weights instead, which are always non-negative.",
            RuntimeWarning,
            stacklevel=3,
        )
        variance = gammas[0] + 2.0 * sum((1 - k / h) * g for k, g in enumerate(gammas) if k)
    return variance


def diebold_mariano(
    loss_a: ArrayLike, loss_b: ArrayLike, h: int = 1, alternative: Alternative = "two-sided"
) -> tuple[float, float]:
    """Diebold-Mariano test of equal predictive accuracy, with the HLN correction.

    With ``d_t = loss_a[t] - loss_b[t]`` (``n`` values), mean ``dbar`` and
    autocovariances ``gamma_k = (1/n) sum_{t>=k} (d_t - dbar)(d_{t-k} - dbar)``:

    - ``DM = dbar / sqrt((gamma_0 + 2 sum_{k=1}^{h-1} gamma_k) / n)``: the HAC variance
      of Diebold & Mariano (1995), i.e. the truncated (uniform-weight) kernel with
      ``h - 1`` lags, since ``h``-step errors are at most MA(h-1). If it is not
      positive (possible for ``h > 1``) Bartlett weights are used, with a warning.
    - Harvey, Leybourne & Newbold (1997): ``DM* = DM * sqrt((n + 1 - 2h + h(h-1)/n) / n)``,
      compared with a Student-t distribution with ``n - 1`` degrees of freedom.

    Parameters
    ----------
    loss_a, loss_b : array-like of shape (n,)
        Per-period losses of forecasts A and B (e.g. squared or absolute errors).
    h : int, default=1
        Forecast horizon of both forecasts.
    alternative : {"two-sided", "less", "greater"}, default="two-sided"
        ``"less"``: A has lower expected loss than B (A is more accurate);
        ``"greater"``: A has higher expected loss.

    Returns
    -------
    statistic : float
        The corrected statistic ``DM*``; negative when A has the lower mean loss.
    p_value : float
    """
    _check_alternative(alternative)
    if not isinstance(h, (int, np.integer)) or isinstance(h, bool) or h < 1:
        raise ValueError(f"The 'h' parameter of diebold_mariano must be an int >= 1. Got {h!r}.")
    a = _vector(loss_a, "loss_a", min_size=2)
    b = _vector(loss_b, "loss_b", min_size=2)
    if a.shape != b.shape:
        raise ValueError(
            f"'loss_a' and 'loss_b' must have the same shape. Got {a.shape}, {b.shape}."
        )
    d = a - b
    n = d.size
    if h >= n:
        raise ValueError(f"Need more losses than the horizon: h={h}, n={n}.")
    variance = _long_run_variance(d, h)
    if variance <= 0:
        raise ValueError(
            "The loss differential loss_a - loss_b is constant (zero variance): the two "
            "forecasts are equally accurate at every step and DM is undefined."
        )
    dm = d.mean() / math.sqrt(variance / n)
    statistic = dm * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    reference = _scipy_stats.t(df=n - 1)
    if alternative == "two-sided":
        p_value = 2.0 * reference.sf(abs(statistic))
    elif alternative == "less":
        p_value = reference.cdf(statistic)
    else:
        p_value = reference.sf(statistic)
    return float(statistic), float(p_value)


def sharpe_ratio(returns: ArrayLike, periods_per_year: int = 252, risk_free: float = 0.0) -> float:
    """Annualised Sharpe ratio of per-period simple returns.

    ``sqrt(periods_per_year) * mean(r - rf) / std(r - rf, ddof=1)`` with the per-period
    risk-free rate ``rf = risk_free / periods_per_year``.

    Parameters
    ----------
    returns : array-like of shape (n,)
        Per-period simple returns (0.01 = 1 %), ``n >= 2``.
    periods_per_year : int, default=252
        252 for trading days, 52 for weeks, 12 for months.
    risk_free : float, default=0.0
        Annual risk-free rate as a fraction.

    Returns
    -------
    float
    """
    if periods_per_year <= 0:
        raise ValueError(f"'periods_per_year' must be > 0. Got {periods_per_year!r}.")
    excess = _vector(returns, "returns", min_size=2) - risk_free / periods_per_year
    std = float(np.std(excess, ddof=1))
    if std == 0:
        raise ValueError("The returns are constant (zero standard deviation): Sharpe is undefined.")
    return float(np.mean(excess) / std * math.sqrt(periods_per_year))


def sign_strategy_returns(
    prices: ArrayLike, predicted_change: ArrayLike, cost_bps: float = 5.0
) -> np.ndarray:
    """Net per-period returns of trading the sign of a predicted price change.

    At time ``t`` the strategy holds ``s_t = sign(predicted_change[t])`` units
    (long 1, short -1 or flat 0) over ``[t, t+1]``, earning
    ``s_t * (prices[t+1] / prices[t] - 1)``. Every change of position costs
    ``cost_bps / 10_000 * |s_t - s_{t-1}|`` of capital, starting flat (``s_{-1} = 0``):
    opening costs 1x, a long-short flip 2x. Buy-and-hold with the same cost model is
    ``sign_strategy_returns(prices, np.ones(len(prices) - 1))``.

    Parameters
    ----------
    prices : array-like of shape (n + 1,)
        Positive prices ``p_0 .. p_n``.
    predicted_change : array-like of shape (n,)
        ``predicted_change[t]``: the forecast of ``p_{t+1} - p_t`` made at time ``t``.
    cost_bps : float, default=5.0
        Cost per unit of position traded, in basis points (5.0 = 0.05 %).

    Returns
    -------
    numpy.ndarray of shape (n,)
        Net simple returns.
    """
    p = _vector(prices, "prices", min_size=2)
    predicted = _vector(predicted_change, "predicted_change")
    if p.size != predicted.size + 1:
        raise ValueError(
            f"'prices' must have one more value than 'predicted_change' (p_0..p_n vs n "
            f"changes). Got {p.size} prices and {predicted.size} changes."
        )
    if np.any(p <= 0):
        raise ValueError("'prices' must be positive to compute simple returns.")
    if cost_bps < 0:
        raise ValueError(f"'cost_bps' must be >= 0. Got {cost_bps!r}.")
    position = np.sign(predicted)
    traded = np.abs(np.diff(position, prepend=0.0))
    return position * (p[1:] / p[:-1] - 1.0) - cost_bps / 1e4 * traded


def max_drawdown(returns: ArrayLike) -> float:
    """Largest peak-to-trough loss of the compounded wealth ``prod(1 + r)``.

    The starting wealth 1 counts as a peak.

    Parameters
    ----------
    returns : array-like of shape (n,)
        Per-period simple returns.

    Returns
    -------
    float
        A fraction between 0 and 1 (0.25 = the wealth fell 25 % below its peak).
    """
    wealth = np.cumprod(1.0 + _vector(returns, "returns"))
    peaks = np.maximum.accumulate(np.concatenate([[1.0], wealth]))[1:]
    return float(np.max(1.0 - wealth / peaks))
