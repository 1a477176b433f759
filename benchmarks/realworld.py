"""Real-world suite (docs/benchmarks.md §4): R textbook series, rolling origin, MASE.

Every run (split, dataset, model, seed) is appended to ``realworld_runs.jsonl`` as soon as
it finishes, so the suite can be run in pieces and resumed: a run already in the file
(status ok) is skipped, a failed one is tried again. ``realworld.md`` / ``realworld.json``
are rewritten from every recorded run after each invocation.

Files: this script is the command line and the run loop; ``realworld_data.py`` (with
``realworld_sources.py``) holds the datasets, ``realworld_protocol.py`` the windows and
metrics, ``realworld_models.py`` (with ``realworld_external.py``) the model runners and
``realworld_report.py`` the tables.

Examples
--------
OMP_NUM_THREADS=1 python -m benchmarks.realworld                      # all datasets, models
python -m benchmarks.realworld --datasets a10 ausbeer --models SeasonalNaive ACMix
python -m benchmarks.realworld --split val --models ACMix ACMix-no-season --seeds 0 1 2
python -m benchmarks.realworld --smoke --out-dir /tmp/realworld_smoke
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks._measure import environment, write_results
from benchmarks.ltsf_report import read_runs
from benchmarks.realworld_data import DATASETS, SMOKE_DATASETS, Dataset, load
from benchmarks.realworld_models import MODELS, OWN_MODELS, SMOKE_ACMIX_KWARGS, Runner, Task
from benchmarks.realworld_protocol import make_windows, score
from benchmarks.realworld_report import render

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_MAX_WINDOWS = 4
SMOKE_MAX_WINDOWS = 1
SMOKE_OWN_MODELS = ("SeasonalNaive", "Naive", "ACMix")


def cpu_seconds() -> float:
    """CPU time of this process (every thread) and of its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_key(split: str, dataset: str, model: str, seed: int, smoke: bool) -> str:
    """Identity of a run in the JSON-lines file (smoke runs never count as full ones)."""
    return f"{split}|{dataset}|{model}|{seed}" + ("|smoke" if smoke else "")


def dataset_info(data: Dataset, windows) -> dict:
    """What the report says about a dataset (stored with each run)."""
    lengths = data.frame.groupby("unique_id").size()
    return {"name": data.name, "source": data.source, "kind": data.kind, "series": len(lengths),
            "min_length": int(lengths.min()), "max_length": int(lengths.max()),
            "freq": data.freq, "season_length": data.season_length, "horizon": data.horizon,
            "windows": windows.n_windows, "test_windows": windows.test_windows,
            "covariates": list(data.covariates), "notes": list(data.notes)}  # fmt: skip


def run_one(runner: Runner, task: Task) -> dict:
    """Run and score one model; a failure is returned as a status, never raised.

    The model's packages are imported before the clocks start: import time is not fit time.
    """
    for package in (runner.requires, *runner.warm_imports):
        if package:
            importlib.import_module(package)
    wall, cpu = time.perf_counter(), cpu_seconds()
    try:
        forecast = runner(task)
        metrics = score(forecast.frame, task.windows, task.season_length)
    except Exception as e:  # one bad model or dataset must not stop the suite
        status = f"failed: {type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
        return {"status": status, "wall_s": time.perf_counter() - wall,
                "cpu_s": cpu_seconds() - cpu}  # fmt: skip
    return {"status": "ok", **metrics, "wall_s": time.perf_counter() - wall,
            "cpu_s": cpu_seconds() - cpu, "notes": forecast.notes,
            "settings": forecast.settings}  # fmt: skip


def runnable_models(names: list[str]) -> list[str]:
    """The models whose package is installed; the others are skipped with the reason."""
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SystemExit(f"unknown models {unknown}; choose from {', '.join(MODELS)}")
    kept = []
    for name in names:
        reason = MODELS[name].missing()
        if reason:
            print(f"skip {name}: {reason}", flush=True)
        else:
            kept.append(name)
    return kept


def record(
    args: argparse.Namespace, key: str, model: str, seed: int, result: dict, info: dict, commit: str
) -> dict:
    """One line of the JSON-lines file."""
    finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return {"key": key, "split": args.split, "dataset": info["name"], "model": model,
            "seed": seed, "smoke": args.smoke, **result, "refit": MODELS[model].refit,
            "data": info, "commit": commit, "finished": finished}  # fmt: skip


def execute(args: argparse.Namespace, runs_file: Path) -> int:
    """Run every missing (dataset, model, seed) of the split; returns the runs made."""
    done = {r["key"] for r in read_runs(runs_file) if r["status"] == "ok" and not args.rerun}
    models, commit, made = runnable_models(args.models), environment()["git_commit"], 0
    extra = SMOKE_ACMIX_KWARGS if args.smoke else {}
    for dataset in args.datasets:
        data = windows = None
        for model in models:
            for seed in args.seeds if MODELS[model].seeded else [0]:
                key = run_key(args.split, dataset, model, seed, args.smoke)
                if key in done:
                    continue
                if data is None:
                    data = load(dataset)
                    windows = make_windows(data.frame, data.horizon, args.split, args.windows)
                task = Task(windows, data.freq, data.season_length, seed, extra)
                result = run_one(MODELS[model], task)
                line = record(args, key, model, seed, result, dataset_info(data, windows), commit)
                with runs_file.open("a") as handle:
                    handle.write(json.dumps(line) + "\n")
                made += 1
                mase = f"MASE {result['mase']:.3f}" if result["status"] == "ok" else ""
                print(f"{args.split} {dataset} {model} seed={seed}: {result['status']} {mase} "
                      f"({result['wall_s']:.1f} s)", flush=True)  # fmt: skip
    return made


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=list(DATASETS),
        choices=DATASETS,
        metavar="NAME",
        help=f"default: all ({', '.join(DATASETS)})",
    )
    parser.add_argument(
        "--models", nargs="+", default=list(MODELS), help=f"default: all ({', '.join(MODELS)})"
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument(
        "--split",
        choices=("test", "val"),
        default="test",
        help="val: the windows before the test windows (choose defaults)",
    )
    parser.add_argument(
        "--windows",
        type=int,
        default=DEFAULT_MAX_WINDOWS,
        help="most windows per dataset (fewer on short series)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="2 small datasets, 1 window, own models (+ stats if installed)",
    )
    parser.add_argument(
        "--rerun", action="store_true",
        help="run again where an ok run is recorded (after a default changed; the latest counts)",
    )  # fmt: skip
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (torch, BLAS)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.datasets, args.windows, args.seeds = list(SMOKE_DATASETS), SMOKE_MAX_WINDOWS, [0]
        stats = [m for m in MODELS if MODELS[m].requires == "statsforecast"]
        own = [m for m in OWN_MODELS if m in SMOKE_OWN_MODELS]  # not the ACMix ablations
        args.models = [*own, *(m for m in stats if MODELS[m].missing() is None)]
    return args


def limit_threads(threads: int) -> None:
    """One process, ``threads`` threads: torch, OpenMP/BLAS pools and any child process."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                 "NUMBA_NUM_THREADS"):  # fmt: skip
        os.environ[name] = str(threads)
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    limit_threads(args.threads)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    runs_file = args.out_dir / "realworld_runs.jsonl"
    start = time.perf_counter()
    made = execute(args, runs_file)
    wall = time.perf_counter() - start
    info = environment()
    info["threads"] = args.threads
    lines, payload = render(read_runs(runs_file), info, wall)
    write_results(args.out_dir, "realworld", lines, payload)
    print(f"{made} runs made; wrote {args.out_dir / 'realworld.md'} ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
