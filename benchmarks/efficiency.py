"""Training throughput, peak memory and predict latency as the look-back grows.

Protocol: ``design/BENCHMARKS.md`` section 2. For every look-back L and every model
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

Usage::

    python benchmarks/efficiency.py                     # CPU -> results/efficiency.{md,json}
    python benchmarks/efficiency.py --device cuda --precision bf16 --compile
    python benchmarks/efficiency.py --smoke --out-dir /tmp/eff   # tiny, under a minute
"""

from __future__ import annotations

import argparse
import gc
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

# name -> (class in acmix_ts.nn, ACMixConfig overrides, label)
MODELS: dict[str, tuple[str, dict[str, Any], str]] = {
    "acmix": ("ACMixNetwork", {}, "ACMix, windowed (default)"),
    "acmix_full": ("ACMixNetwork", {"window_size": None}, "ACMix, full attention"),
    "patchtst": ("PatchTSTNetwork", {}, "PatchTST-style, full attention"),
    "dlinear": ("DLinear", {}, "DLinear"),
}
# Network variants of ``--profile``: which part of ACMix costs what, next to PatchTST.
PROFILE_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "PatchTST-style": ("PatchTSTNetwork", {}),
    "ACMix (default)": ("ACMixNetwork", {}),
    "ACMix, attention path only": ("ACMixNetwork", {"fusion": "attention"}),
    "ACMix, conv path only": ("ACMixNetwork", {"fusion": "conv"}),
    "ACMix, full attention": ("ACMixNetwork", {"window_size": None}),
    "PatchTST-style, dropout 0": ("PatchTSTNetwork", {"dropout": 0.0}),
    "ACMix (default), dropout 0": ("ACMixNetwork", {"dropout": 0.0}),
}
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


# ------------------------------------------------------------- measurements
def _sync_and_oom(device: str) -> tuple[Any, type[BaseException]]:
    """(synchronise, out-of-memory exception) for ``device``."""
    import torch

    if device == "cuda":
        return torch.cuda.synchronize, torch.OutOfMemoryError
    return (lambda: None), MemoryError


def _timed(step: Any, n: int, sync: Any) -> list[float]:
    """Wall seconds of ``n`` calls of ``step``, synchronised before and after each."""
    times = []
    for _ in range(n):
        sync()
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    return times


def _setup(spec: dict[str, Any], model: str) -> tuple[Any, Any, Any, Any]:
    """Network, AdamW, input batch (B, L, 1) and target (B, H, 1) of ``spec`` on its device.

    ``model`` is a key of :data:`MODELS` or of :data:`PROFILE_VARIANTS`.
    """
    import torch

    import acmix_ts.nn as networks

    torch.manual_seed(spec["seed"])
    class_name, overrides = {**MODELS, **PROFILE_VARIANTS}[model][:2]
    config = networks.ACMixConfig(spec["lookback"], spec["horizon"], **overrides)
    network = getattr(networks, class_name)(config).to(spec["device"])
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-3)
    y = torch.randn(spec["batch_size"], spec["lookback"], 1, device=spec["device"])
    target = torch.randn(spec["batch_size"], spec["horizon"], 1, device=spec["device"])
    return network, optimizer, y, target


def _step_fn(run: Any, optimizer: Any, y: Any, target: Any, bf16: bool) -> Any:
    """A closure running one training step: forecast, MSE, backward, AdamW step."""
    import torch

    def step() -> None:
        with torch.autocast(y.device.type, dtype=torch.bfloat16, enabled=bf16):
            forecast = run(y)  # (B, H, 1, 1)
        loss = torch.nn.functional.mse_loss(forecast[..., 0].float(), target)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def _saved_mib(network: Any, y: Any, bf16: bool) -> float:
    """MiB that autograd saves for backward in one forward pass of the eager network."""
    import torch

    with SavedTensorBytes() as saved, torch.autocast(y.device.type, torch.bfloat16, bf16):
        forecast = network(y)
    forecast.float().sum().backward()
    network.zero_grad(set_to_none=True)
    return saved.nbytes / MIB


