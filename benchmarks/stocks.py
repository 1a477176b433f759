"""Daily stock prices, walk-forward: ACMix against the random walk, drift and ARIMA.

Protocol (BENCHMARKS.md section 3). Every series gets the same ``n_test`` forecast
origins, the last ``n_test`` trading days that still have ``max(horizons)`` days of
data after them; every model forecasts 1 .. max(horizons) trading days from each origin
using only the prices up to that origin, and step ``h`` of the path is scored against
the price ``h`` rows (trading days) later, aligned by position, never by date.

- ACMix (prices) / ACMix (returns): ONE global model over all series, trained on the
  prices (resp. log-returns, turned into a price path ``p_t * exp(cumsum(r))``) by
  ``ACMixForecaster.cross_validation(step_size=1, refit=refit_every)``: refitted from
  scratch every ``refit_every`` origins on the data before that origin, standard scaler
  fitted on the training part only; the origins in between reuse it on new contexts.
- Random walk: the last price. Drift: ``p_t + h (p_t - p_0) / t`` over all the history.
- ARIMA(1,0,1) with a constant on log-returns (= ARIMA(1,1,1) with drift on log prices),
  re-estimated by maximum likelihood every ``refit_every`` origins, its Kalman state
  rolled forward day by day in between (``results.extend``) with fixed parameters.

Metrics per series, horizon and model: MAE and RMSE on prices; MAE / MAE of the random
walk on the same points; hit rate of the direction ``sign(f_{t+h} - p_t)`` with a
one-sided binomial test against 50 % (on every h-th origin, so that outcomes do not
overlap); Diebold-Mariano against the random walk on squared errors (h-step HAC
variance, HLN correction, two-sided); annualised Sharpe of holding ``sign(f_{t+h} - p_t)``
over the NEXT day only, re-decided daily, net of ``cost_bps`` per unit traded, next to
buy-and-hold on the same days. The statistics come from ``acmix_ts.stats``.

Usage: ``python benchmarks/stocks.py`` (the committed run; see the results header),
``--smoke --out-dir /tmp/x`` (2 tickers, horizons 1 and 5, 20 origins, 1 epoch), or
``--report-only`` (rewrite ``stocks.md`` from ``stocks.json`` without forecasting).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from acmix_ts import ACMixForecaster
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import environment, write_results

ROOT = Path(__file__).resolve().parents[1]
YF_TICKERS = ("AAPL", "MSFT", "SPY", "QQQ", "JPM", "IWM", "GLD", "TLT", "XLE")
YAHOO_TICKERS = ("AAPL", "GOOG", "SPY", "INTC")
ALL_IDS = (*YF_TICKERS, *(f"yahoo:{t}" for t in YAHOO_TICKERS))
RW, DRIFT, ARIMA_NAME = "random walk", "drift", "ARIMA(1,1,1)+drift"
ACMIX_MODES = {"ACMix (prices)": "prices", "ACMix (returns)": "returns"}
logger = logging.getLogger("stocks")


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


# ----------------------------------------------------------------------- forecasts
def actual_paths(prices: np.ndarray, origins: np.ndarray, max_h: int) -> np.ndarray:
    """``(n_origins, max_h)``: the price 1 .. max_h rows after each origin."""
    return prices[origins[:, None] + np.arange(1, max_h + 1)]


def random_walk(prices: np.ndarray, origins: np.ndarray, max_h: int) -> np.ndarray:
    return np.repeat(prices[origins, None], max_h, axis=1)


def drift(prices: np.ndarray, origins: np.ndarray, max_h: int) -> np.ndarray:
    """``p_t + h (p_t - p_0) / t``: the random walk plus the mean step of the history."""
    slope = (prices[origins] - prices[0]) / origins
    return prices[origins, None] + slope[:, None] * np.arange(1, max_h + 1)


def returns_to_prices(last_price: np.ndarray, log_return_paths: np.ndarray) -> np.ndarray:
    """``p_t * exp(cumsum(r))`` per row: a price path from forecast log-returns."""
    return last_price[:, None] * np.exp(np.cumsum(log_return_paths, axis=1))


def arima(prices: np.ndarray, origins: np.ndarray, max_h: int, refit_every: int) -> np.ndarray:
    """ARIMA(1,0,1)+constant on log-returns; re-estimated every ``refit_every`` origins."""
    from statsmodels.tsa.arima.model import ARIMA

    r = np.diff(np.log(prices))  # r[j] = log(p[j+1] / p[j]): r[:t] ends at price t
    paths = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; parameters are stored
        for i, origin in enumerate(origins):
            if i % refit_every == 0:
                result = ARIMA(r[:origin], order=(1, 0, 1), trend="c").fit()
            else:
                result = result.extend(r[origins[i - 1] : origin])
            paths.append(result.forecast(max_h))
    return returns_to_prices(prices[origins], np.asarray(paths))


def forecast_matrix(cv: pd.DataFrame, origin_dates: dict, max_h: int) -> dict[str, np.ndarray]:
    """``{id: (n_origins, max_h)}`` from a cross-validation frame, step by step.

    The rows of one (series, cutoff) are the forecast steps 1 .. max_h in date order;
    their ``ds`` may fall on exchange holidays, so they are matched by step, and the
    cutoffs must be exactly the expected origin dates.
    """
    cv = cv.sort_values(["unique_id", "cutoff", "ds"])
    out = {}
    for sid, dates in origin_dates.items():
        rows = cv[cv["unique_id"] == sid]
        cutoffs = pd.DatetimeIndex(rows["cutoff"].unique())
        if not cutoffs.equals(pd.DatetimeIndex(dates)) or len(rows) != len(dates) * max_h:
            raise ValueError(f"{sid}: backtest cutoffs do not match the walk-forward origins.")
        out[sid] = rows["ACMix"].to_numpy().reshape(len(dates), max_h)
    return out


def acmix(panel: pd.DataFrame, origins: dict, mode: str, seed: int, s: Settings) -> dict:
    """Price paths of the global ACMix model (``mode`` "prices" or "returns")."""
    frame = panel if mode == "prices" else log_returns(panel)
    model = ACMixForecaster(
        horizon=s.max_h,
        context_length=s.context_length,
        patch_len=s.patch_len,
        d_model=s.d_model,
        n_heads=s.n_heads,
        n_blocks=s.n_blocks,
        window_size=s.window_size,
        batch_size=s.batch_size,
        learning_rate=s.learning_rate,
        max_epochs=s.epochs,
        early_stopping_patience=s.early_stopping_patience,
        random_state=seed,
        network_kwargs={"patch_stride": s.patch_len},
        trainer_kwargs={"accelerator": "cpu"},
    )
    cv = model.cross_validation(frame, n_windows=s.n_test, step_size=1, refit=s.refit_every)
    dates = {sid: g["ds"].to_numpy()[origins[sid]] for sid, g in panel.groupby("unique_id")}
    paths = forecast_matrix(cv, dates, s.max_h)
    if mode == "returns":
        prices = {sid: g["y"].to_numpy() for sid, g in panel.groupby("unique_id")}
        paths = {sid: returns_to_prices(prices[sid][origins[sid]], p) for sid, p in paths.items()}
    return paths


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


# -------------------------------------------------------------------------- report
def geomean(values: list[float]) -> float:
    return float(np.exp(np.mean(np.log(values))))


def nanmean(values: list[float]) -> float:
    finite_values = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite_values)) if finite_values else math.nan


def aggregate(rows: list[dict], s: Settings) -> list[dict]:
    """Per horizon and model, over tickers (first seed; MAE ratio also over all seeds)."""
    out = []
    for h, model in ((h, m) for h in s.horizons for m in [RW, DRIFT, ARIMA_NAME, *ACMIX_MODES]):
        mine = [r for r in rows if r["h"] == h and r["model"] == model]
        first = [r for r in mine if r["seed"] == s.seeds[0]]
        seeds = [[r for r in mine if r["seed"] == k] for k in s.seeds]
        per_seed = [geomean([r["mase_rw"] for r in rs]) for rs in seeds]
        hits, trials = (sum(r[k] for r in first) for k in ("binom_hits", "binom_trials"))
        significant = [r for r in first if r["p_dm"] < 0.05]  # NaN compares False
        out.append({
            "h": h, "model": model, "tickers": len(first),
            "mase_rw_geomean": geomean([r["mase_rw"] for r in first]),
            "mase_rw_geomean_seeds": [float(np.mean(per_seed)), float(np.std(per_seed))],
            "lower_mae": sum(r["mase_rw"] < 1 for r in first),
            "lower_mae_per_seed": [sum(r["mase_rw"] < 1 for r in rs) for rs in seeds],
            "dm_better_per_seed": [sum(r["p_dm"] < 0.05 and r["dm_stat"] < 0 for r in rs)
                                   for rs in seeds],
            "dm_better": {r["ticker"]: r["p_dm"] for r in significant if r["dm_stat"] < 0},
            "dm_worse": {r["ticker"]: r["p_dm"] for r in significant if r["dm_stat"] > 0},
            "hit_rate_mean": nanmean([r["hit_rate"] for r in first]),
            "pooled_hits": [hits, trials],
            "p_binom_pooled": binomial_test(hits, trials) if trials else math.nan,
            "hit_p05": {r["ticker"]: r["p_binom"] for r in first if r["p_binom"] < 0.05},
            "sharpe_mean": nanmean([r["sharpe"] for r in first]),
        })  # fmt: skip
    return out


def fmt(value: float | None, spec: str = ".3f") -> str:
    return "–" if value is None or not np.isfinite(value) else format(value, spec)


def listing(found: dict) -> str:
    return ", ".join(f"{t} p={p:.2g}" for t, p in found.items()) or "none"


def verdict(agg: list[dict], s: Settings) -> str:
    """Significant wins and losses against the random walk, and how much chance explains."""
    tests = len(s.tickers) * len(s.horizons)
    wins = [f"{a['model']} h={a['h']} on {t} (p={p:.2g})" for a in agg
            for t, p in a["dm_better"].items()]  # fmt: skip
    strict = sum(p < 0.05 / tests for a in agg for p in a["dm_better"].values())
    losses = [f"{a['model']} on {len(a['dm_worse'])}/{a['tickers']} at h={a['h']}"
              for a in agg if a["dm_worse"]]  # fmt: skip
    better = (
        "Significantly more accurate than the random walk (DM p < 0.05, squared error): "
        + "; ".join(wins) + f". {strict} of them pass the Bonferroni level "
        f"0.05/{tests} = {0.05 / tests:.4f}." if wins else "No model was significantly more "
        "accurate than the random walk (DM p < 0.05, squared error) on any ticker or horizon."
    )  # fmt: skip
    worse = "Significantly less accurate: " + ("; ".join(losses) or "none") + "."
    return (
        f"**Verdict.** {better} {worse} Each model faces {tests} such tests (tickers x "
        f"horizons), so about {0.05 * tests:.1f} p-values below 0.05 are expected by chance "
        "alone. Pooled binomial p-values treat tickers as independent although they move "
        "together (SPY, QQQ, IWM, AAPL, MSFT), and test against 50 % rather than the share "
        "of up moves, so they overstate any skill; a drift forecast's hit rate is the share "
        "of moves in the direction of the past trend."
    )


def per_seed(a: dict, s: Settings) -> str:
    """For ACMix over several seeds: do the counts of the tables' seed replicate?"""
    if a["model"] not in ACMIX_MODES or len(s.seeds) < 2:
        return ""
    seeds = "/".join(str(k) for k in s.seeds)
    return (
        f" Seeds {seeds}: lower MAE on {'/'.join(map(str, a['lower_mae_per_seed']))} "
        f"tickers, DM wins on {'/'.join(map(str, a['dm_better_per_seed']))}."
    )


