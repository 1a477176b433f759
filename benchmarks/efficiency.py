"""Training throughput, peak memory and predict latency as the look-back grows.

Protocol: ``docs/benchmarks.md`` §2. For every look-back L and every model
(ACMix windowed = the default config, ACMix with full attention, the PatchTST-style
full-attention baseline of the same width, DLinear), a training step is forward +
backward + AdamW step of the bare network in a plain loop (no Lightning, no data
loading) on a fixed batch of random data, horizon 96, one target. ``--warmup`` steps
run first, then ``--steps`` timed steps; throughput = batch / median step time.

- CPU: each (model, L) runs in a FRESH process with ``--threads`` intra-op threads and
  records the bytes autograd saves for backward in one step (exact, allocator-free) and
  the peak resident set size during the steps minus the resident set before them
  (gradients, AdamW state, activations, allocator slack).
- CUDA: ``torch.cuda.synchronize()`` around every timed step and
  ``torch.cuda.max_memory_allocated()`` after ``reset_peak_memory_stats()``; all
  measurements run in this process unless ``--isolate``; out-of-memory is caught and
  reported as ``OOM``. ``--precision bf16`` runs the forward under ``torch.autocast``.
- Repetitions are interleaved (L, then repetition, then model, the model order rotated
  per repetition) so that load from other jobs hits every model alike, and models are
  compared by ratios within a repetition. ``--compile`` also measures every model under
  ``torch.compile`` (first repetition, right after its eager run).
- Growth exponents: least-squares slope of log(cost) on log(L) over L >= ``--fit-from``.
- ``ACMixForecaster.predict(df=...)`` latency for 1 and 1,000 series, context 512,
  horizon 96, after fitting one epoch on a small synthetic panel.
- ``--profile L``: where the time goes at L: training steps of network variants (ACMix
  with one path only, full attention, dropout 0; PatchTST) timed side by side in one
  process, and torch.profiler operator tables of ACMix and PatchTST.

Files: this script is the command line and the measurement grid (each measurement
in a fresh process with ``--isolate``, through ``--child``); ``efficiency_measure.py``
holds the measurements themselves and ``efficiency_report.py`` the summary, the growth
exponents and the Markdown / JSON report.

Usage::

    python -m benchmarks.efficiency                     # CPU -> results/efficiency.{md,json}
    python -m benchmarks.efficiency --device cuda --precision bf16 --compile
    python -m benchmarks.efficiency --smoke --out-dir /tmp/eff   # tiny, under a minute
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._measure import RESULTS, environment, load_average, run_child
from benchmarks.efficiency_measure import MODELS, run_spec
from benchmarks.efficiency_report import build_report

CPU_LOOKBACKS = (96, 512, 2048, 8192)
CUDA_LOOKBACKS = (*CPU_LOOKBACKS, 16384, 32768, 65536)
SMOKE = {
    "lookbacks": (96, 192),
    "batch_size": 4,
    "steps": 2,
    "warmup": 1,
    "repeats": 1,
    "fit_from": 0,
    "predict_context": 64,
    "predict_horizon": 16,
    "predict_series": (1, 20),
    "predict_calls": 2,
}


# ------------------------------------------------------------ orchestration
def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``spec`` in a fresh process when ``spec['isolate']``, else here."""
    if spec["isolate"]:  # this script: its ``--child`` mode imports and calls run_spec
        return run_child("benchmarks.efficiency", spec, spec["timeout"])
    return run_spec(spec)


