"""Tables of the long-horizon benchmark: measured rows next to the published ones."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

DATASETS = ("ETTh1", "ETTh2", "ETTm1", "ETTm2", "weather", "exchange_rate", "national_illness")
SHORT = {"weather": "Weather", "exchange_rate": "Exchange", "national_illness": "ILI"}

# docs/benchmarks.md §1: look-back 96 (ILI 36), average of the 4 horizons, (MSE, MAE).
PUBLISHED_96 = {
    "iTransformer": {"ETTh1": (.454, .447), "ETTh2": (.383, .407), "ETTm1": (.407, .410),
                     "ETTm2": (.288, .332), "weather": (.258, .278),
                     "exchange_rate": (.360, .403), "national_illness": (2.918, 1.154)},
    "PatchTST": {"ETTh1": (.469, .454), "ETTh2": (.387, .407), "ETTm1": (.387, .400),
                 "ETTm2": (.281, .326), "weather": (.259, .281), "exchange_rate": (.367, .404),
                 "national_illness": (1.626, .804)},
    "DLinear": {"ETTh1": (.456, .452), "ETTh2": (.559, .515), "ETTm1": (.403, .407),
                "ETTm2": (.350, .401), "weather": (.265, .317), "exchange_rate": (.354, .414),
                "national_illness": (2.616, 1.090)},
    "TimesNet": {"ETTh1": (.458, .450), "ETTh2": (.414, .427), "ETTm1": (.400, .406),
                 "ETTm2": (.291, .333), "weather": (.259, .287), "exchange_rate": (.416, .443),
                 "national_illness": (2.139, .931)},
    "TimeXer": {"ETTh1": (.437, .437), "ETTh2": (.367, .396), "ETTm1": (.382, .397),
                "ETTm2": (.274, .322), "weather": (.241, .271)},
    "CycleNet (linear)": {"ETTh1": (.432, .427), "ETTh2": (.383, .404), "ETTm1": (.386, .395),
                          "ETTm2": (.272, .315), "weather": (.254, .279)},
    "CycleNet (MLP)": {"ETTh1": (.457, .441), "ETTh2": (.388, .409), "ETTm1": (.379, .396),
                       "ETTm2": (.266, .314), "weather": (.243, .271)},
    "TQNet": {"ETTh1": (.441, .434), "ETTh2": (.378, .402), "ETTm1": (.377, .393),
              "ETTm2": (.277, .323), "weather": (.242, .269)},
    "Repeat": {"weather": (.352, .320), "exchange_rate": (.344, .391)},
}  # fmt: skip
BEST_96 = {"ETTh1": .432, "ETTh2": .367, "ETTm1": .377, "ETTm2": .266, "weather": .241,
           "exchange_rate": .344}  # fmt: skip
# docs/benchmarks.md §1: searched look-back, every test window kept (TFB "fair" table).
PUBLISHED_SEARCHED = {
    "xPatch": {"ETTh1": (.413, .423), "ETTh2": (.341, .383), "ETTm1": (.351, .371),
               "ETTm2": (.251, .307), "weather": (.219, .249), "exchange_rate": (.361, .401),
               "national_illness": (1.633, .783)},
    "PDF": {"ETTh1": (.407, .426), "ETTh2": (.347, .391), "ETTm1": (.342, .376),
            "ETTm2": (.250, .313), "weather": (.227, .263), "exchange_rate": (.350, .397),
            "national_illness": (1.808, .898)},
    "PatchTST": {"ETTh1": (.419, .436), "ETTh2": (.351, .395), "ETTm1": (.349, .381),
                 "ETTm2": (.256, .314), "weather": (.224, .261), "exchange_rate": (.322, .385),
                 "national_illness": (1.902, .879)},
    "DLinear": {"ETTh1": (.425, .439), "ETTh2": (.470, .468), "ETTm1": (.356, .378),
                "ETTm2": (.259, .324), "weather": (.242, .293), "exchange_rate": (.292, .391),
                "national_illness": (2.185, 1.040)},
}  # fmt: skip


def read_runs(path: Path) -> list[dict]:
    """Every run record of a JSON-lines file (missing file: none)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def averages(runs: list[dict], table: str) -> dict:
    """(model, dataset) -> per-horizon and 4-horizon means and stds over seeds.

    A dataset's average is reported only when every one of its 4 horizons has runs;
    each seed's 4-horizon average is formed first, then mean ± std over seeds.
    """
    cells: dict = defaultdict(lambda: defaultdict(dict))
    for run in runs:
        if run["table"] == table:
            # A training budget makes a separate row: never pooled with full-data runs.
            label = run["model"] + (" †" if run.get("train_windows") else "")
            cells[(label, run["dataset"])][run["horizon"]][run["seed"]] = run
    out = {}
    for key, by_horizon in cells.items():
        horizons = sorted(by_horizon)
        seeds = sorted(set.intersection(*(set(v) for v in by_horizon.values())))
        budgets = {r.get("train_windows") for v in by_horizon.values() for r in v.values()}
        entry = {"horizons": {}, "seeds": seeds, "train_windows": sorted(budgets - {None})}
        for h in horizons:
            values = by_horizon[h].values()
            mse = [r["mse"] for r in values]
            mae = [r["mae"] for r in values]
            entry["horizons"][h] = {
                "mse": float(np.mean(mse)), "mse_std": float(np.std(mse)),
                "mae": float(np.mean(mae)), "mae_std": float(np.std(mae)),
                "n_seeds": len(mse),
                "context_length": sorted({r["context_length"] for r in values}),
                "train_windows": sorted({r.get("train_windows") or 0 for r in values}),
            }  # fmt: skip
        if len(horizons) == 4 and seeds:
            per_seed = [
                (np.mean([by_horizon[h][s]["mse"] for h in horizons]),
                 np.mean([by_horizon[h][s]["mae"] for h in horizons]))
                for s in seeds
            ]  # fmt: skip
            mse, mae = np.array(per_seed).T
            entry["avg"] = {
                "mse": float(mse.mean()), "mse_std": float(mse.std()),
                "mae": float(mae.mean()), "mae_std": float(mae.std()), "n_seeds": len(seeds),
            }  # fmt: skip
        out[key] = entry
    return out


