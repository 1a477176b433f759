"""Tables of the real-world suite: relative MASE, its geometric mean, intervals, time.

The aggregate is GIFT-Eval's: per dataset, a model's MASE / SeasonalNaive's MASE, then
the geometric mean over the datasets where both ran. Cells average over seeds.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from benchmarks.realworld_data import DATASETS, HORIZON
from benchmarks.realworld_external import (
    NEURAL_MAX_STEPS,
    NEURAL_MIN_TRAIN_WINDOWS,
    NEURAL_WINDOWS_BATCH_SIZE,
    STATS_MAX_SEASON,
    STATS_MAX_TRAIN,
)
from benchmarks.realworld_models import ACMIX_VARIANTS, MODELS, SMOKE_ACMIX_KWARGS

BASELINE = "SeasonalNaive"
METRICS = ("mase", "sql", "coverage_80", "coverage_95", "wall_s", "cpu_s")


# ------------------------------------------------------------------- numbers
def select(runs: list[dict], split: str) -> dict[tuple[str, str], list[dict]]:
    """(dataset, model) -> the latest ok run of each seed of ``split``."""
    latest: dict[str, dict] = {}
    for run in runs:
        if run["split"] == split and run["status"] == "ok":
            latest[run["key"]] = run
    out: dict = defaultdict(list)
    for run in latest.values():
        out[(run["dataset"], run["model"])].append(run)
    return dict(out)


def cells(selected: dict[tuple[str, str], list[dict]]) -> dict[tuple[str, str], dict]:
    """Mean over seeds of every metric (None where a seed has none), MASE std, notes."""
    out = {}
    for key, runs in selected.items():
        cell = {"seeds": sorted(r["seed"] for r in runs)}
        for metric in METRICS:
            values = [r.get(metric) for r in runs]
            cell[metric] = None if None in values else float(np.mean(values))
        cell["mase_std"] = float(np.std([r["mase"] for r in runs]))
        cell["notes"] = sorted({n for r in runs for n in r.get("notes", [])})
        cell["settings"] = runs[-1].get("settings", {})
        out[key] = cell
    return out


def relative_mase(mase: dict[tuple[str, str], float], baseline: str = BASELINE) -> dict:
    """(dataset, model) -> MASE / the baseline's MASE on that dataset (where both ran)."""
    return {(d, m): value / mase[(d, baseline)] for (d, m), value in mase.items()
            if (d, baseline) in mase}  # fmt: skip


def aggregate(mase: dict[tuple[str, str], float], baseline: str = BASELINE) -> dict:
    """model -> geometric mean over datasets of its relative MASE, and how many datasets."""
    by_model: dict[str, list[float]] = defaultdict(list)
    for (_, model), ratio in relative_mase(mase, baseline).items():
        by_model[model].append(ratio)
    return {m: {"geomean_relative_mase": math.exp(float(np.mean(np.log(r)))),
                "datasets": len(r)} for m, r in by_model.items()}  # fmt: skip


def best_per_dataset(mase: dict[tuple[str, str], float]) -> dict[str, str]:
    """dataset -> the model with the lowest MASE."""
    best: dict[str, tuple[float, str]] = {}
    for (dataset, model), value in mase.items():
        if dataset not in best or value < best[dataset][0]:
            best[dataset] = (value, model)
    return {d: m for d, (_, m) in best.items()}


# -------------------------------------------------------------------- tables
def _order(keys, names) -> list[str]:
    seen = {k for k in keys}
    return [n for n in names if n in seen] + sorted(seen - set(names))


