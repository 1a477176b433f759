"""Tuned against default ACMix in one run: the real-world suite and ETTh1 H=96.

Writes ``benchmarks/results/tuning.md`` (and ``tuning.json``). Two parts, each resumable:

- ``realworld``: the real-world suite (``benchmarks.realworld``) with the models ``ACMix``
  (defaults) and ``ACMix-tuned`` (:class:`~acmix_ts.tuning.AutoACMixForecaster` under
  ``realworld_models.TUNING_BUDGET``), recorded under ``results/tuning/``. The study's
  trials score the last validation windows of each training part; the test windows are
  read once, by the fitted best estimator.
- ``ltsf``: an Optuna study over the network's settings on ETTh1's validation split at
  H=96 (L=96, :func:`benchmarks.ltsf_protocol.run` with ``score_test=False``), stored in
  a journal file so that it resumes; then the default and the best setting trained and
  scored on the test split, with the same training-window budget (†).

python -m benchmarks.tuning realworld --datasets a10 ausbeer
python -m benchmarks.tuning ltsf --trials 8 --train-windows 2048
python -m benchmarks.tuning report
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks._measure import write_results
from benchmarks.ltsf_protocol import RunSpec, load_splits, run
from benchmarks.ltsf_report import read_runs
from benchmarks.realworld_report import aggregate, cells, relative_mase, select

RESULTS = Path(__file__).resolve().parent / "results"
REALWORLD_DIR = RESULTS / "tuning"
LTSF_RUNS = RESULTS / "tuning_ltsf_runs.jsonl"
LTSF_JOURNAL = RESULTS / "tuning_ltsf_journal.log"
MODELS = ("SeasonalNaive", "ACMix", "ACMix-tuned")
# The network's settings searched on ETTh1 (ACMixConfig fields; learning rate apart).
LTSF_SPACE: dict[str, tuple[Any, ...]] = {
    "d_model": ("categorical", (32, 64, 128)),
    "n_blocks": ("int", 1, 3),
    "patch_stride": ("categorical", (4, 8, 16)),
    "window_size": ("categorical", (4, 8, 16)),
    "kernel_size": ("categorical", (3, 5)),
    "fusion": ("categorical", ("scalar", "gate", "token_gate", "attention", "conv")),
    "dropout": ("float", 0.0, 0.3, False),
    "learning_rate": ("float", 3e-4, 3e-3, True),
}


def run_realworld(datasets: list[str] | None, threads: int) -> None:
    """The suite's ``ACMix`` and ``ACMix-tuned`` rows (and the baseline) in one run."""
    from benchmarks import realworld

    argv = ["--models", *MODELS, "--out-dir", str(REALWORLD_DIR), "--threads", str(threads)]
    realworld.main(argv + (["--datasets", *datasets] if datasets else []))


def ltsf_spec(params: dict, seed: int, train_windows: int) -> tuple[RunSpec, dict]:
    """The protocol's run of one setting: the spec (learning rate) and network overrides."""
    overrides = {k: v for k, v in params.items() if k != "learning_rate"}
    spec = RunSpec("ETTh1", "ACMix", 96, 96, seed, train_windows=train_windows,
                   learning_rate=params.get("learning_rate", 1e-3))  # fmt: skip
    return spec, overrides