def measure_training(spec: dict[str, Any]) -> dict[str, Any]:
    """Throughput and memory of one (model, L); see the module docstring."""
    import torch

    device, bf16 = spec["device"], spec["precision"] == "bf16"
    sync, _ = _sync_and_oom(device)
    network, optimizer, y, target = _setup(spec, spec["model"])
    if spec["compile"]:
        import torch._inductor.config as inductor_config

        torch._dynamo.reset()  # a fresh cache, so no earlier model forces an eager fallback
        inductor_config.force_disable_caches = True  # the first step is a cold compile
    step = _step_fn(
        torch.compile(network) if spec["compile"] else network, optimizer, y, target, bf16
    )
    rss_before, peak_reset = current_rss_mib(), reset_peak_rss()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    first = _timed(step, spec["warmup"], sync)
    median = statistics.median(_timed(step, spec["steps"], sync))
    row: dict[str, Any] = {
        "status": "ok",
        "n_parameters": sum(p.numel() for p in network.parameters()),
        "n_tokens": None if spec["model"] == "dlinear" else network.config.n_tokens,
        "step_seconds": median,
        "first_step_seconds": first[0] if first else None,
        "throughput": spec["batch_size"] / median,
    }
    if device == "cuda":
        row["memory_mib"] = torch.cuda.max_memory_allocated() / MIB
    elif spec["isolate"]:  # the RSS of a process that ran other models is not comparable
        row.update(memory_mib=peak_rss_mib() - rss_before, peak_reset=peak_reset)
    else:
        row["memory_mib"] = None
    if not spec["compile"]:
        row["saved_mib"] = _saved_mib(network, y, bf16)
    return row


def run_training(spec: dict[str, Any]) -> dict[str, Any]:
    """:func:`measure_training`, with out-of-memory and compile failures as a status."""
    import torch

    _, oom = _sync_and_oom(spec["device"])
    try:
        row = measure_training(spec)
    except oom:
        row = {"status": "OOM"}
    except Exception as e:  # a failing torch.compile is a result, not a crash
        if "out of memory" in str(e).lower():  # e.g. wrapped by the compiler
            row = {"status": "OOM"}
        elif spec["compile"]:
            row = {"status": f"compile failed: {type(e).__name__}: {str(e)[:160]}"}
        else:
            raise
    gc.collect()
    if spec["device"] == "cuda":
        torch.cuda.empty_cache()
    return row