def _grid(rows: list[str], columns: list[str], cell) -> list[str]:
    lines = ["| dataset | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for row in rows:
        lines.append(f"| {row} | " + " | ".join(cell(row, c) for c in columns) + " |")
    return lines


def aggregate_table(mase: dict[tuple[str, str], float]) -> list[str]:
    """Models ranked by geometric-mean relative MASE, with how often each was best."""
    agg, wins = aggregate(mase), defaultdict(int)
    for model in best_per_dataset(mase).values():
        wins[model] += 1
    lines = ["| model | geo-mean relative MASE | datasets | best on |", "|---|---|---|---|"]
    for m in sorted(agg, key=lambda m: agg[m]["geomean_relative_mase"]):
        a = agg[m]
        lines.append(f"| {m} | {a['geomean_relative_mase']:.3f} | {a['datasets']} | {wins[m]} |")
    return lines


class Cells:
    """Markdown cells of the (dataset, model) grids; ``fail`` / ``–`` where no result."""

    def __init__(self, table: dict, failures: dict) -> None:
        mase = {k: v["mase"] for k, v in table.items()}
        self.table, self.failures = table, failures
        self.relative, self.best = relative_mase(mase), best_per_dataset(mase)

    def missing(self, d: str, m: str) -> str:
        return "fail" if (d, m) in self.failures else "–"

    def relative_mase(self, d: str, m: str) -> str:
        if (d, m) not in self.relative:
            return self.missing(d, m)
        text = f"{self.relative[(d, m)]:.3f}"
        return f"**{text}**" if self.best.get(d) == m else text

    def mase(self, d: str, m: str) -> str:
        c = self.table.get((d, m))
        if c is None:
            return self.missing(d, m)
        return f"{c['mase']:.3f}" + (f" ± {c['mase_std']:.3f}" if len(c["seeds"]) > 1 else "")

    def time(self, d: str, m: str) -> str:
        c = self.table.get((d, m))
        return self.missing(d, m) if c is None else f"{c['wall_s']:.1f} / {c['cpu_s']:.1f}"


def split_section(split: str, table: dict, failures: dict) -> list[str]:
    """Aggregate, relative MASE, MASE, intervals and time tables of one split."""
    datasets = _order({d for d, _ in table}, DATASETS)
    models = _order({m for _, m in table}, list(MODELS))
    cells = Cells(table, failures)
    return [f"## Split `{split}`", "", "### Aggregate: geometric mean of MASE / "
            f"{BASELINE}'s MASE over the datasets where both ran", "",
            *aggregate_table({k: v["mase"] for k, v in table.items()}), "",
            "### Relative MASE (MASE / SeasonalNaive's; best per dataset in bold)", "",
            *_grid(datasets, models, cells.relative_mase), "", "### MASE", "",
            *_grid(datasets, models, cells.mase), "", "### Intervals", "",
            *interval_table(table, datasets, models), "",
            "### Wall / CPU seconds (per seed; CPU = process time incl. children)", "",
            *_grid(datasets, models, cells.time)]  # fmt: skip


def interval_table(table: dict, datasets: list[str], models: list[str]) -> list[str]:
    """Scaled quantile loss and coverage of the models that gave intervals."""
    lines = ["| dataset | model | scaled quantile loss | coverage 80 % | coverage 95 % |",
             "|---|---|---|---|---|"]  # fmt: skip
    for d in datasets:
        for m in models:
            c = table.get((d, m))
            if c and c["sql"] is not None:
                lines.append(f"| {d} | {m} | {c['sql']:.3f} | {c['coverage_80']:.1%} | "
                             f"{c['coverage_95']:.1%} |")  # fmt: skip
    return lines


def dataset_table(runs: list[dict]) -> list[str]:
    """Source, series, lengths, freq, season, h and windows of every dataset run."""
    info: dict[str, dict] = {}
    windows: dict[tuple[str, str], int] = {}
    for run in runs:
        info[run["dataset"]] = run["data"]
        windows[(run["dataset"], run["split"])] = run["data"]["windows"]
    lines = ["| dataset | source | series | length | freq | season | h | W test | W val | "
             "covariates (unused) | notes |", "|---" * 11 + "|"]  # fmt: skip
    for name in _order(info, DATASETS):
        d = info[name]
        length = f"{d['min_length']:,}" + (
            f"–{d['max_length']:,}" if d["max_length"] != d["min_length"] else "")  # fmt: skip
        lines.append(
            f"| {name} | {d['source']} | {d['series']} | {length} | {d['freq']} | "
            f"{d['season_length']} | {d['horizon']} | {d['test_windows']} | "
            f"{windows.get((name, 'val'), '–')} | {', '.join(d['covariates']) or '–'} | "
            f"{'; '.join(d['notes']) or '–'} |"
        )
    return lines


def model_table() -> list[str]:
    lines = ["| model | refit at every origin | intervals |", "|---|---|---|"]
    for name, runner in MODELS.items():
        lines.append(f"| {name} | {'yes' if runner.refit else 'no (fit once)'} | "
                     f"{runner.intervals} |")  # fmt: skip
    return lines


def protocol_lines(smoke: bool) -> list[str]:
    horizons = ", ".join(f"{k} {v}" for k, v in HORIZON.items())
    seasons = ", ".join(f"{k} <= {v}" for k, v in STATS_MAX_SEASON.items())
    return [
        f"- Horizons (M4 / GIFT-Eval): {horizons}. Rolling origin over the last W windows "
        "of each series, step = h; W = min(4, windows that keep >= 75 % of the shortest "
        "series before the first origin), at least 1. `--split val` drops the W·h test "
        "tail first and applies the same rule to the rest.",
        "- MASE per series and window: MAE / in-sample seasonal-naive MAE before the "
        "origin (lag 1 if the history is shorter than two seasons or that MAE is 0); "
        "mean over windows and series. Scaled quantile loss: mean pinball loss over "
        "q = 0.025, 0.1, 0.9, 0.975 (80/95 % bounds) and 0.5 (the point) / the same scale.",
        f"- statsforecast: each fit on the last {STATS_MAX_TRAIN:,} observations before "
        f"its origin; season length capped ({seasons}; above: non-seasonal).",
        f"- neuralforecast NHITS / PatchTST / DLinear: input_size = 2h (less when the "
        f"shortest training series would hold < {NEURAL_MIN_TRAIN_WINDOWS} windows), "
        f"max_steps={NEURAL_MAX_STEPS}, windows_batch_size={NEURAL_WINDOWS_BATCH_SIZE} "
        "(neuralforecast's default 1024 made NHITS 5x slower on CPU), "
        "scaler_type='standard', MAE loss, no intervals.",
        f"- ACMix variants: {ACMIX_VARIANTS} on top of `horizon=h, random_state=seed, "
        "freq=<the dataset's>`; no per-dataset settings."
        + (f" Smoke budget: {SMOKE_ACMIX_KWARGS}." if smoke else ""),
        "- The main rows are univariate: covariate columns are loaded but not used.",
    ]


def render(runs: list[dict], machine: dict, wall: float) -> tuple[list[str], dict]:
    """The Markdown lines and the JSON payload of every recorded run."""
    smoke = not any(not r.get("smoke") for r in runs)
    runs = [r for r in runs if bool(r.get("smoke")) == smoke]
    lines = ["# Real-world suite (docs/benchmarks.md §4)" + (" — smoke run" if smoke else ""), "",
             f"Machine: {machine['cpu']} ({machine['cpu_count']} cores, "
             f"{machine.get('threads', '?')} thread(s) used), torch {machine['torch']}, "
             f"commit {machine['git_commit']}, {machine['date']}. Runs recorded: "
             f"{len(runs)} (`realworld_runs.jsonl`); last invocation {wall:.0f} s.", "",
             "## Protocol", "", *protocol_lines(smoke), "", "## Models", "", *model_table(),
             "", "## Datasets", "", *dataset_table(runs), ""]  # fmt: skip
    payload: dict = {"machine": machine, "last_invocation_wall_seconds": wall, "smoke": smoke,
                     "splits": {}}  # fmt: skip
    for split in ("test", "val"):
        table = cells(select(runs, split))
        if not table:
            continue
        failures = failed(runs, split)
        lines += [*split_section(split, table, failures), "", *notes_lines(table, failures), ""]
        mase = {k: v["mase"] for k, v in table.items()}
        payload["splits"][split] = {
            "cells": {f"{m}|{d}": v for (d, m), v in table.items()},
            "relative_mase": {f"{m}|{d}": v for (d, m), v in relative_mase(mase).items()},
            "aggregate": aggregate(mase), "best": best_per_dataset(mase),
            "failures": {f"{m}|{d}": v for (d, m), v in failures.items()},
        }  # fmt: skip
    return lines, payload


def failed(runs: list[dict], split: str) -> dict[tuple[str, str], str]:
    """(dataset, model) -> the last failure of runs that never succeeded."""
    ok = {(r["dataset"], r["model"]) for r in runs if r["split"] == split and r["status"] == "ok"}
    return {(r["dataset"], r["model"]): r["status"] for r in runs
            if r["split"] == split and r["status"] != "ok"
            and (r["dataset"], r["model"]) not in ok}  # fmt: skip


def notes_lines(table: dict, failures: dict) -> list[str]:
    lines = ["### Notes and failures", ""]
    for (d, m), cell in sorted(table.items()):
        lines += [f"- {d} / {m}: {note}" for note in cell["notes"]]
    lines += [f"- {d} / {m}: **{status}**" for (d, m), status in sorted(failures.items())]
    return lines if len(lines) > 2 else [*lines, "- none"]
