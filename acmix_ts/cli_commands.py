"""The ``acmix-ts`` commands: what forecast, tune, backtest and benchmark do.

:mod:`acmix_ts.cli` parses the command line and calls these.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import TypedDict

import pandas as pd

import acmix_ts
from acmix_ts.cli_inputs import Names, load_input

BENCHMARKS = ("ltsf", "realworld", "peers", "stocks", "efficiency", "backtest_speed")
# (flag, type, default, help); each is the ACMixForecaster parameter of the same name.
# Flags of the model: None leaves the estimator's own default (automatic where it adapts).
MODEL_OPTIONS = (
    ("--horizon", int, 24, "steps to forecast"),
    ("--context-length", int, None, "steps of history the network reads (default: automatic)"),
    ("--max-epochs", int, None, "full passes instead of the automatic step budget"),
    ("--max-steps", int, None, "optimiser steps (default: automatic, scaled with the data)"),
    ("--patch-len", int, None, "steps per token (default: automatic)"),
    ("--d-model", int, None, "token width (default: automatic)"),
    ("--n-heads", int, None, "attention heads (default: 4)"),
    ("--n-blocks", int, None, "ACMix blocks (default: 2)"),
    ("--window-size", int, None, "attention window in tokens, 0 = full (default: 8)"),
    ("--batch-size", int, None, "largest training batch (default: 64)"),
)


# ---------------------------------------------------------------------------- model
def make_model(args: argparse.Namespace, names: Names) -> acmix_ts.ACMixForecaster:
    """An ``ACMixForecaster`` from the model options of ``args``."""
    from acmix_ts.estimator.requests import interval_quantiles

    quantiles = None
    if args.level and args.quantile_loss:
        quantiles = tuple(sorted({q for _, q in interval_quantiles(args.level)}))
    names_of = {flag[2:].replace("-", "_") for flag, *_ in MODEL_OPTIONS}
    given = {name: getattr(args, name) for name in names_of if getattr(args, name) is not None}
    if given.get("window_size") == 0:
        given["window_size"] = None  # full attention
    return acmix_ts.ACMixForecaster(
        **given,
        fusion=args.fusion,
        loss="quantile" if quantiles else "mse",
        quantiles=quantiles,
        random_state=args.seed,
        id_col=names.id,
        time_col=names.time,
        target_col=names.target,
        progress_bar=args.progress,
    )


def _say(args: argparse.Namespace, message: str) -> None:
    """Progress and summaries go to stderr, so that ``-o -`` leaves stdout to the table."""
    if not args.quiet:
        print(message, file=sys.stderr)


def _is_parquet(path: str) -> bool:
    return Path(path).suffix.lower() in (".parquet", ".pq")


def write_table(frame: pd.DataFrame, path: str) -> None:
    """``frame`` as CSV (``-``: to stdout) or, for a ``.parquet`` path, as Parquet."""
    if path == "-":
        frame.to_csv(sys.stdout, index=False)
    elif _is_parquet(path):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def check_outputs(args: argparse.Namespace) -> None:
    """Fail before training on bad levels, or a file to write with no folder or engine."""
    import importlib.util

    from acmix_ts.estimator.requests import check_levels

    check_levels(getattr(args, "level", None))
    output = getattr(args, "output", None)
    engines = ("pyarrow", "fastparquet")
    if output and _is_parquet(output) and not any(importlib.util.find_spec(e) for e in engines):
        raise ValueError(
            f"--output {output}: writing Parquet needs pyarrow (pip install pyarrow); or "
            "write CSV (a .csv name, or - for stdout)."
        )
    for option in ("output", "plot", "save_model"):
        path = getattr(args, option, None)
        if path and path != "-" and not Path(path).expanduser().absolute().parent.is_dir():
            flag = "--" + option.replace("_", "-")
            raise FileNotFoundError(
                f"{flag} {path}: the folder {Path(path).parent} does not exist; create it "
                "or choose another path."
            )


def cmd_forecast(args: argparse.Namespace) -> int:
    """Fit on the whole input, forecast the next ``horizon`` steps, write CSV (+ plot)."""
    check_outputs(args)
    frame, names = load_input(args)
    start = time.perf_counter()
    model = make_model(args, names).fit(frame)
    forecast = model.predict(level=args.level)
    write_table(forecast, args.output)
    n_series = frame[names.id].nunique()
    _say(args, f"Trained on {n_series} series in {time.perf_counter() - start:.1f} s.")
    _say(args, forecast.head(min(len(forecast), 2 * args.horizon)).to_string(index=False))
    _say(args, f"Wrote {args.output} ({len(forecast)} rows).")
    if args.save_model:
        model.save(args.save_model)
        _say(args, f"Saved the model to {args.save_model}/.")
    if args.plot:
        from acmix_ts.plotting import plot_forecast

        fig = plot_forecast(frame, forecast, level=args.level, **_plot_names(names))
        fig.savefig(args.plot, dpi=120)
        _say(args, f"Wrote {args.plot}.")
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    """Search with Optuna on the input's validation windows; forecast with the best."""
    check_outputs(args)
    try:
        from acmix_ts.tuning import AutoACMixForecaster, save_plots
    except ImportError as err:
        raise ValueError(f"tune needs Optuna: pip install acmix_ts[tuning] ({err}).") from err
    frame, names = load_input(args)
    fixed = {"id_col": names.id, "time_col": names.time, "target_col": names.target}
    auto = AutoACMixForecaster(
        horizon=args.horizon, n_trials=args.n_trials, timeout=args.timeout,
        val_windows=args.val_windows, storage=args.storage, study_name=args.study_name,
        random_state=args.seed, fixed=fixed,
    ).fit(frame)  # fmt: skip
    study = auto.study_
    _say(args, f"{len(study.trials)} trials; best validation MASE {study.best_value:.4f}:")
    _say(args, "  " + ", ".join(f"{k}={v}" for k, v in auto.best_params_.items()))
    forecast = auto.predict()
    write_table(forecast, args.output)
    _say(args, f"Wrote {args.output} ({len(forecast)} rows).")
    if args.save_model:
        auto.save(args.save_model)
        _say(args, f"Saved the best model to {args.save_model}/.")
    if args.plots:
        for path in save_plots(study, args.plots):
            _say(args, f"Wrote {path}.")
    return 0


