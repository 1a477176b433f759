"""Report of the stock benchmark: aggregates, plain-words summary, Markdown and JSON.

:func:`report` writes ``stocks.md`` and ``stocks.json`` from the metric rows;
:func:`rerender` rewrites them from a saved ``stocks.json`` (``--report-only``).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from acmix_ts.stats import binomial_test
from benchmarks._measure import environment, write_results
from benchmarks.stocks_protocol import ACMIX_MODES, ARIMA_NAME, DRIFT, RW, Settings


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
        f"`{' '.join(['python -m benchmarks.stocks', *extra['argv']])}`. Protocol: the docstring "
        "of `benchmarks/stocks.py` and docs/benchmarks.md §3.", "",
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
