"""Backtest and predict latency: thousands of stride-1 windows, and predict on a long history.

On the quickstart data (ETTh1, 7 series x 14,400 hourly steps, h=24) a small model (20
training steps: the fit is not what is measured) is backtested over ``--windows``
stride-1 windows with one fit, and ``predict(df=...)`` is timed on the whole history.
``cross_validation`` forecasts every window in one batched pass; the row "one predict
per window" times the same forecasts made one cutoff at a time, through the public
``predict(df=history)``, on a sample of cutoffs, scaled to all of them.

Where neuralforecast is installed (the benchmark environment), its NHITS runs the same
two measurements in the same process: ``NeuralForecast.cross_validation(n_windows,
step_size=1)`` with the same 20 training steps, and ``predict(df=history)``.

Writes ``backtest_speed.md`` / ``.json``; ``--smoke``: 50 windows, 3 repetitions, no
neuralforecast. ``--report-only`` rewrites the Markdown from the JSON.

Usage: ``python -m benchmarks.backtest_speed [--windows 2785] [--smoke --out-dir DIR]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from benchmarks._measure import RESULTS, environment, write_results

STEPS = 20  # training steps of both models: the fit is not what is measured


def quickstart_frame() -> pd.DataFrame:
    from acmix_ts import load_ltsf

    wide = load_ltsf("ETTh1").iloc[:14400]
    df = wide.melt(id_vars="date", var_name="unique_id", value_name="y")
    return df.rename(columns={"date": "ds"})


def median_seconds(call: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure_acmix(df: pd.DataFrame, windows: int, repeats: int) -> dict:
    import pytorch_lightning  # noqa: F401  imported before the timer, as neuralforecast's is

    from acmix_ts import ACMixForecaster

    model = ACMixForecaster(horizon=24, max_steps=STEPS, n_models=1, seasonal=True, trend=True)
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
    return {
        "forecasts": int(cv.groupby(["unique_id", "cutoff"]).ngroups),
        "fit_s": fit,
        "cross_validation_s": batched,
        "batched_windows_s": batched - fit,
        "one_predict_per_window_s": one_by_one,
        "predict_full_history_ms": 1000 * median_seconds(lambda: model.predict(df=df), repeats),
    }


def measure_neuralforecast(df: pd.DataFrame, windows: int, repeats: int) -> dict:
    """NHITS through neuralforecast: the same windows, steps and history."""
    import logging

    from neuralforecast import NeuralForecast
    from neuralforecast.models import NHITS

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    quiet = {"enable_progress_bar": False, "enable_model_summary": False, "logger": False}
    model = NHITS(h=24, input_size=96, max_steps=STEPS, val_check_steps=STEPS,
                  accelerator="cpu", **quiet)  # fmt: skip
    nf = NeuralForecast(models=[model], freq="h")
    start = time.perf_counter()
    cv = nf.cross_validation(df, n_windows=windows, step_size=1, refit=False)
    batched = time.perf_counter() - start
    nf.fit(df)
    return {
        "forecasts": int(cv.groupby(["unique_id", "cutoff"]).ngroups),
        "cross_validation_s": batched,
        "predict_full_history_ms": 1000 * median_seconds(lambda: nf.predict(df=df), repeats),
    }


def render(saved: dict) -> list[str]:
    """The Markdown lines of a saved run (the JSON payload)."""
    acmix, peer = saved["acmix"], saved.get("neuralforecast")
    windows = saved["windows"]
    lines = [
        "# Backtest and predict latency", "",
        f"Machine: {saved.get('cpu', '?')}, 1 torch thread; commit "
        f"{saved.get('git_commit', '?')}, {saved.get('date', '?')}. "
        f"`{saved.get('command', 'python -m benchmarks.backtest_speed')}`.", "",
        f"Quickstart data (ETTh1, 7 series x 14,400 hourly rows), h=24, {STEPS} training "
        "steps (the fit is not what is measured).", "",
        "| measurement | ACMix | neuralforecast NHITS |", "|---|---|---|",
        f"| stride-1 windows x 7 series | {windows} x 7 = {acmix['forecasts']:,} forecasts | "
        + (f"{peer['forecasts']:,} forecasts |" if peer else "not run |"),
        f"| cross_validation(n_windows={windows}, step_size=1), one fit | "
        f"{acmix['cross_validation_s']:.1f} s | "
        + (f"{peer['cross_validation_s']:.1f} s |" if peer else "– |"),
        f"| of which the windows after the fit | {acmix['batched_windows_s']:.1f} s | – |",
        f"| one predict(df=history) per window (sampled, scaled) | "
        f"{acmix['one_predict_per_window_s']:.1f} s | – |",
        f"| predict(df=7 x 14,400 rows), median | {acmix['predict_full_history_ms']:.1f} ms | "
        + (f"{peer['predict_full_history_ms']:.1f} ms |" if peer else "– |"),
    ]  # fmt: skip
    if not peer:
        lines += ["", "neuralforecast was not installed in this run (`make bench-env`)."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=2785)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="rewrite from the JSON")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.report_only:
        saved = json.loads((args.out_dir / "backtest_speed.json").read_text())
        write_results(args.out_dir, "backtest_speed", render(saved), saved)
        return 0
    if args.smoke and args.out_dir.resolve() == RESULTS.resolve():
        parser.error("--smoke writes a throwaway table: pass --out-dir")
    torch.set_num_threads(1)
    windows, repeats = (50, 3) if args.smoke else (args.windows, 9)
    df = quickstart_frame()
    saved: dict[str, Any] = {**environment(), "windows": windows,
                             "command": "python -m benchmarks.backtest_speed "
                             + " ".join(argv or [])}  # fmt: skip
    saved["acmix"] = measure_acmix(df, windows, repeats)
    if not args.smoke and importlib.util.find_spec("neuralforecast") is not None:
        saved["neuralforecast"] = measure_neuralforecast(df, windows, repeats)
    lines = render(saved)
    write_results(args.out_dir, "backtest_speed", lines, saved)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
