"""Peers side by side (docs/benchmarks.md §5): ACMix next to neuralforecast and statsforecast.

Task ``quickstart``: the windows of ``examples/quickstart.py`` (ETTh1's first 14,400
rows, 7 series, h=24, 20 windows 120 steps apart); the global models are fitted once on
the rows before the first cutoff and forecast every window without refitting, the
statistical ones are refitted at every window. Task ``quickstart-val``: the same 20
windows moved back to end where the quickstart's fitting rows end (its validation
analog, on which ACMix's settings, ``ACMIX_VARIANTS``, are compared). Task ``ltsf``:
ETTh1 at L=96, H=96 on the long-horizon protocol (train-only scaling, every stride-1
test window), next to the ACMix and DLinear rows of ``ltsf_runs.jsonl``.

Every run (task, model, seed) is appended to ``peers_runs.jsonl`` when it finishes and
skipped later while its settings stay the same; the report is rewritten every time.
Needs ``pip install -e '.[peers]'`` (torch installed first) for the peers; models whose
library is missing are skipped with a message.

Examples
--------
OMP_NUM_THREADS=1 python -m benchmarks.peers --tasks quickstart --models NHITS SeasonalNaive
OMP_NUM_THREADS=1 python -m benchmarks.peers --tasks ltsf --models PatchTST NHITS
OMP_NUM_THREADS=1 python -m benchmarks.peers --tasks quickstart-val --models ACMix ACMix-mae
python -m benchmarks.peers --smoke --out-dir /tmp/peers_smoke
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from acmix_ts import ACMixForecaster
from benchmarks._measure import environment, write_results
from benchmarks.ltsf_protocol import RunSpec, load_splits
from benchmarks.peers_models import (
    NEURAL_MODELS,
    STATS_MODELS,
    Outcome,
    neural_settings,
    run_acmix,
    run_neural,
    run_stats,
)
from benchmarks.peers_report import harness_rows, read_runs, report_lines, summarise, versions
from benchmarks.peers_tasks import (
    QUICKSTART,
    QUICKSTART_VAL,
    SMOKE,
    Clock,
    Windows,
    check_ltsf_windows,
    check_same_windows,
    default_val_size,
    history,
    ltsf_frame,
    matched_budget,
    median_latency,
    naive_backtest,
    quickstart_frame,
    score,
)

RESULTS = Path(__file__).resolve().parent / "results"
# ACMix on the quickstart task: what examples/quickstart.py passes (seed = random_state):
# the estimator's defaults.
ACMIX_QUICKSTART = {"horizon": 24}
# Settings on top of ACMIX_QUICKSTART, each a row of its own ("ACMix" = the defaults).
ACMIX_VARIANTS = {
    "ACMix": {},
    "ACMix-mae": {"loss": "mae"},  # the loss the peers train and the headline metric
    "ACMix-patience-10": {"early_stopping_patience": 10},
    "ACMix-ensemble-3": {"n_models": 3},
}
TASK_WINDOWS = {"quickstart": QUICKSTART, "quickstart-val": QUICKSTART_VAL}
# The training the peers' budget is matched to: the quickstart's ACMix before the
# adaptive defaults (4 epochs of every window in batches of 256, patience 3), kept so
# that the peers' rows stay comparable across estimator changes.
PEER_BUDGET = {"horizon": 24, "context_length": 96, "max_epochs": 4, "batch_size": 256}
DEFAULT_MODELS = ("ACMix", *NEURAL_MODELS, "SeasonalNaive", "AutoETS", "Naive")
LTSF_MODELS = ("PatchTST", "NHITS", "DLinear")
SMOKE_BUDGET = {"max_steps": 5, "val_check_steps": 5, "windows_batch_size": 64,
                "early_stop_patience_steps": 3}  # fmt: skip


@dataclass
class Planned:
    """One run to do: its identity, its settings, how to run it and how to check it."""

    task: str
    model: str
    seed: int
    settings: dict
    run: Callable[[], Outcome]
    check: Callable[[pd.DataFrame], dict | None]
    windows: dict

    def key(self) -> str:
        """Identity in the runs file: a run is redone only when one of these changes."""
        fields = {"task": self.task, "model": self.model, "seed": self.seed,
                  "settings": self.settings, "windows": self.windows}  # fmt: skip
        return json.dumps(fields, sort_keys=True, default=str)


def missing_library(model: str) -> str | None:
    """The library a model needs when it is not installed, else None."""
    needs = "neuralforecast" if model in NEURAL_MODELS else None
    needs = "statsforecast" if model in STATS_MODELS else needs
    return needs if needs and importlib.util.find_spec(needs) is None else None


def seeds_of(model: str, seeds: list[int]) -> list[int]:
    """Seeds for the trained models; one run (seed 0) for the deterministic ones."""
    return seeds if model in ACMIX_VARIANTS or model in NEURAL_MODELS else [0]


def forecast_column(model: str) -> str:
    """The backtest column holding ``model``'s forecasts: ``ACMix`` for every ACMix variant."""
    return "ACMix" if model in ACMIX_VARIANTS else model


