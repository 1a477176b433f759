"""Tables of the peers benchmark (``peers.md`` / ``peers.json``) from its runs file.

A run is identified by (task, model, seed); when one was recorded more than once (its
settings changed), the last record counts. Seeds are pooled as mean ± std.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from importlib import metadata
from pathlib import Path

LTSF_HARNESS_MODELS = ("ACMix", "DLinear")
VERSIONED = ("torch", "pytorch-lightning", "lightning", "neuralforecast", "statsforecast",
             "pandas", "numpy", "acmix_ts")  # fmt: skip


def versions() -> dict[str, str | None]:
    """Installed versions of the libraries the numbers depend on (None: not installed)."""
    out: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def read_runs(path: Path) -> list[dict]:
    """Every record of a JSON-lines file (missing file: none)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def latest(runs: list[dict]) -> list[dict]:
    """The last record of every (task, model, seed), in first-seen order."""
    chosen: dict[tuple, dict] = {}
    for run in runs:
        chosen[(run["task"], run["model"], run["seed"])] = run
    return list(chosen.values())


def _spread(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(runs: list[dict]) -> dict[tuple[str, str], dict]:
    """(task, model) -> mean and std over seeds of the metrics, mean of the times."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for run in latest(runs):
        groups[(run["task"], run["model"])].append(run)
    out = {}
    for key, group in groups.items():
        row = {"seeds": sorted(r["seed"] for r in group), "runs": group}
        for metric in ("mae", "mse"):
            row[metric], row[f"{metric}_std"] = _spread([r[metric] for r in group])
        for timing in ("fit_wall_s", "fit_cpu_s", "cv_wall_s", "predict_ms"):
            values = [r[timing] for r in group if r.get(timing) is not None]
            row[timing] = statistics.fmean(values) if values else None
        out[key] = row
    return out


def harness_rows(path: Path, dataset: str = "ETTh1", horizon: int = 96) -> dict[str, dict]:
    """ACMix and DLinear at L=96 from ``ltsf_runs.jsonl`` (full data, default settings)."""
    out: dict[str, dict] = {}
    for run in read_runs(path):
        plain = run.get("overrides") is None and not run.get("train_windows")
        if not (plain and run.get("table") == "L96" and run["dataset"] == dataset):
            continue
        if run["model"] in LTSF_HARNESS_MODELS and run["horizon"] == horizon:
            if run["context_length"] == 96 and run.get("precision", "32-true") == "32-true":
                out.setdefault(run["model"], {"runs": []})["runs"].append(run)
    for row in out.values():
        group = row["runs"]
        row["seeds"] = sorted(r["seed"] for r in group)
        for metric in ("mse", "mae"):
            row[metric], row[f"{metric}_std"] = _spread([r[metric] for r in group])
        row["seconds"] = statistics.fmean(r["seconds"] for r in group)
    return out


def _metric(row: dict, name: str) -> str:
    if len(row["seeds"]) > 1:
        return f"{row[name]:.3f} ± {row[f'{name}_std']:.3f}"
    return f"{row[name]:.3f}"


def _seconds(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def quickstart_table(summary: dict, task: str = "quickstart") -> list[str]:
    """One row per model of ``task`` (the quickstart or its validation analog), best MAE first."""
    rows = sorted((row for (name, _), row in summary.items() if name == task),
                  key=lambda row: row["mae"])  # fmt: skip
    lines = ["| model | MAE | MSE | seeds | fit wall s | fit CPU s | backtest wall s | "
             "predict ms |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        run = row["runs"][0]
        lines.append(
            f"| {run['model']} | {_metric(row, 'mae')} | {_metric(row, 'mse')} | "
            f"{', '.join(map(str, row['seeds']))} | {_seconds(row['fit_wall_s'])} | "
            f"{_seconds(row['fit_cpu_s'])} | {_seconds(row['cv_wall_s'])} | "
            f"{_seconds(row['predict_ms'], 1)} |"
        )
    return lines


def ltsf_table(summary: dict, harness: dict) -> list[str]:
    """ETTh1 L=96 H=96: the peers measured here next to the harness's own rows."""
    lines = ["| model | MSE | MAE | seeds | fit wall s | source |", "|---|---|---|---|---|---|"]
    for model, row in sorted(harness.items()):
        lines.append(
            f"| {model} (acmix_ts) | {_metric(row, 'mse')} | {_metric(row, 'mae')} | "
            f"{', '.join(map(str, row['seeds']))} | {_seconds(row['seconds'])} | "
            "`ltsf_runs.jsonl` (`benchmarks/ltsf.py`) |"
        )
    for (task, model), row in sorted(summary.items()):
        if task == "ltsf":
            lines.append(
                f"| {model} (neuralforecast) | {_metric(row, 'mse')} | {_metric(row, 'mae')} "
                f"| {', '.join(map(str, row['seeds']))} | {_seconds(row['fit_wall_s'])} | "
                "`peers_runs.jsonl` |"
            )
    return lines


def settings_lines(runs: list[dict]) -> list[str]:
    """Every model's settings and what its training did (steps, best check), per task."""
    lines = []
    for run in sorted(latest(runs), key=lambda r: (r["task"], r["model"], r["seed"])):
        training = {k: v for k, v in run.get("training", {}).items() if v is not None}
        lines.append(
            f"- {run['task']} / **{run['model']}** seed {run['seed']}: "
            f"`{json.dumps(run['settings'], sort_keys=True)}`"
            + (f"; trained: `{json.dumps(training, sort_keys=True)}`" if training else "")
        )
    return lines


QUICKSTART_NOTES = [
    "Windows: those of `examples/quickstart.py` (ETTh1's first 14,400 rows, h=24, 20 "
    "cutoffs 120 steps apart, the last window ending at the last row; `--smoke`: 2,000 "
    "rows, 2 windows); MAE and MSE in the data's units, pooled over windows x series x "
    "steps; every model's backtest is checked to hold exactly the Naive reference's "
    "(series, time, cutoff) rows.",
    "Global models (ACMix, NHITS, PatchTST, DLinear) are fitted once on the rows before the "
    "first cutoff (`cross_validation(..., refit=False)`) and forecast every window from "
    "its own history; the statistical models are refitted at every window (local models).",
    "Budget rule: a peer sees as many training windows as ACMix. ACMix runs "
    "`ceil(windows / batch_size)` steps per epoch for `max_epochs` epochs on the windows "
    "before its validation tail (a tenth of the history, its `fit` default); the peers get "
    "`windows_batch_size` = ACMix's `batch_size` one-series windows per step (a fresh random "
    "draw each step, where ACMix shuffles and passes over every window once per epoch), "
    "`max_steps` = "
    "epochs x steps per epoch, the same validation tail (`val_size`), a validation check "
    "every ACMix epoch (`val_check_steps`), early stopping after ACMix's patience in checks, "
    "and the weights of the best check restored at the end (ACMix keeps its best epoch; "
    "`FitRecorder` in `peers_models.py` does it for neuralforecast).",
    "Loss of the neuralforecast models: their default, MAE (ACMix trains MSE). With MSE and "
    "neuralforecast's per-window `standard` scaling, training diverged on this data: LUFL "
    "and LULL have near-constant 96-step inputs (std ~1e-3) whose scaled targets run into "
    "the thousands (a 200-step NHITS probe: test MAE 117 with MSE, 1.35 with MAE). "
    "Learning rate 1e-3 (ACMix's peak rate; PatchTST's and DLinear's default is 1e-4) with "
    "each model's own schedule (NHITS halves it 3 times, the others keep it).",
    "Times: *fit* is the training call alone (wall, and CPU = `time.process_time()` plus "
    "waited-for children from `getrusage(RUSAGE_CHILDREN)`); for the statistical models it "
    "is the whole backtest (one fit per window and series). *backtest* is the whole "
    "`cross_validation` call. *predict* is the median wall time of a few calls that forecast "
    "the next 24 steps of the 7 series from the fitting rows (ACMix `predict(df=...)`, "
    "`NeuralForecast.predict(df=...)`, statsforecast `forecast(df=..., h=24)`, which for "
    "a local model includes its fit).",
    "Check of the harness: with the estimator of commit d14ab21, `ACMIX_QUICKSTART` "
    "(seed 0, 1 thread) gave MAE 1.3598 / MSE 7.9075 and Naive 1.9773 / 19.7548, the "
    "1.360 / 7.908 and 1.977 / 19.755 that `make demo` prints.",
    "AutoARIMA (season 24) was not run: one fit on one series' full history (12,096 "
    "points) did not finish in 240 s on this CPU, and one on its last 2,000 points took 25 s "
    "(x 140 fits = about an hour).",
]

LTSF_NOTES = [
    "ETTh1 at L=96, H=96 on the long-horizon protocol (docs/benchmarks.md §1): standard splits, "
    "StandardScaler fitted on the training rows, every stride-1 test window of every "
    "variable (2,785 windows x 7 variables x 96 steps), MSE / MAE on the scaled data. The "
    "peers run `NeuralForecast.cross_validation(val_size=2880, test_size=2880, step_size=1, "
    "refit=False)` on the scaled frame; the window count and the first and last test "
    "targets are asserted equal to the harness's, and the frame's test rows equal "
    "`ltsf_protocol.load_splits`'s.",
    "Budget rule: the harness's default (`RunSpec`: 10 epochs of all 8,449 training windows "
    "of 7 variables in batches of 128, patience 3, best epoch kept) becomes 67 steps per "
    "epoch of 128 x 7 = 896 one-variable windows, `max_steps` 670, a validation check every "
    "67 steps, patience 3 checks, best check restored; loss MAE and learning rate 1e-3 as "
    "in the quickstart task (the harness trains MSE).",
    "ACMix and DLinear rows: `benchmarks/ltsf.py` runs read from `ltsf_runs.jsonl` (full "
    "training data, default settings; seeds in the table), their *fit wall* is the run's "
    "`seconds` (training and scoring).",
]


def versions_line(runs: list[dict], info: dict) -> str:
    """The library versions of the runs (every distinct value), else of this environment."""
    seen: dict[str, set] = defaultdict(set)
    for run in runs:
        for name, version in run.get("versions", {}).items():
            seen[name].add(str(version))
    if not seen:
        seen = {name: {str(v)} for name, v in info["versions"].items()}
    text = {name: " / ".join(sorted(v)) for name, v in sorted(seen.items())}
    return "; ".join(f"{name} {v}".replace("None", "not installed") for name, v in text.items())


def quickstart_extent(runs: list[dict], task: str = "quickstart") -> str:
    """What the rows of ``task`` pooled, from its first record."""
    run = next((r for r in runs if r["task"] == task), None)
    if run is None:
        return "no runs yet"
    steps = run["rows"] // (run["windows"] * run["series"])
    return (f"{run['windows']} windows x {run['series']} series x {steps} steps = "
            f"{run['rows']:,} values, first cutoff {run['first_cutoff']}, last target "
            f"{run['last_target']}")  # fmt: skip


def validation_section(runs: list[dict], summary: dict) -> list[str]:
    """The quickstart's validation analog (task ``quickstart-val``), when it has runs."""
    if not any(task == "quickstart-val" for task, _ in summary):
        return []
    return [
        "## Validation analog of the quickstart task", "",
        f"Pooled: {quickstart_extent(runs, 'quickstart-val')}: the quickstart's 20 windows "
        "moved back to end where its fitting rows end, so no test row is seen. Settings of "
        "ACMix (`ACMIX_VARIANTS` in `peers.py`) are compared here, never on the table above; "
        "peers with the budget rule above, matched to these fitting rows.", "",
        *quickstart_table(summary, "quickstart-val"), "",
    ]  # fmt: skip


def pending_line(summary: dict) -> list[str]:
    """A line naming the quickstart's ACMix row when it has not been run yet."""
    if ("quickstart", "ACMix") in summary:
        return []
    command = "`python -m benchmarks.peers --tasks quickstart --models ACMix`"
    return [f"ACMix has no quickstart row yet: {command} adds it.", ""]


def report_lines(runs: list[dict], summary: dict, harness: dict, info: dict) -> list[str]:
    """The Markdown of ``peers.md``."""
    devices = sorted({r["device"] for r in runs}) or [info["device"]]
    threads = sorted({str(r.get("torch_threads")) for r in runs})
    return [
        "# Peers side by side (docs/benchmarks.md §5)", "",
        "ACMix next to neuralforecast and statsforecast models fitted on identical data with "
        "stated, comparable budgets (`benchmarks/peers.py`; runs in "
        "`benchmarks/results/peers_runs.jsonl`).", "",
        f"Devices: {', '.join(devices)} ({info['cpu']}); torch threads per run: "
        f"{', '.join(threads) or '–'}. Versions: {versions_line(runs, info)}. "
        f"Commit of this report: {info['git_commit']}; date {info['date']}.", "",
        "## Quickstart task: ETTh1, 7 series, h=24", "",
        f"Pooled: {quickstart_extent(runs)}.", "",
        *quickstart_table(summary), "",
        *pending_line(summary),
        *[f"- {note}" for note in QUICKSTART_NOTES], "",
        *validation_section(runs, summary),
        "## Long-horizon protocol: ETTh1, L=96, H=96", "",
        *ltsf_table(summary, harness), "",
        *[f"- {note}" for note in LTSF_NOTES], "",
        "## Settings of every run", "",
        *settings_lines(runs), "",
    ]  # fmt: skip
