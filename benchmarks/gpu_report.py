"""The summary of ``benchmarks/gpu.sh``: ``gpu.md`` in its output folder.

It names the device, links the two efficiency tables (fp32, bf16), gives the ETTh1
L=96 table's wall time and per-horizon test MSE, and sets bf16's validation loss at
H=96 against fp32's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks._measure import environment, write_results
from benchmarks.ltsf_report import read_runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--ltsf-wall", type=float, required=True)
    parser.add_argument("--total-wall", type=float, required=True)
    args = parser.parse_args(argv)
    fp32 = read_runs(args.out / "ltsf_fp32" / "ltsf_runs.jsonl")
    bf16 = read_runs(args.out / "ltsf_bf16" / "ltsf_runs.jsonl")
    device = fp32[0]["device"] if fp32 else "?"
    lines = ["# GPU tables (`bash benchmarks/gpu.sh`)", "",
             f"Device: {device}; commit {environment()['git_commit']}; whole script "
             f"{args.total_wall:.0f} s.", "",
             "- Efficiency: `efficiency_gpu_fp32.md` and `efficiency_gpu_bf16.md` beside "
             "this file.",
             f"- ETTh1 L=96 table (ACMix, seed 0, every horizon): {args.ltsf_wall:.0f} s "
             "wall.", "",
             "| H | precision | val MSE | test MSE | test MAE | epochs | seconds |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for run in sorted(fp32, key=lambda r: r["horizon"]) + bf16:
        lines.append(f"| {run['horizon']} | {run['precision']} | {run['val_mse']:.4f} | "
                     f"{run['mse']:.4f} | {run['mae']:.4f} | {run['epochs']} | "
                     f"{run['seconds']:.0f} |")  # fmt: skip
    at_96 = {r["precision"]: r["val_mse"] for r in fp32 + bf16 if r["horizon"] == 96}
    if len(at_96) == 2:
        ratio = at_96["bf16-mixed"] / at_96["32-true"]
        lines += ["", f"bf16 against fp32 validation MSE at H=96: {ratio:.3f}x."]
    payload = {"device": device, "ltsf_wall_seconds": args.ltsf_wall,
               "total_wall_seconds": args.total_wall, "runs": fp32 + bf16}  # fmt: skip
    write_results(args.out, "gpu", lines, payload)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
