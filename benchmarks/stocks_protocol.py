"""The walk-forward protocol of the stock benchmark: settings, data, origins, scoring.

What every model is measured on and how (the protocol itself is described in the
docstring of ``stocks.py``): the run's :class:`Settings`, the price panel and its
forecast origins, the metrics of one series and horizon (:func:`score`) and the
look-ahead check of the global model's training windows (:func:`look_ahead`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from acmix_ts.data.prices import read_price_csv
from acmix_ts.estimator.backtest import refit_windows
from acmix_ts.metrics import mae, rmse
from acmix_ts.stats import (
    binomial_test,
    diebold_mariano,
    direction_hits,
    max_drawdown,
    sharpe_ratio,
    sign_strategy_returns,
)

YF_TICKERS = ("AAPL", "MSFT", "SPY", "QQQ", "JPM", "IWM", "GLD", "TLT", "XLE")
YAHOO_TICKERS = ("AAPL", "GOOG", "SPY", "INTC")
ALL_IDS = (*YF_TICKERS, *(f"yahoo:{t}" for t in YAHOO_TICKERS))
RW, DRIFT, ARIMA_NAME = "random walk", "drift", "ARIMA(1,1,1)+drift"
ACMIX_MODES = {"ACMix (prices)": "prices", "ACMix (returns)": "returns"}


@dataclass(frozen=True)
class Settings:
    """Everything that defines a run (stored in the JSON)."""

    tickers: tuple[str, ...] = ALL_IDS
    horizons: tuple[int, ...] = (1, 5, 20)
    n_test: int = 500
    refit_every: int = 100
    epochs: int = 8
    seeds: tuple[int, ...] = (0, 1, 2)
    context_length: int = 64
    patch_len: int = 8
    d_model: int = 32
    n_heads: int = 2
    n_blocks: int = 2
    window_size: int = 4
    batch_size: int = 256
    learning_rate: float = 1e-3
    early_stopping_patience: int = 2
    cost_bps: float = 5.0

    @property
    def max_h(self) -> int:
        return max(self.horizons)


# ---------------------------------------------------------------------------- data
def load_panel(stocks_dir: Path, ids: tuple[str, ...]) -> pd.DataFrame:
    """Long ``unique_id, ds, y`` frame: yfinance files' ``Close`` (auto-adjusted) as
    ``T``, Yahoo CSVs' ``Adj Close`` (split + dividend adjusted) as ``yahoo:T``."""
    parts = []
    for sid in ids:
        if sid.startswith("yahoo:"):
            path, field = stocks_dir / "yahoo_csv" / f"{sid[6:]}.csv", "Adj Close"
        else:
            path, field = stocks_dir / "yf_adjusted_2019_2025" / f"{sid}.csv", "Close"
        parts.append(read_price_csv(path, ticker=sid, field=field))
    return clip_to_common_ends(pd.concat(parts, ignore_index=True))


def clip_to_common_ends(panel: pd.DataFrame) -> pd.DataFrame:
    """Cut each series at the earliest end of any other series that ends inside its span.

    Cutoffs are positional (n-th last row), so series that overlap in time must end on
    the same day for the global model never to train on one series' rows dated inside
    another's forecast horizon (e.g. Yahoo AAPL ends 2018-01-19, Yahoo SPY 2017-12-29).
    """
    spans = panel.groupby("unique_id")["ds"].agg(["min", "max"])
    keep = np.ones(len(panel), dtype=bool)
    for sid, (first, last) in spans.iterrows():
        inside = spans["max"][(spans["max"] > first) & (spans["max"] < last)]
        if len(inside):
            keep &= ~((panel["unique_id"] == sid) & (panel["ds"] > inside.min())).to_numpy()
    return panel[keep].reset_index(drop=True)


def log_returns(panel: pd.DataFrame) -> pd.DataFrame:
    """``y = log(p_t / p_{t-1})`` dated at ``t``; the first row of each series is dropped."""
    r = np.log(panel["y"]).groupby(panel["unique_id"]).diff()
    return panel.assign(y=r).dropna(subset=["y"]).reset_index(drop=True)