def synthetic_panel(n_series: int, n_steps: int, seed: int) -> Any:
    """Long frame of noisy daily sinusoids: ``unique_id``, ``ds`` (hourly), ``y``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, (n_series, 1))
    y = 10 + 3 * np.sin(2 * np.pi * np.arange(n_steps) / 24 + phase)
    y = y + rng.normal(0, 0.3, (n_series, n_steps))
    ds = pd.date_range("2024-01-01", periods=n_steps, freq="h")
    ids = np.repeat([f"s{i}" for i in range(n_series)], n_steps)
    return pd.DataFrame({"unique_id": ids, "ds": np.tile(ds, n_series), "y": y.reshape(-1)})


def measure_predict(spec: dict[str, Any]) -> dict[str, Any]:
    """Fit ACMixForecaster for one epoch, then time ``predict(df=...)`` (median of calls)."""
    import torch

    from acmix_ts import ACMixForecaster

    device, context, horizon = spec["device"], spec["predict_context"], spec["predict_horizon"]
    trainer_kwargs: dict[str, Any] = {"accelerator": "gpu" if device == "cuda" else "cpu"}
    if spec["precision"] == "bf16":
        trainer_kwargs["precision"] = "bf16-mixed"
    model = ACMixForecaster(
        horizon=horizon,
        context_length=context,
        max_epochs=1,
        batch_size=32,
        random_state=spec["seed"],
        trainer_kwargs=trainer_kwargs,
    )
    start = time.perf_counter()
    model.fit(synthetic_panel(8, context + 3 * horizon + 64, spec["seed"]))
    result: dict[str, Any] = {"fit_seconds": time.perf_counter() - start, "latency": []}
    model.network_.to(device)  # fit returns it on the CPU; predict runs where it lives
    sync, _ = _sync_and_oom(device)
    for n_series in spec["predict_series"]:
        history = synthetic_panel(n_series, context, spec["seed"] + 1)
        model.predict(df=history)  # warm-up
        calls = _timed(lambda h=history: model.predict(df=h), spec["predict_calls"], sync)
        x = torch.randn(n_series, context, 1, device=device)
        with torch.no_grad():
            forward = _timed(lambda x=x: model.network_(x), spec["predict_calls"], sync)
        result["latency"].append(
            {
                "n_series": n_series,
                "predict_ms": 1e3 * statistics.median(calls),
                "forward_ms": 1e3 * statistics.median(forward),
            }
        )
    return result


def measure_profile(spec: dict[str, Any]) -> dict[str, Any]:
    """Where the step time goes: network variants timed side by side, operator tables."""
    from torch.profiler import ProfilerActivity, profile

    cuda, bf16 = spec["device"] == "cuda", spec["precision"] == "bf16"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    tables = {}
    for model in ("acmix", "patchtst"):
        step = _step_fn(*_setup(spec, model), bf16=bf16)
        for _ in range(3):
            step()
        with profile(activities=activities) as prof:
            for _ in range(5):
                step()
        sort = "self_device_time_total" if cuda else "self_cpu_time_total"
        tables[model] = prof.key_averages().table(sort_by=sort, row_limit=14)
    return {"tables": tables, "variants_ms": _variant_times(spec, rounds=20)}


def _variant_times(spec: dict[str, Any], rounds: int) -> dict[str, float]:
    """Median step ms of each of :data:`PROFILE_VARIANTS`, interleaved round by round."""
    sync, _ = _sync_and_oom(spec["device"])
    bf16 = spec["precision"] == "bf16"
    steps = {name: _step_fn(*_setup(spec, name), bf16=bf16) for name in PROFILE_VARIANTS}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(3 + rounds):
        for name, step in steps.items():
            times[name] += _timed(step, 1, sync)
    return {name: 1e3 * statistics.median(t[3:]) for name, t in times.items()}


# ------------------------------------------------------------------ summary
def summarise(rows: list[dict[str, Any]], settings: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per (model, L): medians over the eager repetitions, ratio to PatchTST."""
    eager = [r for r in rows if not r["compiled"]]
    ok = {(r["model"], r["lookback"], r["repeat"]): r for r in eager if r["status"] == "ok"}
    table = []
    for lookback in settings["lookbacks"]:
        for model in settings["models"]:
            mine = [r for r in eager if (r["model"], r["lookback"]) == (model, lookback)]
            good = [r for r in mine if r["status"] == "ok"]
            entry: dict[str, Any] = {"model": model, "lookback": lookback}
            entry["status"] = "ok" if good else (mine[0]["status"] if mine else "not run")
            if not good:
                table.append(entry)
                continue
            throughput = [r["throughput"] for r in good]
            ratios = [
                r["throughput"] / ok[("patchtst", lookback, r["repeat"])]["throughput"]
                for r in good
                if ("patchtst", lookback, r["repeat"]) in ok
            ]
            entry.update(
                n_tokens=good[0]["n_tokens"],
                n_parameters=good[0]["n_parameters"],
                throughput=statistics.median(throughput),
                throughput_min=min(throughput),
                throughput_max=max(throughput),
                ratio_to_patchtst=statistics.median(ratios) if ratios else None,
                saved_mib=statistics.median(r["saved_mib"] for r in good),
                memory_mib=_median_or_none([r["memory_mib"] for r in good]),
            )
            table.append(entry)
    return table


