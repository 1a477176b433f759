"""Tune ACMix's defaults on the VALIDATION split of ETTh1 (the test split is never read).

Each candidate changes a few network / optimiser settings from the defaults; the
validation MSE of the best epoch (early stopping) is recorded per horizon. Results:
``benchmarks/results/ltsf_tuning.md`` (what was tried, and the val MSE of each).

python -m benchmarks.ltsf_tune --dataset ETTh1 --horizons 96 336
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from benchmarks.ltsf_protocol import RunSpec, load_splits, run

RESULTS = Path(__file__).resolve().parent / "results"
CANDIDATES: dict[str, dict] = {
    "default": {},
    "d_model=32": {"d_model": 32},
    "d_model=128": {"d_model": 128},
    "dropout=0.3": {"dropout": 0.3},
    "n_blocks=3": {"n_blocks": 3},
    "patch 16/16": {"patch_stride": 16},
    "patch 8/4": {"patch_len": 8, "patch_stride": 4},
    "window=4": {"window_size": 4},
    "kernel=5": {"kernel_size": 5},
    "fusion=gate": {"fusion": "gate"},
    "lr=3e-4": {"__lr": 3e-4},
}


def write_report(runs_file: Path, out_dir: Path | None = None) -> Path:
    """Render every tuning record of ``runs_file`` as a Markdown table (beside it, or in
    ``out_dir``)."""
    records = [json.loads(line) for line in runs_file.read_text().splitlines() if line.strip()]
    lines = [
        "# Tuning ACMix's defaults on the validation split (test never read)", "",
        "Command: `python -m benchmarks.ltsf_tune`; one seed (0); L=96; early stopping on "
        "validation, max 10 epochs. Candidates change the listed settings of the defaults "
        "(d_model 64, 2 blocks, patch 16/8, window 8 tokens, kernel 3, dropout 0.1, "
        "scalar fusion, learning rate 1e-3).", "",
        "| candidate | dataset | H | val MSE | epochs | seconds |", "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in records:
        lines.append(
            f"| {r['candidate']} | {r['dataset']} | {r['horizon']} | {r['val_mse']:.4f} | "
            f"{r['epochs']} | {r['seconds']} |"
        )
    lines += seed_spread_lines(runs_file.parent / "ltsf_runs.jsonl", records)
    tried = {r["candidate"] for r in records}
    missing = [name for name in CANDIDATES if name not in tried]
    if missing:
        lines += ["", f"Not run yet (CPU time): {', '.join(missing)}."]
    out = (out_dir or runs_file.parent) / runs_file.with_suffix(".md").name
    out.write_text("\n".join(lines) + "\n")
    return out


def seed_spread_lines(runs_file: Path, records: list[dict]) -> list[str]:
    """How much the default's validation MSE moves with the seed alone, per tuned horizon.

    Read from the benchmark's runs (same protocol, default settings, seeds 0, 1, 2): a
    candidate inside that range is not distinguishable from the default on one seed.
    """
    if not runs_file.is_file():
        return []
    lines = []
    for dataset, horizon in sorted({(r["dataset"], r["horizon"]) for r in records}):
        vals = sorted(
            run["val_mse"]
            for run in map(json.loads, runs_file.read_text().splitlines())
            if (run["table"], run["model"], run["dataset"], run["horizon"])
            == ("L96", "ACMix", dataset, horizon)
            and run["overrides"] is None and not run.get("train_windows")
        )  # fmt: skip
        if len(vals) > 1:
            lines.append(
                f"- {dataset} H={horizon}: the default's val MSE over {len(vals)} "
                f"seeds spans {vals[0]:.4f}–{vals[-1]:.4f} (`ltsf_runs.jsonl`)."
            )
    return ["", "Seed noise, for reading the table:", *lines] if lines else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="ETTh1")
    parser.add_argument("--horizons", nargs="+", type=int, default=[96, 336])
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS / "ltsf_tuning.jsonl")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.report_only:
        print(f"wrote {write_report(args.out)}")
        return 0
    splits = load_splits(args.dataset, 96)
    for name in args.candidates:
        overrides = dict(CANDIDATES[name])
        lr = overrides.pop("__lr", 1e-3)
        for horizon in args.horizons:
            spec = RunSpec(args.dataset, "ACMix", 96, horizon, 0, args.epochs, learning_rate=lr)
            start = time.perf_counter()
            result = run(spec, splits, overrides, score_test=False)
            record = {"candidate": name, "dataset": args.dataset, "horizon": horizon,
                      "val_mse": result["val_mse"], "epochs": result["epochs"],
                      "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
            print(json.dumps(record), flush=True)
            with args.out.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
    write_report(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