def origin_positions(n_obs: int, n_test: int, max_h: int) -> np.ndarray:
    """The ``n_test`` last rows that still have ``max_h`` rows after them."""
    if n_obs - max_h - n_test < 2:
        raise ValueError(f"{n_obs} rows cannot hold {n_test} origins + {max_h} steps.")
    return np.arange(n_obs - max_h - n_test, n_obs - max_h)


# ---------------------------------------------------------------------- evaluation
def direction(actual_change: np.ndarray, predicted_change: np.ndarray, h: int) -> dict:
    """Hit rate on every origin; binomial p-value on every h-th (non-overlapping) one."""
    hits, trials = direction_hits(actual_change, predicted_change)
    sub_hits, sub_trials = direction_hits(actual_change[::h], predicted_change[::h])
    p = binomial_test(sub_hits, sub_trials) if sub_trials else np.nan
    return {
        "hit_rate": hits / trials if trials else np.nan,
        "hits": hits,
        "trials": trials,
        "binom_hits": sub_hits,
        "binom_trials": sub_trials,
        "p_binom": p,
    }


def dm_vs_random_walk(error: np.ndarray, rw_error: np.ndarray, h: int) -> dict:
    """Two-sided DM test on squared errors; NaN when the errors are identical."""
    if np.array_equal(error, rw_error):
        return {"dm_stat": np.nan, "p_dm": np.nan, "dm_bartlett": False}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stat, p = diebold_mariano(error**2, rw_error**2, h=h)
    return {"dm_stat": stat, "p_dm": p, "dm_bartlett": bool(caught)}


def strategy(day_prices: np.ndarray, predicted_change: np.ndarray, cost_bps: float) -> dict:
    """Sharpe and drawdown of trading the predicted sign over the next day."""
    returns = sign_strategy_returns(day_prices, predicted_change, cost_bps)
    if np.ptp(returns) == 0:  # never trades (random walk)
        return {"sharpe": np.nan, "max_drawdown": 0.0, "total_return": 0.0}
    return {
        "sharpe": sharpe_ratio(returns),
        "max_drawdown": max_drawdown(returns),
        "total_return": float(np.prod(1 + returns) - 1),
    }


def score(prices: np.ndarray, origins: np.ndarray, paths: dict, h: int, cost_bps: float) -> dict:
    """``{model: metrics}`` for one series and horizon; ``paths[RW]`` must be present."""
    base = prices[origins]
    actual = prices[origins + h]
    day_prices = prices[origins[0] : origins[-1] + 2]  # p_t and p_{t+1} of every origin
    rw_error = actual - paths[RW][:, h - 1]
    rw_mae = mae(actual, paths[RW][:, h - 1])
    out = {}
    for name, path in paths.items():
        forecast = path[:, h - 1]
        out[name] = {
            "mae": mae(actual, forecast),
            "rmse": rmse(actual, forecast),
            "mase_rw": mae(actual, forecast) / rw_mae,
            **direction(actual - base, forecast - base, h),
            **dm_vs_random_walk(actual - forecast, rw_error, h),
            **strategy(day_prices, forecast - base, cost_bps),
        }
    hold = strategy(day_prices, np.ones(len(origins)), cost_bps)
    out["buy & hold"] = {**hold, "up_share": float(np.mean(actual > base))}
    return out


def look_ahead(panel: pd.DataFrame, origins: dict, s: Settings) -> dict:
    """Per series: forecasts whose model trained on rows dated after the origin, and on
    rows dated on one of the forecast's target days (any series; 0 = no calendar leak)."""
    dates = {sid: g["ds"].to_numpy() for sid, g in panel.groupby("unique_id")}
    fits = [i for i, f in enumerate(refit_windows(s.n_test, s.refit_every)) if f]
    out = {sid: {"after_origin": 0, "on_target_days": 0} for sid in dates}
    for start, stop in zip(fits, [*fits[1:], s.n_test], strict=True):
        # cross_validation trains on rows before the first forecast row of each series
        seen = np.unique(np.concatenate([d[: origins[k][start] + 1] for k, d in dates.items()]))
        for sid, d in dates.items():
            block = origins[sid][start:stop]
            targets = d[block[:, None] + np.arange(1, s.max_h + 1)]
            out[sid]["after_origin"] += int((d[block] < seen[-1]).sum())
            out[sid]["on_target_days"] += int(np.isin(targets, seen).any(axis=1).sum())
    return out