def _median_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def exponents(summary: list[dict[str, Any]], fit_from: int) -> dict[str, dict[str, Any]]:
    """Growth exponent per model of time per sample, saved bytes and peak memory in L."""
    fits = {}
    for model in dict.fromkeys(e["model"] for e in summary):
        sub = [e for e in summary if e["model"] == model and e["status"] == "ok"]
        sub = [e for e in sub if e["lookback"] >= fit_from]
        xs = [e["lookback"] for e in sub]
        fits[model] = {
            "time_per_sample": loglog_slope(xs, [1 / e["throughput"] for e in sub]),
            "saved_for_backward": loglog_slope(xs, [e["saved_mib"] for e in sub]),
            "peak_memory": loglog_slope(xs, [e["memory_mib"] or float("nan") for e in sub]),
            "lookbacks": xs,
        }
    return fits


def compile_speedups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Compiled ÷ eager throughput of each (model, L), both from the first repetition."""
    eager = {(r["model"], r["lookback"]): r for r in rows if not r["compiled"] and not r["repeat"]}
    out = []
    for row in (r for r in rows if r["compiled"]):
        base = eager.get((row["model"], row["lookback"]), {})
        entry = {"model": row["model"], "lookback": row["lookback"], "status": row["status"]}
        if row["status"] == "ok" and base.get("status") == "ok":
            entry["speedup"] = row["throughput"] / base["throughput"]
            entry["compile_seconds"] = row["first_step_seconds"]
        out.append(entry)
    return out


# ------------------------------------------------------------------- report
def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "–" if value is None else format(value, spec)


def _header(meta: dict[str, Any]) -> list[str]:
    s = meta["settings"]
    machine = f"{meta['cpu']} ({meta['cpu_count']} logical CPUs)"
    if s["device"] == "cuda":
        machine = f"{meta['gpu']}, host {machine}"
    threads = f"{s['threads']} intra-op thread(s); " if s["device"] == "cpu" else ""
    where = "a fresh process per measurement" if s["isolate"] else "one process"
    return [
        f"# Training throughput, memory and predict latency vs look-back "
        f"({s['device']}, {s['precision']})",
        "",
        f"Machine: {machine}. torch {meta['torch']}, pytorch-lightning "
        f"{meta['pytorch_lightning']}, acmix_ts {meta['acmix_ts']}, Python {meta['python']}; "
        f"git {meta['git_commit']}; {meta['date']}.",
        f"Command: `{meta['command']}`; wall time {meta['wall_seconds']:.0f} s; load average "
        f"(1/5/15 min) {meta['load_average_start']} at start, {meta['load_average_end']} at "
        "end (other jobs shared the machine: compare models by the ratios, measured in the "
        "same repetition, not by absolute times).",
        f"Step: forward + backward + AdamW step of the bare network (no Lightning, no data "
        f"loading), batch {s['batch_size']}, horizon {s['horizon']}, one target, random "
        f"data, seed {s['seed']}; {s['warmup']} warm-up + {s['steps']} timed steps; "
        f"{s['repeats']} interleaved repetition(s); {threads}{where}.",
    ]


def _training_table(summary: list[dict[str, Any]], device: str) -> list[str]:
    memory = "peak allocated" if device == "cuda" else "peak RSS delta"
    lines = [
        f"| model | L | tokens | params | samples/s median [min, max] | ms / sample "
        f"| ÷ PatchTST | saved for backward (MiB) | {memory} (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in summary:
        head = f"| {MODELS[e['model']][2]} | {e['lookback']} |"
        if e["status"] != "ok":
            lines.append(f"{head} | | {e['status']} | | | | |")
            continue
        lines.append(
            f"{head} {e['n_tokens'] or '–'} | {e['n_parameters']:,} | {e['throughput']:,.0f} "
            f"[{e['throughput_min']:,.0f}, {e['throughput_max']:,.0f}] "
            f"| {1e3 / e['throughput']:.3f} | {_fmt(e['ratio_to_patchtst'])} "
            f"| {e['saved_mib']:.1f} | {_fmt(e['memory_mib'], '.1f')} |"
        )
    return lines


def _exponent_table(fits: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| model | time / sample | saved for backward | peak memory |", "|---|---|---|---|"]
    for model, f in fits.items():
        lines.append(
            f"| {MODELS[model][2]} | {_fmt(f['time_per_sample'])} "
            f"| {_fmt(f['saved_for_backward'])} | {_fmt(f['peak_memory'])} |"
        )
    return lines


def _claims(summary: list[dict[str, Any]], fits: dict[str, dict[str, Any]]) -> list[str]:
    """The targets of the efficiency issue, checked against this run's numbers."""
    lines = []
    mine = fits.get("acmix", {})
    if mine.get("time_per_sample") is not None:
        worst = max(mine["time_per_sample"], mine["saved_for_backward"] or 0.0)
        lines.append(
            f"- ACMix windowed time and activation memory grow ~linearly (exponent <= 1.2): "
            f"{'holds' if worst <= 1.2 else 'does NOT hold'} (time "
            f"{mine['time_per_sample']:.2f}, saved for backward "
            f"{_fmt(mine['saved_for_backward'])}, peak memory {_fmt(mine['peak_memory'])})."
        )
        for model in ("acmix_full", "patchtst"):
            other = fits.get(model, {})
            if other.get("time_per_sample") is None:
                continue
            faster = other["time_per_sample"] > mine["time_per_sample"]
            lines.append(
                f"- {MODELS[model][2]}: time grows {'faster' if faster else 'NOT faster'} than "
                f"ACMix windowed ({other['time_per_sample']:.2f} vs "
                f"{mine['time_per_sample']:.2f}); saved for backward "
                f"{_fmt(other['saved_for_backward'])}, peak memory {_fmt(other['peak_memory'])}."
            )
    at512 = [e for e in summary if (e["model"], e["lookback"]) == ("acmix", 512)]
    if at512 and at512[0].get("ratio_to_patchtst") is not None:
        ratio = at512[0]["ratio_to_patchtst"]
        lines.append(
            f"- ACMix training throughput at L=512 >= the PatchTST-style baseline: "
            f"{'holds' if ratio >= 1 else 'does NOT hold'} (ratio {ratio:.2f})."
        )
    return lines or ["- Not enough look-backs in this run to check them."]