def run_grid(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Every (L, repetition, model[, compiled]) measurement, interleaved."""
    rows, models = [], settings["models"]
    for lookback in settings["lookbacks"]:
        for rep in range(settings["repeats"]):
            order = models[rep % len(models) :] + models[: rep % len(models)]
            for model in order:
                for compiled in (False, True) if settings["compile"] and not rep else (False,):
                    spec = {
                        **settings,
                        "kind": "train",
                        "model": model,
                        "lookback": lookback,
                        "compile": compiled,
                    }
                    load = load_average()
                    row = measure(spec)
                    row.update(
                        model=model,
                        lookback=lookback,
                        repeat=rep,
                        compiled=compiled,
                        load_before=load,
                    )
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(","))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line; ``--smoke`` overrides the sizes with :data:`SMOKE`."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = p.add_argument
    add("--device", choices=("cpu", "cuda"), default="cpu")
    add("--lookbacks", type=_ints, help="comma list (default: 96,512,2048,8192; +3 on cuda)")
    add("--models", type=lambda s: s.split(","), default=list(MODELS), help="comma list")
    add("--batch-size", type=int, default=32)
    add("--steps", type=int, default=5, help="timed steps per measurement")
    add("--warmup", type=int, default=2, help="untimed steps before them")
    add("--repeats", type=int, default=3, help="interleaved repetitions")
    add("--precision", choices=("fp32", "bf16"), default="fp32")
    add("--compile", action="store_true", help="also measure under torch.compile")
    add("--threads", type=int, default=1, help="CPU intra-op threads")
    add("--horizon", type=int, default=96)
    add("--fit-from", type=int, default=512, help="smallest L in the exponent fits")
    add("--predict-context", type=int, default=512)
    add("--predict-horizon", type=int, default=None, help="default: --horizon")
    add("--predict-series", type=_ints, default=(1, 1000), help="comma list")
    add("--predict-calls", type=int, default=5)
    add("--no-predict", action="store_true", help="skip the predict latency")
    add("--profile", type=int, metavar="L", help="also profile ACMix vs PatchTST at L")
    add(
        "--isolate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a fresh process per measurement (default: on CPU, except --smoke)",
    )
    add("--timeout", type=float, default=900.0, help="seconds per fresh process")
    add("--seed", type=int, default=0)
    add("--out-dir", type=Path, default=RESULTS)
    add("--name", default=None, help="file stem (default: efficiency[_cuda][_bf16])")
    add("--smoke", action="store_true", help="tiny sizes, under a minute; needs --out-dir")
    add("--child", type=json.loads, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        return args
    if sorted(set(args.models) - set(MODELS)):
        p.error(f"--models must be a comma list of {list(MODELS)}; got {args.models}")
    if args.smoke:
        if args.out_dir == RESULTS:
            p.error("--smoke needs --out-dir, so that it never overwrites benchmarks/results")
        vars(args).update({k: v for k, v in SMOKE.items() if k != "lookbacks"})
        args.lookbacks = args.lookbacks or SMOKE["lookbacks"]
    args.lookbacks = args.lookbacks or (CUDA_LOOKBACKS if args.device == "cuda" else CPU_LOOKBACKS)
    if args.isolate is None:
        args.isolate = args.device == "cpu" and not args.smoke
    args.predict_horizon = args.predict_horizon or args.horizon
    cuda, bf16 = args.device == "cuda", args.precision == "bf16"
    args.name = args.name or "efficiency" + "_cuda" * cuda + "_bf16" * bf16
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_spec(args.child)))
        return
    started, load_start = time.perf_counter(), load_average()
    skip = ("child", "out_dir", "name", "no_predict")
    settings = {k: v for k, v in vars(args).items() if k not in skip}
    settings["fused_adamw"] = True  # the library's optimiser (training.module.fused_supported)
    results: dict[str, Any] = {"rows": run_grid(settings), "predict": None, "profile": None}
    if not args.no_predict:
        results["predict"] = measure({**settings, "kind": "predict"})
    if args.profile:
        results["profile"] = measure({**settings, "kind": "profile", "lookback": args.profile})
    meta = {
        **environment(args.device),
        "settings": settings,
        "load_average_start": load_start,
        "load_average_end": load_average(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "command": "python -m benchmarks.efficiency " + " ".join(argv or sys.argv[1:]),
    }
    build_report(args.out_dir, args.name, results, meta)


if __name__ == "__main__":
    main()