def _cell(entry: dict | None) -> str:
    if not entry or "avg" not in entry:
        return "–"
    a = entry["avg"]
    spread = f" ± {a['mse_std']:.3f}" if a["n_seeds"] > 1 else " (1 seed)"
    return f"{a['mse']:.3f}{spread} / {a['mae']:.3f}"


def average_table(avg: dict, published: dict, best: dict | None) -> list[str]:
    """Markdown rows: measured models, then the published ones, dataset columns."""
    datasets = [d for d in DATASETS if any(k[1] == d for k in avg)]
    head = "| model | " + " | ".join(SHORT.get(d, d) for d in datasets) + " |"
    lines = [head, "|---" * (len(datasets) + 1) + "|"]
    models = sorted({k[0] for k in avg}, key=lambda m: (not m.startswith("ACMix"), m))
    for model in models:
        cells = [_cell(avg.get((model, d))) for d in datasets]
        lines.append(f"| **{model}** (measured) | " + " | ".join(cells) + " |")
    for model, numbers in published.items():
        cells = [f"{numbers[d][0]:.3f} / {numbers[d][1]:.3f}" if d in numbers else "–"
                 for d in datasets]  # fmt: skip
        lines.append(f"| {model} (published) | " + " | ".join(cells) + " |")
    if best:
        lines.append("| best published | " + " | ".join(
            f"{best[d]:.3f}" if d in best else "–" for d in datasets) + " |")  # fmt: skip
    return lines


def horizon_table(avg: dict) -> list[str]:
    """Markdown rows: every measured (model, dataset, horizon) with mean ± std over seeds."""
    lines = [
        "| dataset | model | H | L | MSE | MAE | seeds | train windows / epoch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (model, dataset), entry in sorted(avg.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        for h, v in sorted(entry["horizons"].items()):
            lines.append(
                f"| {dataset} | {model} | {h} | {','.join(map(str, v['context_length']))} | "
                f"{v['mse']:.3f} ± {v['mse_std']:.3f} | {v['mae']:.3f} ± {v['mae_std']:.3f} | "
                f"{v['n_seeds']} | {budget_text(v['train_windows'])} |"
            )
    return lines


def budget_text(train_windows: list[int]) -> str:
    """``all`` or the random-subset size(s) per epoch (0 stands for all)."""
    return ", ".join("all" if n == 0 else f"{n:,} (random)" for n in train_windows)


SEARCH_HORIZON = 96  # the searched table chooses L at this horizon for every horizon


def chosen_lookback(
    runs: list[dict], cell: tuple[str, str, int], candidates: tuple[int, ...] | None = None
) -> int | None:
    """The L of ``cell`` = (dataset, model, seed) with the lowest validation MSE at H=96.

    None until a run of every ``candidates`` L (default: those recorded) is recorded.
    """
    found = {
        r["context_length"]: r["val_mse"] if r["val_mse"] is not None else r["mse"]
        for r in runs
        if r["table"] == "searched" and r["horizon"] == SEARCH_HORIZON
        and (r["dataset"], r["model"], r["seed"]) == cell
    }  # fmt: skip
    if not found or (candidates and set(candidates) - set(found)):
        return None
    return min(found, key=lambda length: found[length])


def select_lookback_rows(runs: list[dict]) -> list[dict]:
    """Searched table: per (dataset, model, seed) the runs at the L chosen at H=96."""
    searched = [r for r in runs if r["table"] == "searched"]
    cells = {(r["dataset"], r["model"], r["seed"]) for r in searched}
    chosen = {cell: chosen_lookback(searched, cell) for cell in cells}
    return [
        r for r in searched
        if r["context_length"] == chosen[(r["dataset"], r["model"], r["seed"])]
    ]  # fmt: skip