def summary(agg: list[dict], hold: dict, s: Settings) -> list[str]:
    """The results in plain words, written from the numbers."""
    lines = ["## Summary in plain words"]
    for h in s.horizons:
        lines += ["", f"**h = {h}.** Prices rose over {h} day(s) in {100 * hold[h][1]:.1f} % "
                  f"of the cases (always predicting 'up' scores that hit rate); buy & hold "
                  f"Sharpe {hold[h][0]:.2f} (mean over tickers).", ""]  # fmt: skip
        for a in (a for a in agg if a["h"] == h and a["model"] != RW):
            lines.append(
                f"- {a['model']}: lower MAE than the random walk on {a['lower_mae']}/"
                f"{a['tickers']} tickers (geometric mean of MAE/RW {a['mase_rw_geomean']:.3f}); "
                f"DM p < 0.05 in its favour on {listing(a['dm_better'])}, against it on "
                f"{listing(a['dm_worse'])}. Direction right {fmt(100 * a['hit_rate_mean'], '.1f')}"
                f" % on average (pooled {a['pooled_hits'][0]}/{a['pooled_hits'][1]}, one-sided "
                f"p = {fmt(a['p_binom_pooled'], '.2g')}); sign strategy Sharpe "
                f"{fmt(a['sharpe_mean'], '.2f')}." + per_seed(a, s)
            )
    return [*lines, "", verdict(agg, s)]


