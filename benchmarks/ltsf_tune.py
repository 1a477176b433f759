"""Tune ACMix's defaults on the VALIDATION split of ETTh1 (the test split is never read).

Each candidate changes a few network / optimiser settings from the defaults; the
validation MSE of the best epoch (early stopping) is recorded per horizon. Results:
``benchmarks/results/ltsf_tuning.md`` (what was tried, and the val MSE of each).

python benchmarks/ltsf_tune.py --dataset ETTh1 --horizons 96 336
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ltsf_protocol import RunSpec, load_splits, run

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="ETTh1")
    parser.add_argument("--horizons", nargs="+", type=int, default=[96, 336])
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS / "ltsf_tuning.jsonl")
    args = parser.parse_args(argv)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
