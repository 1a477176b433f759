"""Summary and Markdown report of the efficiency benchmark.

:func:`summarise` reduces the measured rows to one entry per (model, L) (medians over
the eager repetitions, throughput ratio to PatchTST within a repetition),
:func:`exponents` fits the growth exponents, :func:`compile_speedups` compares compiled
with eager runs, and :func:`build_report` writes ``NAME.md`` and ``NAME.json``.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from benchmarks._measure import loglog_slope, write_results
from benchmarks.efficiency_measure import MODELS


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
    optimizer = "fused AdamW" if s.get("fused_adamw") else "AdamW"  # older runs: the loop
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
        f"Step: forward + backward + {optimizer} step of the bare network (no Lightning, no "
        f"data loading), batch {s['batch_size']}, horizon {s['horizon']}, one target, random "
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
    "bf16, with and without torch.compile) come from `python -m benchmarks.efficiency "
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


def build_report(
    out_dir: Path, name: str, results: dict[str, Any], meta: dict[str, Any], echo: bool = True
) -> None:
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
    if echo:
        print("\n".join(lines))