class _PlotNames(TypedDict):
    id_col: str
    time_col: str
    target_col: str


def _plot_names(names: Names) -> _PlotNames:
    return {"id_col": names.id, "time_col": names.time, "target_col": names.target}


def metrics_table(cv: pd.DataFrame, names: Names) -> pd.DataFrame:
    """MAE, MSE and MAE relative to the naive forecast of every model column, pooled."""
    from acmix_ts.metrics import INTERVAL_MARKERS, mae, mse

    models = [
        c
        for c in cv.columns
        if str(c).startswith("ACMix") and not any(b in c for b in INTERVAL_MARKERS)
    ]
    rows = {}
    for model in [*models, "Naive"]:
        rows[model] = {
            "MAE": mae(cv[names.target], cv[model]),
            "MSE": mse(cv[names.target], cv[model]),
        }
    table = pd.DataFrame(rows).T
    table["MAE / naive"] = table["MAE"] / table.loc["Naive", "MAE"]
    return table


def cmd_backtest(args: argparse.Namespace) -> int:
    """Rolling-origin backtest; writes the cross-validation frame and prints metrics."""
    check_outputs(args)
    frame, names = load_input(args)
    start = time.perf_counter()
    model = make_model(args, names)
    cv = model.cross_validation(
        frame, n_windows=args.n_windows, step_size=args.step_size, refit=args.refit
    )
    last = frame.loc[:, list(names)].rename(columns={names.time: "cutoff", names.target: "Naive"})
    cv = cv.merge(last, on=[names.id, "cutoff"], how="left")
    write_table(cv, args.output)
    seconds = time.perf_counter() - start
    _say(
        args,
        f"Backtest: {cv['cutoff'].nunique()} cutoffs x {cv[names.id].nunique()} series "
        f"x {args.horizon} steps in {seconds:.1f} s (naive = last value at the cutoff).",
    )
    _say(args, metrics_table(cv, names).to_string(float_format="{:.4f}".format))
    _say(args, f"Wrote {args.output} ({len(cv)} rows).")
    if args.plot:
        from acmix_ts.plotting import plot_backtest

        plot_backtest(cv, **_plot_names(names)).savefig(args.plot, dpi=120)
        _say(args, f"Wrote {args.plot}.")
    return 0


# ------------------------------------------------------------------------ benchmark
def find_benchmark(name: str, bench_dir: str | None) -> Path:
    """The script ``<bench_dir>/<name>.py`` (or the one file ``*<name>*.py``)."""
    folder = (
        Path(bench_dir)
        if bench_dir
        else Path(acmix_ts.__file__).resolve().parents[1] / "benchmarks"
    )
    if not folder.is_dir():
        raise ValueError(
            f"No benchmarks folder at {folder}. The benchmark scripts ship with the source "
            "repository, not the wheel: run from a clone (pip install -e .) or pass "
            "--bench-dir PATH."
        )
    # Runnable scripts only: the modules they import (ltsf_report.py, ...) are not.
    scripts = sorted(
        p
        for p in folder.glob("*.py")
        if not p.name.startswith("_") and '__name__ == "__main__"' in p.read_text()
    )
    exact = folder / f"{name}.py"
    matches = [exact] if exact in scripts else [p for p in scripts if name in p.stem]
    if len(matches) != 1:
        found = [p.stem for p in scripts]
        what = f"several scripts match: {[p.name for p in matches]}" if matches else "no script"
        raise ValueError(
            f"Benchmark {name!r}: {what} in {folder}. Scripts there: {found}; pass one of "
            "those names (or --bench-dir PATH)."
        )
    return matches[0]


def cmd_benchmark(args: argparse.Namespace) -> int:
    """Run a benchmark suite (``python -m benchmarks.<name>``); returns its exit code."""
    script = find_benchmark(args.name, args.bench_dir)
    extra = list(args.extra)
    if "--" in extra:  # the separator itself is not for the script
        extra.remove("--")
    module = f"{script.parent.name}.{script.stem}"
    command = [sys.executable, "-m", module, *(["--smoke"] if args.smoke else []), *extra]
    if not args.quiet:
        print("Running:", " ".join(command), flush=True)
    return subprocess.call(command, cwd=script.parent.parent)