def ticker_table(rows: list[dict], spread: dict, h: int) -> list[str]:
    lines = ["| ticker | model | MAE | RMSE | MAE/RW | hit % | p hit | DM | p DM | Sharpe "
             "| MAE over seeds |", "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in (r for r in rows if r["h"] == h):
        if r["model"] == "buy & hold":
            lines.append(f"| {r['ticker']} | buy & hold |||||||| {fmt(r['sharpe'], '.2f')} ||")
            continue
        mean, std = spread[r["ticker"], h, r["model"]]
        seeds = f"{mean:.3f} ± {std:.3f}" if r["model"] in ACMIX_MODES else ""
        lines.append(
            f"| {r['ticker']} | {r['model']} | {r['mae']:.3f} | {r['rmse']:.3f} | "
            f"{r['mase_rw']:.3f} | {fmt(100 * r['hit_rate'], '.1f')} | "
            f"{fmt(r['p_binom'], '.2g')} | {fmt(r['dm_stat'], '.2f')} | {fmt(r['p_dm'], '.2g')} | "
            f"{fmt(r['sharpe'], '.2f')} | {seeds} |"
        )
    return lines


def aggregate_table(agg: list[dict], hold: tuple[float, float], h: int) -> list[str]:
    lines = [
        "| model | MAE/RW geo-mean | over seeds | lower MAE | DM better | DM worse | hit % "
        "| pooled p hit | Sharpe |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for a in (a for a in agg if a["h"] == h):
        lines.append(
            f"| {a['model']} | {a['mase_rw_geomean']:.3f} | "
            f"{a['mase_rw_geomean_seeds'][0]:.3f} ± {a['mase_rw_geomean_seeds'][1]:.3f} | "
            f"{a['lower_mae']} | {len(a['dm_better'])} | {len(a['dm_worse'])} | "
            f"{fmt(100 * a['hit_rate_mean'], '.1f')} | {fmt(a['p_binom_pooled'], '.2g')} | "
            f"{fmt(a['sharpe_mean'], '.2f')} |"
        )
    lines.append(f"| always up (buy & hold) |||||| {100 * hold[1]:.1f} || {hold[0]:.2f} |")
    return lines


def header(s: Settings, env: dict, extra: dict, wall: float) -> list[str]:
    leaks = extra["look_ahead"]
    on_targets = sum(v["on_target_days"] for v in leaks.values())
    later = {t: v["after_origin"] for t, v in leaks.items() if v["after_origin"]}
    series = [f"| {i['ticker']} | {i['field']} | {i['rows']} | {i['first']} | {i['last']} | "
              f"{i['first_origin']} |" for i in extra["series"]]  # fmt: skip
    return [
        "# Daily stock prices: walk-forward forecasts against the random walk", "",
        f"Machine: {env['cpu']} ({env['cpu_count']} cores, shared); torch {env['torch']}, "
        f"Lightning {env['pytorch_lightning']}, pandas {env['pandas']}, statsmodels "
        f"{env['statsmodels']}, Python {env['python']}; 1 torch thread; git "
        f"{env['git_commit']}; {env['date']}; wall time {wall / 60:.1f} min. Command: "
        f"`{' '.join(['python benchmarks/stocks.py', *extra['argv']])}`. Protocol: the docstring "
        "of `benchmarks/stocks.py` and BENCHMARKS.md section 3.", "",
        f"{s.n_test} forecast origins per series (the last ones with {s.max_h} trading days "
        f"after them; one global ACMix model over all series), horizons {list(s.horizons)} "
        f"trading days. ACMix and ARIMA re-estimated every {s.refit_every} origins on the "
        f"data before the origin. ACMix: context {s.context_length}, patch {s.patch_len}, "
        f"d_model {s.d_model}, {s.n_heads} heads, {s.n_blocks} blocks, window "
        f"{s.window_size} tokens, at most {s.epochs} epochs (early stopping on a validation "
        f"tail, patience {s.early_stopping_patience}), batch {s.batch_size}, learning rate "
        f"{s.learning_rate:g}, seeds {list(s.seeds)} (tables: seed {s.seeds[0]}; 'over "
        f"seeds': mean ± std). Strategy costs {s.cost_bps:g} bp per unit traded.", "",
        "| series | price | rows | first | last | first origin |", "|---|---|---|---|---|---|",
        *series, "",
        f"Look-ahead check (computed): forecasts whose model trained on a row of any series "
        f"dated on one of the forecast's target days: {on_targets}. Forecasts whose model "
        f"also trained on other series' rows dated after the origin (another era): "
        f"{', '.join(f'{t} {n}' for t, n in later.items()) or 'none'}.", "",
        "MAE/RW: MAE over the random walk's MAE on the same points (< 1 beats it). p hit: "
        "one-sided binomial test of the hit rate against 50 % on every h-th origin "
        "(non-overlapping). DM: Diebold-Mariano statistic against the random walk, squared "
        "errors (negative = more accurate); p DM two-sided. Sharpe: annualised, holding "
        "the sign of the h-step forecast for the next day only, net of costs; – where the "
        "model never trades (the random walk).",
    ]  # fmt: skip


def markdown(rows: list[dict], agg: list[dict], s: Settings, env, extra, wall) -> list[str]:
    first = [r for r in rows if r["seed"] == s.seeds[0]]
    maes: dict[tuple, list[float]] = {}
    for r in (r for r in rows if "mae" in r):
        maes.setdefault((r["ticker"], r["h"], r["model"]), []).append(r["mae"])
    spread = {k: (float(np.mean(v)), float(np.std(v))) for k, v in maes.items()}
    holds = {
        h: [r for r in first if r["h"] == h and r["model"] == "buy & hold"] for h in s.horizons
    }
    hold = {h: (nanmean([r["sharpe"] for r in v]), nanmean([r["up_share"] for r in v]))
            for h, v in holds.items()}  # fmt: skip
    lines = [*header(s, env, extra, wall), "", *summary(agg, hold, s)]
    for h in s.horizons:
        lines += ["", f"## h = {h}: aggregate over {len(s.tickers)} tickers", "",
                  *aggregate_table(agg, hold[h], h), "", f"### h = {h}: per ticker", "",
                  *ticker_table(first, spread, h)]  # fmt: skip
    return lines


def finite(value):
    """JSON-safe: NaN and inf become null, numpy scalars become Python ones."""
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value.item() if isinstance(value, np.generic) else value


def report(out_dir: Path, rows: list[dict], s: Settings, extra: dict, wall: float,
           env: dict | None = None) -> None:  # fmt: skip
    """Write ``stocks.md`` and ``stocks.json`` (every number, all seeds) to ``out_dir``."""
    import statsmodels

    env = env or {**environment(), "pandas": pd.__version__, "numpy": np.__version__,
                  "statsmodels": statsmodels.__version__, "torch_threads": 1}  # fmt: skip
    agg = aggregate(rows, s)
    payload = {"environment": env, "settings": asdict(s), "wall_seconds": wall, **extra,
               "aggregate": agg, "rows": rows}  # fmt: skip
    write_results(out_dir, "stocks", markdown(rows, agg, s, env, extra, wall), finite(payload))


def rerender(out_dir: Path) -> None:
    """Rewrite the report from ``out_dir/stocks.json`` (same run, same provenance)."""
    saved = json.loads((out_dir / "stocks.json").read_text())
    rows = [{k: math.nan if v is None else v for k, v in r.items()} for r in saved["rows"]]
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in saved["settings"].items()}
    extra = {k: saved[k] for k in ("series", "look_ahead", "argv")}
    report(out_dir, rows, Settings(**fields), extra, saved["wall_seconds"], saved["environment"])


# --------------------------------------------------------------------------- run
def run(panel: pd.DataFrame, s: Settings) -> tuple[list[dict], dict]:
    """Forecast and score everything; returns the metric rows and the look-ahead check."""
    groups = {sid: g["y"].to_numpy() for sid, g in panel.groupby("unique_id")}
    origins = {sid: origin_positions(len(p), s.n_test, s.max_h) for sid, p in groups.items()}
    paths = {}
    for sid, p in groups.items():
        o = origins[sid]
        paths[sid] = {RW: random_walk(p, o, s.max_h), DRIFT: drift(p, o, s.max_h)}
        paths[sid][ARIMA_NAME] = arima(p, o, s.max_h, s.refit_every)
        logger.info("baselines done: %s", sid)
    seeded = {}
    for name, mode in ACMIX_MODES.items():
        for seed in s.seeds:
            start = time.perf_counter()
            seeded[name, seed] = acmix(panel, origins, mode, seed, s)
            logger.info("%s seed %d: %.0f s", name, seed, time.perf_counter() - start)
    rows = []
    for sid, p in groups.items():
        for seed in s.seeds:
            models = {**paths[sid], **{n: seeded[n, seed][sid] for n in ACMIX_MODES}}
            for h in s.horizons:
                for name, metrics in score(p, origins[sid], models, h, s.cost_bps).items():
                    rows.append({"ticker": sid, "h": h, "model": name, "seed": seed, **metrics})
    return rows, look_ahead(panel, origins, s)


def series_info(panel: pd.DataFrame, s: Settings) -> list[dict]:
    info = []
    for sid, g in panel.groupby("unique_id"):
        o = origin_positions(len(g), s.n_test, s.max_h)
        info.append(
            {
                "ticker": sid,
                "rows": len(g),
                "first": str(g["ds"].iloc[0].date()),
                "last": str(g["ds"].iloc[-1].date()),
                "first_origin": str(g["ds"].iloc[o[0]].date()),
                "field": "Adj Close" if sid.startswith("yahoo:") else "Close (auto-adjusted)",
            }
        )
    return info


def parse_args(argv: list[str] | None = None) -> tuple[Settings, argparse.Namespace]:
    default = Settings()
    data = os.environ.get("ACMIX_TS_DATA") or str(ROOT.parent / "shared" / "datasets")
    ints = lambda text: tuple(int(v) for v in text.split(","))  # noqa: E731
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickers", type=lambda t: tuple(t.split(",")), default=ALL_IDS)
    parser.add_argument("--horizons", type=ints, default=default.horizons)
    parser.add_argument("--n-test", type=int, default=default.n_test)
    parser.add_argument("--refit-every", type=int, default=default.refit_every)
    parser.add_argument("--epochs", type=int, default=default.epochs)
    parser.add_argument("--seeds", type=ints, default=default.seeds)
    parser.add_argument("--data-dir", type=Path, default=Path(data))
    parser.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--smoke", action="store_true", help="2 tickers, h 1/5, 20 origins")
    parser.add_argument("--report-only", action="store_true", help="rewrite from stocks.json")
    args = parser.parse_args(argv)
    settings = Settings(
        args.tickers, args.horizons, args.n_test, args.refit_every, args.epochs, args.seeds
    )
    if args.smoke:
        settings = replace(
            settings,
            tickers=("AAPL", "MSFT"),
            horizons=(1, 5),
            n_test=20,
            refit_every=10,
            epochs=1,
            seeds=settings.seeds[:1],
        )
    unknown = set(settings.tickers) - set(ALL_IDS)
    if unknown:
        parser.error(f"unknown tickers {sorted(unknown)}; choose from {','.join(ALL_IDS)}")
    return settings, args


def main(argv: list[str] | None = None) -> None:
    import torch

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)
    settings, args = parse_args(argv)
    if args.report_only:
        return rerender(args.out_dir)
    start = time.perf_counter()
    panel = load_panel(args.data_dir / "stocks", settings.tickers)
    rows, leaks = run(panel, settings)
    wall = time.perf_counter() - start
    argv = sys.argv[1:] if argv is None else argv
    extra = {"series": series_info(panel, settings), "look_ahead": leaks, "argv": argv}
    report(args.out_dir, rows, settings, extra, wall)
    logger.info("wrote %s in %.0f s", args.out_dir, wall)


if __name__ == "__main__":
    main()
