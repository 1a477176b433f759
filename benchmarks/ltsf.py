"""Long-horizon benchmark (docs/benchmarks.md §1): ACMix, its fusion ablations, DLinear, Repeat.

Every run (dataset, model, look-back, horizon, seed) is appended to a JSON-lines file as
soon as it finishes, so a long benchmark can be run in pieces, on different machines,
and resumed; ``--report`` (run after every invocation) turns all runs into
``ltsf.md`` / ``ltsf.json``. Runs already in the file with the same settings are skipped.

Examples
--------
python -m benchmarks.ltsf --datasets ETTh1 ETTh2 --models ACMix DLinear Repeat
python -m benchmarks.ltsf --datasets ETTh1 --models ACMix-gate ACMix-conv --seeds 0 1 2
python -m benchmarks.ltsf --search-lookback --datasets ETTh1 --models ACMix
python -m benchmarks.ltsf --smoke --out-dir /tmp/ltsf_smoke
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from benchmarks._measure import environment
from benchmarks.ltsf_protocol import DEFAULT_HORIZONS, HORIZONS, LOOKBACK, RunSpec, load_splits, run
from benchmarks.ltsf_report import (
    BEST_96,
    PUBLISHED_96,
    PUBLISHED_SEARCHED,
    SEARCH_HORIZON,
    average_table,
    averages,
    chosen_lookback,
    horizon_table,
    read_runs,
    select_lookback_rows,
)

RESULTS = Path(__file__).resolve().parent / "results"
SEARCH_LOOKBACKS = (336, 720, 1440)  # the searched table's candidates (issue 16) ...
LONG_SEARCH = {"ETTm1": (2880,), "ETTm2": (2880,), "weather": (2880,)}  # ... plus these
FIXED_LOOKBACK = {"PatchTST": 512}  # rows of the searched table that are not searched


def machine() -> dict:
    """Where the numbers come from: ``_measure.environment`` plus the device in words."""
    info = environment("cuda" if torch.cuda.is_available() else "cpu")
    info["device"] = info["gpu"] or f"CPU ({info['cpu_count']} cores)"
    return info


def search_lookbacks(dataset: str, model: str, given: list[int] | None) -> tuple[int, ...]:
    """The candidate look-backs of ``model`` on ``dataset`` in the searched table."""
    if model in FIXED_LOOKBACK:
        return (FIXED_LOOKBACK[model],)
    return tuple(given) if given else SEARCH_LOOKBACKS + LONG_SEARCH.get(dataset, ())


def cell(
    args: argparse.Namespace, dataset: str, model: str, lookback: int, horizon: int, seed: int
) -> RunSpec:
    """The spec of one table cell, with the run settings of ``args``."""
    return RunSpec(dataset, model, lookback, horizon, seed, max_epochs=args.epochs,
                   batch_size=args.batch_size, learning_rate=args.learning_rate,
                   train_windows=args.train_windows)  # fmt: skip


def specs(args: argparse.Namespace, runs: list[dict] | None = None) -> list[tuple[str, RunSpec]]:
    """The (table, spec) pairs to run.

    The searched table first runs H=96 at every candidate L; given the ``runs`` so far,
    the other horizons then run at the L chosen on validation (:func:`chosen_lookback`).
    """
    out = []
    for dataset in args.datasets:
        horizons = args.horizons or HORIZONS.get(dataset, DEFAULT_HORIZONS)
        for model in args.models:
            # Seeds outermost: a first full 4-horizon average comes early in a long run.
            for seed in [0] if model == "Repeat" else args.seeds:
                if args.search_lookback:
                    out += searched_specs(args, (dataset, model, seed), horizons, runs or [])
                    continue
                lookback = LOOKBACK.get(dataset, 96)
                out += [("L96", cell(args, dataset, model, lookback, h, seed)) for h in horizons]
    return out


def searched_specs(
    args: argparse.Namespace, where: tuple[str, str, int], horizons: list[int], runs: list[dict]
) -> list[tuple[str, RunSpec]]:
    """H=96 at every candidate L, then the other horizons at the chosen L (once known)."""
    dataset, model, seed = where
    candidates = search_lookbacks(dataset, model, args.lookbacks)
    out = [("searched", cell(args, dataset, model, L, SEARCH_HORIZON, seed)) for L in candidates]
    best = chosen_lookback(runs, where, candidates)
    if best is not None:
        out += [("searched", cell(args, dataset, model, best, h, seed))
                for h in horizons if h != SEARCH_HORIZON]  # fmt: skip
    return out


def execute(args: argparse.Namespace, runs_file: Path) -> None:
    """Run every missing spec, appending each result to ``runs_file``."""
    info = machine()
    cache: dict = {}
    while True:  # the searched table's later horizons become known as its H=96 runs end
        runs = read_runs(runs_file)
        done = {(r["table"], r["key"]) for r in runs}
        todo = [(t, s) for t, s in specs(args, runs) if (t, s.key(args.overrides)) not in done]
        if not todo:
            return
        table, spec = todo[0]
        key = spec.key(args.overrides)
        if (spec.dataset, spec.context_length) not in cache:
            cache.clear()
            cache[(spec.dataset, spec.context_length)] = load_splits(
                spec.dataset, spec.context_length
            )
        splits = cache[(spec.dataset, spec.context_length)]
        result = run(spec, splits, args.overrides, {"precision": args.precision})
        record = {"table": table, "key": key, **vars(spec), **result,
                  "overrides": args.overrides, "precision": args.precision,
                  "device": info["device"], "commit": info["git_commit"],
                  "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}  # fmt: skip
        with runs_file.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        print(
            f"{spec.dataset} {spec.model} L={spec.context_length} H={spec.horizon} "
            f"seed={spec.seed}: mse {result['mse']:.4f} mae {result['mae']:.4f} "
            f"({result['epochs']} ep, {result['seconds']:.0f}s)",
            flush=True,
        )


def report(runs_file: Path, out_dir: Path, wall: float, info: dict | None = None) -> None:
    """Write ltsf.md and ltsf.json from every run recorded so far.

    ``info``: the machine of the last invocation (default: this one).
    """
    runs = read_runs(runs_file)
    fixed = averages(runs, "L96")
    searched = averages(select_lookback_rows(runs), "searched")
    devices = sorted({r["device"] for r in runs})
    lines = [
        "# Long-horizon benchmark (docs/benchmarks.md §1)", "",
        "Measured rows come from `benchmarks/ltsf.py` (this repository); published rows are "
        "copied from docs/benchmarks.md (their papers). Cells: average over the 4 horizons of "
        "MSE (± std over seeds) / MAE, on data scaled with train statistics, pooled over "
        "every test window (count asserted). `–` = not run (or not all 4 horizons).", "",
        f"Devices of the measured runs: {', '.join(devices) or 'none yet'}. "
        f"Runs recorded: {len(runs)} (`benchmarks/results/ltsf_runs.jsonl`).", "",
        "## Look-back 96 (ILI 36)", "",
        *average_table(fixed, PUBLISHED_96, BEST_96), "",
        "Rows marked † (e.g. **ACMix †**) were trained on a fresh random subset of the "
        "training windows each epoch "
        "(`--train-windows`, a CPU budget for the long datasets: ETTm1/ETTm2 8,640 = "
        "ETTh1's count, weather 4,096; the size is in the per-horizon table); validation "
        "and test use every window. Unmarked rows and the published ones trained on all "
        "windows. "
        "ILI rows were run with `--batch-size 32` (its training split holds only ~600 "
        "windows), every other row with 128.", "",
        "## Look-back searched on validation", "",
        "Labelled separately: never compare with the L=96 table. Per dataset (and seed) "
        "ACMix's L is chosen at H=96 on the validation MSE from {336, 720, 1440} (plus 2880 "
        "for ETTm1, ETTm2 and weather); every horizon then runs at that L. PatchTST here is "
        "the PatchTST-style network of the same width (`acmix_ts.nn.PatchTSTNetwork`) at "
        "L=512, trained in the same harness and budget.", "",
        *average_table(searched, PUBLISHED_SEARCHED, None), "",
        "## Every measured horizon", "", *horizon_table(fixed), "",
        "### Searched look-back (L picked at H=96 per dataset and seed on validation MSE)", "",
        *horizon_table(searched), "",
    ]  # fmt: skip
    (out_dir / "ltsf.md").write_text("\n".join(lines) + "\n")
    payload = {
        "machine": info or machine(), "last_invocation_wall_seconds": wall,
        "L96": {f"{m}|{d}": v for (m, d), v in fixed.items()},
        "searched": {f"{m}|{d}": v for (m, d), v in searched.items()},
    }  # fmt: skip
    (out_dir / "ltsf.json").write_text(json.dumps(payload, indent=1, default=str) + "\n")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["ETTh1", "ETTh2"])
    parser.add_argument("--models", nargs="+", default=["ACMix", "DLinear", "Repeat"],
                        help="ACMix, ACMix-<fusion> (scalar, gate, token_gate, attention, "
                        "conv), ACMix-multiscale, DLinear, Repeat")  # fmt: skip
    parser.add_argument("--horizons", nargs="+", type=int)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--precision", default="32-true", help="Lightning precision")
    parser.add_argument(
        "--overrides", type=json.loads, default=None, help="network config overrides as JSON"
    )
    parser.add_argument(
        "--train-windows", type=int,
        help="random training windows per epoch (default: all); a CPU budget for the long "
        "datasets, marked in the report",
    )  # fmt: skip
    parser.add_argument("--search-lookback", action="store_true")
    parser.add_argument("--lookbacks", nargs="+", type=int)
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument("--runs-file", type=Path, help="default: <out-dir>/ltsf_runs.jsonl")
    parser.add_argument(
        "--smoke", action="store_true", help="ETTh1, H=96, 1 seed, 1 epoch, 3 models (~1 min)"
    )
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.smoke:
        args.datasets, args.horizons, args.seeds, args.epochs = ["ETTh1"], [96], [0], 1
        args.models = ["ACMix", "DLinear", "Repeat"]
        args.overrides = {"d_model": 16, "n_blocks": 1}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    runs_file = args.runs_file or args.out_dir / "ltsf_runs.jsonl"
    start = time.perf_counter()
    execute(args, runs_file)
    report(runs_file, args.out_dir, time.perf_counter() - start)
    print(f"wrote {args.out_dir / 'ltsf.md'} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
