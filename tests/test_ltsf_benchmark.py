"""The long-horizon benchmark: --smoke end to end, and the protocol's pieces."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.ltsf_protocol import RunSpec, windows
from benchmarks.ltsf_report import average_table, averages, horizon_table, select_lookback_rows
from benchmarks.ltsf_tune import write_report


def test_smoke_mode_end_to_end(tmp_path: Path, data_root: Path, run_smoke) -> None:
    done = run_smoke("ltsf", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    runs = [json.loads(line) for line in (tmp_path / "ltsf_runs.jsonl").read_text().splitlines()]
    assert {r["model"] for r in runs} == {"ACMix", "DLinear", "Repeat"}
    # ETTh1 test split at L=96, H=96: 2880 + 96 rows -> 2880 - 96 + 1 windows.
    assert all(r["windows"] == 2785 for r in runs)
    assert all(np.isfinite(r["mse"]) and r["mse"] > 0 for r in runs)
    repeat = next(r for r in runs if r["model"] == "Repeat")
    assert repeat["mse"] == pytest.approx(1.2944, abs=1e-3)
    assert "ETTh1" in (tmp_path / "ltsf.md").read_text()
    assert json.loads((tmp_path / "ltsf.json").read_text())["machine"]["torch"]
    again = run_smoke("ltsf", tmp_path, timeout=120)  # resumable: nothing left to run
    assert again.returncode == 0 and "seed=0: mse" not in again.stdout


def test_window_count_is_asserted() -> None:
    spec = RunSpec("ETTh1", "ACMix", context_length=4, horizon=2, seed=0)
    assert len(windows(np.zeros((10, 3), np.float32), spec)) == 10 - 4 - 2 + 1


def _run(model, h, seed, mse, table="L96", L=96, val=None):
    return {"table": table, "model": model, "dataset": "ETTh1", "horizon": h, "seed": seed,
            "mse": mse, "mae": mse / 2, "context_length": L, "val_mse": val}  # fmt: skip


def test_averages_need_all_four_horizons_and_pool_seeds() -> None:
    runs = [_run("A", h, s, 0.1 * (i + 1) + s) for i, h in enumerate((96, 192, 336, 720))
            for s in (0, 1)]  # fmt: skip
    runs.append(_run("B", 96, 0, 1.0))
    avg = averages(runs, "L96")
    assert avg[("A", "ETTh1")]["avg"]["mse"] == pytest.approx(0.25 + 0.5)
    assert avg[("A", "ETTh1")]["avg"]["mse_std"] == pytest.approx(0.5)
    assert "avg" not in avg[("B", "ETTh1")]


def test_searched_lookback_is_picked_on_validation_not_test() -> None:
    runs = [
        _run("A", 96, 0, mse=0.9, table="searched", L=336, val=0.1),
        _run("A", 96, 0, mse=0.1, table="searched", L=720, val=0.5),
    ]
    (chosen,) = select_lookback_rows(runs)
    assert chosen["context_length"] == 336


def test_searched_table_runs_every_horizon_at_the_l_chosen_at_h96() -> None:
    from benchmarks.ltsf import parse, specs

    args = parse(["--search-lookback", "--datasets", "ETTh1", "--models", "ACMix", "PatchTST",
                  "--seeds", "0"])  # fmt: skip
    first = [(s.model, s.context_length, s.horizon) for _, s in specs(args, [])]
    assert first == [("ACMix", 336, 96), ("ACMix", 720, 96), ("ACMix", 1440, 96),
                     ("PatchTST", 512, 96)]  # fmt: skip
    runs = [_run("ACMix", 96, 0, mse=0.1, table="searched", L=L, val=val)
            for L, val in ((336, 0.8), (720, 0.6))]  # fmt: skip
    assert len(specs(args, runs)) == 4  # 1440 still missing: no choice yet
    runs.append(_run("ACMix", 96, 0, mse=0.1, table="searched", L=1440, val=0.7))
    later = {(s.context_length, s.horizon) for _, s in specs(args, runs) if s.model == "ACMix"}
    assert {(720, h) for h in (192, 336, 720)} <= later
    runs += [_run("ACMix", h, 0, mse=0.2, table="searched", L=L, val=0.1)
             for h in (192, 336) for L in (336, 720)]  # fmt: skip
    kept = select_lookback_rows(runs)
    assert {r["context_length"] for r in kept} == {720}  # chosen at H=96, not per horizon
    weather = parse(["--search-lookback", "--datasets", "weather", "--models", "ACMix"])
    assert {s.context_length for _, s in specs(weather, [])} == {336, 720, 1440, 2880}


def test_runs_on_a_window_budget_are_marked_and_keep_old_keys() -> None:
    spec = RunSpec("ETTh1", "ACMix", 96, 96, 0)
    old_key = json.dumps(
        {k: v for k, v in vars(spec).items() if k != "train_windows"} | {"overrides": None},
        sort_keys=True,
    )
    assert spec.key(None) == old_key  # runs recorded before the option still match
    budget = RunSpec("ETTh1", "ACMix", 96, 96, 0, train_windows=512)
    assert budget.key(None) != old_key and '"train_windows": 512' in budget.key(None)
    runs = [_run("A", h, 0, 0.5) | {"train_windows": 512} for h in (96, 192, 336, 720)]
    runs += [_run("A", h, 0, 0.3) for h in (96, 192, 336, 720)]
    avg = averages(runs, "L96")
    rows = {line.split("|")[1].strip(): line for line in average_table(avg, {}, None)[2:]}
    assert "0.500 (1 seed)" in rows["**A †** (measured)"]  # budget runs: their own row
    assert "0.300 (1 seed)" in rows["**A** (measured)"]  # never pooled with full-data runs
    per_horizon = "\n".join(horizon_table(avg))
    assert "| 512 (random) |" in per_horizon and "| all |" in per_horizon


def test_tuning_report_lists_candidates_and_the_seed_noise(tmp_path: Path) -> None:
    tuning = tmp_path / "ltsf_tuning.jsonl"
    records = [
        {"candidate": "default", "dataset": "ETTh1", "horizon": 96, "val_mse": 0.70,
         "epochs": 10, "seconds": 1.0},
        {"candidate": "kernel=5", "dataset": "ETTh1", "horizon": 96, "val_mse": 0.69,
         "epochs": 9, "seconds": 1.0},
    ]  # fmt: skip
    tuning.write_text("".join(json.dumps(r) + "\n" for r in records))
    runs = [
        _run("ACMix", 96, s, 0.4, val=v) | {"overrides": None} for s, v in enumerate((0.71, 0.68))
    ]
    runs.append(_run("ACMix", 96, 2, 0.4, val=0.1) | {"overrides": {"d_model": 8}})  # not default
    (tmp_path / "ltsf_runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in runs))
    text = write_report(tuning).read_text()
    assert "| kernel=5 | ETTh1 | 96 | 0.6900 | 9 |" in text
    assert "over 2 seeds spans 0.6800–0.7100" in text
    assert "Not run yet (CPU time):" in text and "d_model=32" in text
