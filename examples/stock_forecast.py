"""Forecast a stock's closing price: ticker in; forecast, plot and backtest summary out.

Prices come from a CSV (``--csv``), a folder of ``<TICKER>.csv`` files (``--data-dir``),
the shared datasets folder when ``ACMIX_TS_DATA`` is set (its
``stocks/yf_adjusted_2019_2025``), or otherwise from Yahoo Finance through
``acmix_ts.load_prices`` (online, cached on disk).

The backtest compares the model with the random walk (tomorrow = today), the forecast
to beat on daily prices: mean absolute error over a few recent windows, and how often
the predicted direction over the horizon was right. Expect the random walk to be hard
to beat; this example shows the workflow, not a trading strategy. The full walk-forward
study with statistical tests is ``benchmarks/`` (``acmix-ts benchmark stocks``).

Usage::

    python examples/stock_forecast.py --ticker AAPL            # offline with ACMIX_TS_DATA
    python examples/stock_forecast.py --csv my_prices.csv --horizon 10 --plot aapl.png
    python examples/stock_forecast.py --ticker MSFT --start 2018-01-01   # online
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from acmix_ts import ACMixForecaster, load_prices
from acmix_ts.data import read_price_csv
from acmix_ts.metrics import mae


def load_close(args: argparse.Namespace) -> pd.DataFrame:
    """Daily closes of ``args.ticker`` as a long frame ``unique_id, ds, y``."""
    if args.csv:
        return read_price_csv(args.csv, ticker=args.ticker)
    folder = args.data_dir
    shared = os.environ.get("ACMIX_TS_DATA")
    if folder is None and shared:
        folder = Path(shared) / "stocks" / "yf_adjusted_2019_2025"
    if folder is not None and (Path(folder) / f"{args.ticker}.csv").is_file():
        return read_price_csv(Path(folder) / f"{args.ticker}.csv", ticker=args.ticker)
    if args.data_dir is not None:
        raise ValueError(f"No {args.ticker}.csv in {args.data_dir}; pass --csv PATH instead.")
    return load_prices(args.ticker, start=args.start)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticker", default="AAPL", help="Yahoo symbol (default AAPL)")
    parser.add_argument("--csv", help="price CSV (yfinance history or Yahoo layout)")
    parser.add_argument("--data-dir", help="folder of <TICKER>.csv price files")
    parser.add_argument("--start", default="2019-01-01", help="first date when downloading")
    parser.add_argument("--horizon", type=int, default=5, help="trading days ahead (5)")
    parser.add_argument("--context-length", type=int, default=60, help="days read (60)")
    parser.add_argument("--n-windows", type=int, default=4, help="backtest windows (4)")
    parser.add_argument("--max-epochs", type=int, default=5, help="training epochs (5)")
    parser.add_argument("--plot", default="stock_forecast.png", help="PNG of the forecast")
    parser.add_argument("--quick", action="store_true", help="tiny model, 1 epoch (tests)")
    return parser.parse_args(argv)


def backtest_summary(cv: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """MAE and direction hit rate of the model and the random walk over the windows."""
    last = history.rename(columns={"ds": "cutoff", "y": "RandomWalk"})[["cutoff", "RandomWalk"]]
    cv = cv.merge(last, on="cutoff")
    end = cv.groupby("cutoff").tail(1)  # the last step of every window
    moved_up = end["y"] > end["RandomWalk"]
    rows = {}
    for name in ("ACMix", "RandomWalk"):
        rows[name] = {"MAE": mae(cv["y"], cv[name])}
    rows["ACMix"]["direction hit rate"] = float(
        np.mean((end["ACMix"] > end["RandomWalk"]) == moved_up)
    )
    rows["RandomWalk"]["direction hit rate"] = np.nan  # it never predicts a move
    return pd.DataFrame(rows).T


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    prices = load_close(args)
    if args.quick:
        prices = prices.tail(args.context_length + 10 * args.horizon + 60)
    first, last = prices["ds"].iloc[0].date(), prices["ds"].iloc[-1].date()
    print(f"{args.ticker}: {len(prices)} daily closes, {first} .. {last}")
    options = dict(d_model=16, n_blocks=1) if args.quick else {}
    model = ACMixForecaster(
        horizon=args.horizon,
        context_length=args.context_length,
        patch_len=5,  # one trading week per token
        loss="quantile",
        quantiles=(0.1, 0.5, 0.9),
        max_epochs=1 if args.quick else args.max_epochs,
        batch_size=128,
        network_kwargs={"patch_stride": 5},
        **options,
    )
    model.fit(prices)
    forecast = model.predict(level=[80])
    print(f"\nForecast of the next {args.horizon} trading days (80% interval):")
    print(forecast.drop(columns="unique_id").set_index("ds").round(2).to_string())

    n_windows = 2 if args.quick else args.n_windows
    cv = model.cross_validation(prices, n_windows=n_windows, step_size=args.horizon)
    print(f"\nBacktest over the last {n_windows} windows of {args.horizon} days:")
    print(backtest_summary(cv, prices).round(3).to_string())

    if args.plot:
        from acmix_ts.plotting import plot_forecast

        fig = plot_forecast(prices, forecast, history_length=120)
        fig.savefig(args.plot, dpi=110)
        print(f"\nWrote {args.plot}.")
    print(f"Done in {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
