"""Backtest and predict latency: thousands of stride-1 windows, and predict on a long history.

On the quickstart data (ETTh1, 7 series x 14,400 hourly steps, h=24) a small model (20
training steps: the fit is not what is measured) is backtested over ``--windows``
stride-1 windows with one fit, and ``predict(df=...)`` is timed on the whole history.
``cross_validation`` forecasts every window in one batched pass; the row "one predict
per window" times the same forecasts made one cutoff at a time, through the public
``predict(df=history)``, on a sample of cutoffs, scaled to all of them. Writes
``backtest_speed.md`` / ``.json``; ``--smoke``: 50 windows, 3 repetitions.

Usage: ``python -m benchmarks.backtest_speed [--windows 2000] [--smoke --out-dir DIR]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from acmix_ts import ACMixForecaster, load_ltsf
from benchmarks._measure import RESULTS, environment, write_results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.smoke and args.out_dir.resolve() == RESULTS.resolve():
        parser.error("--smoke writes a throwaway table: pass --out-dir")
    torch.set_num_threads(1)
    windows = 50 if args.smoke else args.windows
    wide = load_ltsf("ETTh1").iloc[:14400]
    df = wide.melt(id_vars="date", var_name="unique_id", value_name="y")
    df = df.rename(columns={"date": "ds"})
    model = ACMixForecaster(horizon=24, max_steps=20, n_models=1, seasonal=True, trend=True)
    start = time.perf_counter()
    cv = model.cross_validation(df, n_windows=windows, step_size=1)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(df[df["ds"] < cv["cutoff"].min() + pd.Timedelta(hours=1)])
    fit = time.perf_counter() - start
    cutoffs = sorted(cv["cutoff"].unique())
    sample = cutoffs[:: max(1, len(cutoffs) // 20)]
    start = time.perf_counter()
    for cutoff in sample:
        model.predict(df=df[df["ds"] <= cutoff])
    one_by_one = (time.perf_counter() - start) / len(sample) * len(cutoffs)
    latencies = []
    for _ in range(3 if args.smoke else 9):
        start = time.perf_counter()
        model.predict(df=df)
        latencies.append(time.perf_counter() - start)
    rows = {
        "windows": windows,
        "forecasts": int(cv.groupby(["unique_id", "cutoff"]).ngroups),
        "fit_s": fit,
        "cross_validation_s": batched,
        "batched_windows_s": batched - fit,
        "one_predict_per_window_s": one_by_one,
        "predict_full_history_ms": 1000 * float(np.median(latencies)),
    }
    meta = environment()
    lines = [
        "# Backtest and predict latency", "",
        f"Machine: {meta.get('cpu', '?')}, 1 torch thread; commit {meta.get('git_commit', '?')}, "
        f"{meta.get('date', '?')}. `python -m benchmarks.backtest_speed`.", "",
        "| measurement | value |", "|---|---|",
        f"| stride-1 windows x 7 series | {windows} x 7 = {rows['forecasts']:,} forecasts |",
        f"| fit (20 steps, not the point) | {fit:.1f} s |",
        f"| cross_validation, one fit, batched | {batched:.1f} s (windows: "
        f"{batched - fit:.1f} s after the fit) |",
        f"| one predict(df=history) per window (sampled, scaled) | {one_by_one:.1f} s |",
        f"| predict(df=7 x 14,400 rows), median | {rows['predict_full_history_ms']:.1f} ms |",
    ]  # fmt: skip
    write_results(args.out_dir, "backtest_speed", lines, {**meta, **rows})
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