def _compile_table(speedups: list[dict[str, Any]], asked: bool) -> list[str]:
    if not asked:
        return ["Not measured in this run (`--compile` not given)."]
    lines = ["| model | L | compiled ÷ eager throughput | first (compiling) step (s) |"]
    lines.append("|---|---|---|---|")
    for s in speedups:
        status = _fmt(s.get("speedup")) if s["status"] == "ok" else s["status"]
        first = _fmt(s.get("compile_seconds"), ".1f")
        lines.append(f"| {MODELS[s['model']][2]} | {s['lookback']} | {status} | {first} |")
    return lines


def _predict_table(predict: dict[str, Any] | None, s: dict[str, Any]) -> list[str]:
    if predict is None:
        return ["Not run (`--no-predict`)."]
    if "latency" not in predict:
        return [f"Failed: {predict.get('status')}"]
    lines = [
        f"ACMixForecaster (default network), context {s['predict_context']}, horizon "
        f"{s['predict_horizon']}, fitted for 1 epoch ({predict['fit_seconds']:.1f} s) on 8 "
        f"synthetic series; `predict(df=history)` with one context of history per series "
        f"(validation, scaling, forward, output frame); median of {s['predict_calls']} "
        "calls after a warm-up call. Network forward: the same forward on random input.",
        "",
        "| series | predict(df) (ms) | network forward alone (ms) |",
        "|---|---|---|",
    ]
    for r in predict["latency"]:
        lines.append(f"| {r['n_series']:,} | {r['predict_ms']:.1f} | {r['forward_ms']:.1f} |")
    return lines