def acmix_budget(df: pd.DataFrame, windows: Windows, params: dict) -> tuple[int, dict]:
    """The validation tail of the fitting rows and the peers' budget matched to ACMix's."""
    acmix = ACMixForecaster(**params).get_params()
    if not isinstance(acmix.get("max_epochs"), int):
        raise ValueError(
            "The budget rule needs PEER_BUDGET['max_epochs'] (an int): the peers' "
            f"max_steps are ACMix's epochs x steps per epoch. Got {acmix.get('max_epochs')!r}."
        )
    horizon, context = acmix["horizon"], acmix["context_length"]
    context = context if isinstance(context, int) else 96  # "auto": the peers' input_size
    val_size = default_val_size(windows.first_cut, horizon)
    per_series = windows.first_cut - val_size - context - horizon + 1
    train_windows = df["unique_id"].nunique() * per_series
    patience = acmix["early_stopping_patience"] or acmix["max_epochs"]
    budget = matched_budget(train_windows, acmix["batch_size"], acmix["max_epochs"], patience)
    return val_size, budget


def naive_outcome(df: pd.DataFrame, windows: Windows) -> Outcome:
    """The last value at each cutoff (the quickstart's Naive), timed like the others."""
    with Clock() as clock:
        cv = naive_backtest(df, windows)
    fit_rows = history(df, windows)
    latency, calls = median_latency(lambda: fit_rows.groupby("unique_id", sort=False).tail(1))
    return Outcome(cv, clock.wall, clock.cpu, clock.wall, latency, calls, {})


def quickstart_plan(args: argparse.Namespace, task: str = "quickstart") -> list[Planned]:
    """The runs of ``task`` (a key of ``TASK_WINDOWS``): the same windows for every model."""
    windows = SMOKE if args.smoke else TASK_WINDOWS[task]
    df = quickstart_frame(windows.rows)
    reference = naive_backtest(df, windows)
    smoke = {"max_epochs": 1, "n_models": 1, "trend": True}
    params = {**ACMIX_QUICKSTART, **smoke} if args.smoke else dict(ACMIX_QUICKSTART)
    val_size, budget = acmix_budget(df, windows, PEER_BUDGET)
    if args.smoke:
        budget = SMOKE_BUDGET
    cv_kwargs = {"n_windows": windows.n_windows, "step_size": windows.step_size,
                 "val_size": val_size}  # fmt: skip
    check = partial(check_same_windows, reference=reference)
    plan = []
    for model in args.models:
        for seed in seeds_of(model, args.seeds):
            if model in ACMIX_VARIANTS:
                variant = {**params, **ACMIX_VARIANTS[model]}
                settings = {**variant, "random_state": seed}
                run = partial(run_acmix, df, windows, variant, seed)
            elif model in NEURAL_MODELS:
                settings = neural_settings(model, windows.horizon, budget, seed)
                run = partial(run_neural, df, model, settings, cv_kwargs, history(df, windows))
                settings = settings | {"cross_validation": cv_kwargs | {"refit": False}}
            elif model in STATS_MODELS:
                settings = {"input_size": args.stats_input_size}
                run = partial(run_stats, df, windows, model, args.stats_input_size)
            else:
                settings, run = {}, partial(naive_outcome, df, windows)
            plan.append(Planned(task, model, seed, settings, run, check, asdict(windows)))
    return plan


def ltsf_plan(args: argparse.Namespace) -> list[Planned]:
    """ETTh1 L=96 H=96 on the protocol: the neuralforecast models, matched to the harness.

    The harness trains ``RunSpec``'s default budget: epochs of every training window
    (7 variables each) in batches of ``batch_size``, patience on validation MSE.
    """
    long, info = ltsf_frame("ETTh1", 96)
    wide = long.pivot(index="ds", columns="unique_id", values="y")
    wide = wide.loc[:, long["unique_id"].unique()].to_numpy()
    test = load_splits("ETTh1", 96).test
    if not np.array_equal(wide[-len(test) :], test):
        raise AssertionError("the long frame's test rows differ from ltsf_protocol's")
    spec = RunSpec("ETTh1", "ACMix", 96, 96, 0)
    train_windows = info["split"]["train"][1] - 96 - 96 + 1
    budget = matched_budget(train_windows, spec.batch_size, spec.max_epochs, spec.patience,
                            channels=wide.shape[1])  # fmt: skip
    cv_kwargs = {"n_windows": None, "test_size": info["test_size"],
                 "val_size": info["val_size"], "step_size": 1}  # fmt: skip
    check = partial(check_ltsf_windows, info=info, horizon=96)
    plan = []
    for model in (m for m in args.models if m in LTSF_MODELS):
        for seed in args.seeds:
            settings = neural_settings(model, 96, budget, seed)
            run = partial(run_neural, long, model, settings, cv_kwargs, None)
            settings = settings | {"cross_validation": cv_kwargs | {"refit": False}}
            plan.append(Planned("ltsf", model, seed, settings, run, check, info["split"]))
    return plan