def run_ltsf(trials: int, train_windows: int, seed: int) -> None:
    """Search on the validation split, then default and best on test (same budget)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from acmix_ts.tuning import TrialReporter, suggest

    splits = load_splits("ETTh1", 96)

    def objective(trial: Any) -> float:
        spec, overrides = ltsf_spec(suggest(trial, LTSF_SPACE, 96), seed, train_windows)
        result = run(spec, splits, overrides, {"callbacks": [TrialReporter(trial)]},
                     score_test=False)  # fmt: skip
        return float(result["val_mse"])

    storage = JournalStorage(JournalFileBackend(str(LTSF_JOURNAL)))
    study = optuna.create_study(
        study_name=f"ETTh1-H96-seed{seed}-tw{train_windows}", storage=storage,
        load_if_exists=True, sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_warmup_steps=2),
    )  # fmt: skip
    finished = sum(t.state.is_finished() for t in study.trials)
    if finished < trials:
        study.optimize(objective, n_trials=trials - finished)
    done = {r["row"] for r in read_runs(LTSF_RUNS)}
    for row, params in (("default", {}), ("tuned", study.best_params)):
        if row in done:
            continue
        spec, overrides = ltsf_spec(params, seed, train_windows)
        result = run(spec, splits, overrides)
        record = {"row": row, "params": params, "study": study.study_name,
                  "trials": len(study.trials), "train_windows": train_windows,
                  **result}  # fmt: skip
        print(json.dumps(record), flush=True)
        with LTSF_RUNS.open("a") as handle:
            handle.write(json.dumps(record) + "\n")


def report(source: Path = RESULTS, out: Path = RESULTS) -> Path:
    """``tuning.md`` / ``tuning.json`` in ``out`` from the runs recorded in ``source``."""
    runs = read_runs(source / "tuning" / "realworld_runs.jsonl")
    table = cells(select(runs, "test"))
    mase = {k: v["mase"] for k, v in table.items()}
    relative = relative_mase(mase)
    lines = ["# Tuned against default ACMix, in one run", "",
             "Command: `python -m benchmarks.tuning realworld` then `... ltsf`, then "
             "`... report`. Selection on validation windows only; test reported.", "",
             "## Real-world suite (MASE / SeasonalNaive, test windows)", "",
             "Budget per dataset: `AutoACMixForecaster` with "
             f"{_budget()} over `DEFAULT_SPACE`; trials scored on the last 2 horizons of "
             "each training part (before the first test origin).", "",
             "| dataset | ACMix (default) | ACMix-tuned | fusion chosen | other settings chosen |",
             "|---|---|---|---|---|"]  # fmt: skip
    for dataset in sorted({d for d, _ in table}):
        default, tuned = relative.get((dataset, "ACMix")), relative.get((dataset, "ACMix-tuned"))
        chosen = table.get((dataset, "ACMix-tuned"), {}).get("settings", {})
        others = ", ".join(f"{k}={v}" for k, v in chosen.items() if k != "fusion")
        lines.append(f"| {dataset} | {_cell(default)} | {_cell(tuned)} | "
                     f"{chosen.get('fusion', '')} | {others} |")  # fmt: skip
    both = {k: v for k, v in mase.items()
            if all((k[0], m) in mase for m in MODELS)}  # fmt: skip
    overall = {m: a["geomean_relative_mase"] for m, a in aggregate(both).items()}
    lines += ["", "Geometric mean over the datasets where all three ran: "
              + ", ".join(f"{m} {_cell(overall.get(m))}" for m in MODELS) + ".", ""]  # fmt: skip
    ltsf_runs = read_runs(source / LTSF_RUNS.name)
    lines += ltsf_lines(ltsf_runs) + budget_cost_line(source / "ltsf_runs.jsonl")
    write_results(out, "tuning", lines,
                  {"realworld": {f"{m}|{d}": v for (d, m), v in relative.items()},
                   "ltsf": ltsf_runs})  # fmt: skip
    return out / "tuning.md"


def budget_cost_line(ltsf_runs: Path) -> list[str]:
    """What the † budget costs the default: its full-data runs (seed 0) in ``ltsf_runs``."""
    full = [r for r in read_runs(ltsf_runs)
            if (r["table"], r["model"], r["dataset"], r["horizon"], r["seed"])
            == ("L96", "ACMix", "ETTh1", 96, 0)
            and not r.get("overrides") and not r.get("train_windows")]  # fmt: skip
    if not full:
        return []
    r = full[-1]
    return [
        "",
        f"The budget's cost: the default trained on every window (`ltsf_runs.jsonl`, "
        f"seed 0) reached val MSE {r['val_mse']:.4f}, test MSE {r['mse']:.4f}.",
    ]


def ltsf_lines(records: list[dict]) -> list[str]:
    if not records:
        return ["## ETTh1 H=96", "", "Not run yet."]
    lines = ["## ETTh1 H=96 (L=96, multivariate, channel-independent)", "",
             f"Study `{records[-1]['study']}`: {records[-1]['trials']} trials on the "
             "validation split (journal `tuning_ltsf_journal.log`); † "
             f"{records[-1].get('train_windows', '')} random training windows per epoch, "
             "max 10 epochs, patience 3, for the trials and both rows.", "",
             "| row | val MSE | test MSE | test MAE | epochs | seconds | settings |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in records:
        lines.append(
            f"| {r['row']} | {r['val_mse']:.4f} | {r['mse']:.4f} | {r['mae']:.4f} | "
            f"{r['epochs']} | {r['seconds']:.0f} | {r['params'] or 'defaults'} |"
        )
    return lines


def _budget() -> str:
    from benchmarks.realworld_models import TUNING_BUDGET

    return ", ".join(f"{k}={v}" for k, v in TUNING_BUDGET.items())


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=("realworld", "ltsf", "report"))
    parser.add_argument("--datasets", nargs="+", help="real-world datasets (default: all)")
    parser.add_argument("--trials", type=int, default=8, help="ltsf: trials of the study")
    parser.add_argument("--train-windows", type=int, default=2048, help="ltsf: † budget")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.part == "realworld":
        run_realworld(args.datasets, args.threads)
    elif args.part == "ltsf":
        import torch

        torch.set_num_threads(args.threads)
        run_ltsf(args.trials, args.train_windows, args.seed)
    print(f"wrote {report()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