def _profile_section(profile: dict[str, Any], lookback: int) -> list[str]:
    if "tables" not in profile:
        return ["## Profile", "", f"Failed: {profile.get('status')}", ""]
    base = profile["variants_ms"]["PatchTST-style"]
    lines = [
        "## Profile",
        "",
        f"Training step at L={lookback} of network variants, built and timed side by side in "
        "one process (interleaved, median of 20 rounds):",
        "",
        "| variant | ms / step | ÷ PatchTST-style |",
        "|---|---|---|",
    ]
    for name, ms in profile["variants_ms"].items():
        lines.append(f"| {name} | {ms:.1f} | {ms / base:.2f} |")
    for model, table in profile["tables"].items():
        lines += ["", f"Operators of 5 training steps, {MODELS[model][2]}, L={lookback}:", ""]
        lines += ["```", table.rstrip(), "```"]
    return [*lines, ""]


GPU_PENDING = (
    "Pending: this file was measured on CPU only. The GPU tables (L up to 65,536, fp32 and "
    "bf16, with and without torch.compile) come from `python benchmarks/efficiency.py "
    "--device cuda [--precision bf16] [--compile]`, which writes `efficiency_cuda*.md` "
    "naming the GPU."
)
NOTES = (
    "Throughput = batch / median step time. ÷ PatchTST = median over repetitions of the "
    "throughput ratio to the PatchTST-style baseline of the same repetition. Saved for "
    "backward = bytes of the tensors autograd keeps in one step (each storage once; "
    "parameters read by backward included), counted with saved_tensors_hooks: activation "
    "memory, independent of the allocator. Peak RSS delta = peak resident set during the "
    "warm-up and timed steps (peak reset through /proc/self/clear_refs) minus the resident "
    "set before them: gradients, AdamW state, activations and allocator slack, part of "
    "which does not grow with L. Parameters grow with L through the flatten head "
    "(tokens x d_model -> horizon). Exponents: least-squares slope of log(cost) on log(L); "
    "1 = linear, 2 = quadratic. CPU scaled_dot_product_attention without a mask runs a "
    "flash kernel that never builds the T x T scores, so full attention shows its cost in "
    "time more than in memory."
)


def build_report(out_dir: Path, name: str, results: dict[str, Any], meta: dict[str, Any]) -> None:
    """Summarise the measurements and write ``name.md`` and ``name.json`` to ``out_dir``."""
    s = meta["settings"]
    summary = summarise(results["rows"], s)
    fits = exponents(summary, s["fit_from"])
    speedups = compile_speedups(results["rows"])
    lines = [*_header(meta), "", "## Training step", "", *_training_table(summary, s["device"])]
    lines += ["", f"## Growth exponents (log-log slope over L >= {s['fit_from']})", ""]
    lines += [*_exponent_table(fits), "", "## Targets checked", "", *_claims(summary, fits)]
    lines += ["", "## torch.compile", "", *_compile_table(speedups, s["compile"]), ""]
    lines += ["## predict latency", "", *_predict_table(results["predict"], s), ""]
    if results["profile"] is not None:
        lines += _profile_section(results["profile"], s["profile"])
    if s["device"] == "cpu":
        lines += ["## GPU", "", GPU_PENDING, ""]
    lines += ["## How to read it", "", NOTES]
    payload = {**meta, "summary": summary, "exponents": fits, "compile": speedups, **results}
    write_results(out_dir, name, lines, payload)
    print("\n".join(lines))


# ------------------------------------------------------------ orchestration
def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement (``spec['kind']``) in this process."""
    import torch

    if spec["device"] == "cpu":
        torch.set_num_threads(spec["threads"])
    kinds = {"train": run_training, "predict": measure_predict, "profile": measure_profile}
    return kinds[spec["kind"]](spec)


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``spec`` in a fresh process when ``spec['isolate']``, else here."""
    if spec["isolate"]:
        return run_child(Path(__file__), spec, spec["timeout"])
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
        "command": "python benchmarks/efficiency.py " + " ".join(argv or sys.argv[1:]),
    }
    build_report(args.out_dir, args.name, results, meta)


if __name__ == "__main__":
    main()
