"""Memory and time of one training step of ACMixNetwork as the look-back grows (CPU).

Runs forward + backward of the DEFAULT ACMixNetwork (channel independent, one target,
d_model 64, patch 16 / stride 8, window 8 tokens, 2 blocks, horizon 96, batch 8) at
context lengths 1024, 2048, 4096 and 8192, each in a FRESH process, and fits the growth
exponent (slope of log cost against log L; 1 = linear, 2 = quadratic). The same is done
for the full-attention variant (``window_size=None``) as a control.

Memory, measured two ways with the helpers of ``benchmarks/_measure.py``:

- ``step_peak_mib``: peak resident set size during the steps (its peak reset just
  before them) minus the resident set size then, after imports, model and batch are
  built: what the operating system sees, including gradients and allocator slack.
- ``saved_mib``: bytes of the tensors autograd saves for the backward pass in one step
  (each storage once): the activation memory that grows with L, allocator-free.

Time: median wall time of ``--steps`` forward + backward steps after one warm-up step.
The wider benchmark (optimizer step, PatchTST and DLinear, throughput ratios, predict
latency) is ``benchmarks/efficiency.py``; this one stays as the network-only view.

Usage: ``python benchmarks/nn_memory.py [--threads 1] [--steps 3]``; writes
``benchmarks/results/nn_memory.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _measure import (
    MIB,
    RESULTS,
    SavedTensorBytes,
    current_rss_mib,
    environment,
    load_average,
    loglog_slope,
    peak_rss_mib,
    reset_peak_rss,
    run_child,
    write_results,
)

LENGTHS = (1024, 2048, 4096, 8192)
VARIANTS = {"windowed (default)": {}, "full attention": {"window_size": None}}
BATCH, HORIZON = 8, 96
COSTS = ("step_peak_mib", "saved_mib", "seconds_per_step")


def child(variant: str, length: int, steps: int, threads: int) -> dict[str, Any]:
    """One (variant, L) measurement; runs in its own process."""
    import torch

    from acmix_ts.nn import ACMixConfig, ACMixNetwork

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = ACMixConfig(context_length=length, horizon=HORIZON, **VARIANTS[variant])
    net = ACMixNetwork(config)
    y = torch.randn(BATCH, length, 1)
    target = torch.randn(BATCH, HORIZON, 1, 1)

    def step() -> None:
        loss = (net(y) - target).square().mean()
        loss.backward()
        net.zero_grad(set_to_none=True)

    rss_before, peak_reset = current_rss_mib(), reset_peak_rss()
    step()  # warm-up; also the memory peak
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    step_peak = peak_rss_mib() - rss_before
    with SavedTensorBytes() as saved:
        loss = (net(y) - target).square().mean()
    loss.backward()
    return {
        "variant": variant,
        "context_length": length,
        "n_tokens": config.n_tokens,
        "n_parameters": sum(p.numel() for p in net.parameters()),
        "step_peak_mib": step_peak,
        "peak_reset": peak_reset,
        "saved_mib": saved.nbytes / MIB,
        "seconds_per_step": statistics.median(times),
    }


def write_report(rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    """Write the table and the fitted exponents to ``benchmarks/results/nn_memory.*``."""
    fits = {}
    for variant in VARIANTS:
        sub = [r for r in rows if r["variant"] == variant]
        xs = [r["context_length"] for r in sub]
        fits[variant] = {key: loglog_slope(xs, [r[key] for r in sub]) for key in COSTS}
    lines = [
        "# ACMixNetwork: memory and time of a training step vs. look-back (CPU)",
        "",
        f"Machine: {meta['cpu']}; torch {meta['torch']}; {meta['threads']} thread(s); "
        f"git {meta['git_commit']}; {meta['date']}; wall time {meta['wall_seconds']:.0f} s; "
        f"load average (1/5/15 min) {meta['load_average_start']} at start, "
        f"{meta['load_average_end']} at end (the machine was shared: times are noisy).",
        f"Model: default ACMixConfig (d_model 64, patch 16/8, window 8, 2 blocks), "
        f"batch {BATCH}, horizon {HORIZON}, one target; forward + backward, each size in a "
        f"fresh process. Script: `benchmarks/nn_memory.py`.",
        "",
        "| variant | L | tokens | params | step peak RSS (MiB) | saved for backward (MiB) "
        "| s / step |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['context_length']} | {r['n_tokens']} | {r['n_parameters']:,} "
            f"| {r['step_peak_mib']:.1f} | {r['saved_mib']:.1f} | {r['seconds_per_step']:.3f} |"
        )
    lines += [
        "",
        "Fitted exponents (slope of log cost vs. log L; 1 = linear, 2 = quadratic):",
        "",
        "| variant | step peak RSS | saved for backward | time |",
        "|---|---|---|---|",
    ]
    for variant, fit in fits.items():
        lines.append(
            f"| {variant} | {fit['step_peak_mib']:.2f} | {fit['saved_mib']:.2f} "
            f"| {fit['seconds_per_step']:.2f} |"
        )
    lines += [
        "",
        "Step peak RSS = peak resident set size during the steps (peak reset through "
        "/proc/self/clear_refs) minus the resident set just before them (includes "
        "gradients and allocator slack). Saved for backward = bytes of the tensors autograd "
        "keeps, counted with saved_tensors_hooks. RSS slopes below 1 come from a part of "
        "the step's memory that does not grow with L (allocator arenas, thread-pool "
        "buffers). CPU scaled_dot_product_attention without a mask does not materialise "
        "T x T scores, so full attention shows its cost in time more than in memory. "
        "`benchmarks/efficiency.py` adds the optimizer step, the baselines and throughput.",
    ]
    write_results(RESULTS, "nn_memory", lines, {**meta, "rows": rows, "exponents": fits})
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per size")
    parser.add_argument("--child", type=json.loads, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(**args.child)))
        return
    started, load_start = time.perf_counter(), load_average()
    rows = []
    for variant in VARIANTS:
        for length in LENGTHS:
            spec = {"variant": variant, "length": length, "steps": args.steps}
            row = run_child(Path(__file__), {**spec, "threads": args.threads}, timeout=600)
            if "variant" not in row:
                raise RuntimeError(f"{variant}, L={length}: {row['status']}")
            rows.append(row)
            print(rows[-1], file=sys.stderr)
    meta = {
        **environment(),
        "threads": args.threads,
        "batch": BATCH,
        "horizon": HORIZON,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "load_average_start": load_start,
        "load_average_end": load_average(),
    }
    write_report(rows, meta)


if __name__ == "__main__":
    main()