def execute(plan: list[Planned], runs_file: Path, info: dict) -> None:
    """Run every planned run not yet in ``runs_file``, appending each record."""
    done = {r["key"] for r in read_runs(runs_file)}
    for item in plan:
        missing = missing_library(item.model)
        if missing:
            print(f"skip {item.model}: {missing} is not installed (pip install -e '.[peers]')")
            continue
        if item.key() in done:
            continue
        outcome = item.run()
        checks = item.check(outcome.cv)
        record = {
            "key": item.key(), "task": item.task, "model": item.model, "seed": item.seed,
            **score(outcome.cv, forecast_column(item.model)), **(checks or {}),
            "fit_wall_s": outcome.fit_wall_s, "fit_cpu_s": outcome.fit_cpu_s,
            "cv_wall_s": outcome.cv_wall_s, "predict_calls": outcome.predict_calls,
            "predict_ms": None if outcome.predict_s is None else 1e3 * outcome.predict_s,
            "settings": outcome.settings | item.settings, "training": outcome.training,
            "torch_threads": torch.get_num_threads(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"), "versions": versions(),
            "device": info["device"], "commit": info["git_commit"],
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }  # fmt: skip
        with runs_file.open("a") as handle:
            handle.write(json.dumps(record, default=str) + "\n")
        print(f"{item.task} {item.model} seed={item.seed}: mae {record['mae']:.4f} "
              f"mse {record['mse']:.4f} (fit {outcome.fit_wall_s:.1f} s)", flush=True)  # fmt: skip


def machine() -> dict:
    """``_measure.environment`` plus the device in words."""
    info = environment("cuda" if torch.cuda.is_available() else "cpu")
    info["device"] = info["gpu"] or f"CPU ({info['cpu_count']} cores)"
    return info


def report(
    runs_file: Path,
    out_dir: Path,
    wall: float,
    info: dict | None = None,
    ltsf_runs: Path = RESULTS / "ltsf_runs.jsonl",
) -> None:
    """Write peers.md and peers.json from every run recorded so far.

    ``info``: the machine and versions of the last invocation (default: this one's).
    """
    runs = read_runs(runs_file)
    summary = summarise(runs)
    info = info or machine() | {"versions": versions()}
    lines = report_lines(runs, summary, harness_rows(ltsf_runs), info)
    payload = {
        "machine": info, "last_invocation_wall_seconds": wall,
        "summary": {f"{t}|{m}": {k: v for k, v in row.items() if k != "runs"}
                    for (t, m), row in summary.items()},
        "runs_file": runs_file.name,
    }  # fmt: skip
    write_results(out_dir, "peers", lines, payload)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["quickstart", "ltsf"],
                        choices=[*TASK_WINDOWS, "ltsf"])  # fmt: skip
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS),
                        help="ACMix (and the other ACMIX_VARIANTS), Naive, NHITS, PatchTST, "
                        "DLinear, SeasonalNaive, AutoETS, AutoTheta, AutoARIMA "
                        "(ltsf: PatchTST, NHITS, DLinear)")  # fmt: skip
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument(
        "--stats-input-size",
        type=int,
        help="rows of history the statistical models fit on (default: all)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument("--runs-file", type=Path, help="default: <out-dir>/peers_runs.jsonl")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="2 windows on 2,000 rows, "
        "Naive, SeasonalNaive, ACMix (1 epoch) and NHITS (5 steps) (< 60 s)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.tasks, args.seeds = ["quickstart"], [0]
        args.models = ["Naive", "SeasonalNaive", "ACMix", "NHITS"]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    runs_file = args.runs_file or args.out_dir / "peers_runs.jsonl"
    start = time.perf_counter()
    info = machine()
    for task in (t for t in TASK_WINDOWS if t in args.tasks):
        execute(quickstart_plan(args, task), runs_file, info)
    if "ltsf" in args.tasks:
        execute(ltsf_plan(args), runs_file, info)
    report(runs_file, args.out_dir, time.perf_counter() - start)
    print(f"wrote {args.out_dir / 'peers.md'} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
