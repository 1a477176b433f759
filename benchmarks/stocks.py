"""Daily stock prices, walk-forward: ACMix against the random walk, drift and ARIMA.

Protocol (docs/benchmarks.md §3). Every series gets the same ``n_test`` forecast
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

Files: this script is the command line and the run (:func:`run`);
``stocks_protocol.py`` holds the settings, data, origins and metrics,
``stocks_models.py`` the forecasters and ``stocks_report.py`` the tables and the text.

Usage: ``python -m benchmarks.stocks`` (the committed run; see the results header),
``--smoke --out-dir /tmp/x`` (2 tickers, horizons 1 and 5, 20 origins, 1 epoch), or
``--report-only`` (rewrite ``stocks.md`` from ``stocks.json`` without forecasting).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from benchmarks.stocks_models import acmix, arima, drift, random_walk
from benchmarks.stocks_protocol import (
    ACMIX_MODES,
    ALL_IDS,
    ARIMA_NAME,
    DRIFT,
    RW,
    Settings,
    load_panel,
    look_ahead,
    origin_positions,
    score,
)
from benchmarks.stocks_report import report, rerender

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger("stocks")


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
