"""The peers benchmark: --smoke end to end, and its windows, clocks, budgets and report."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from acmix_ts import load_ltsf
from benchmarks.ltsf_protocol import load_splits
from benchmarks.peers import acmix_budget, parse, quickstart_plan
from benchmarks.peers_models import FitRecorder
from benchmarks.peers_report import harness_rows, quickstart_table, summarise
from benchmarks.peers_tasks import (
    QUICKSTART,
    QUICKSTART_VAL,
    SMOKE,
    Clock,
    Windows,
    check_ltsf_windows,
    check_same_windows,
    default_val_size,
    history,
    ltsf_frame,
    matched_budget,
    median_latency,
    naive_backtest,
    quickstart_frame,
)

HAS_NEURALFORECAST = importlib.util.find_spec("neuralforecast") is not None
HAS_STATSFORECAST = importlib.util.find_spec("statsforecast") is not None
PEERS_EXTRA = "needs the peers extra: pip install -e '.[peers]' (torch first)"


def _hand_naive(rows: int, horizon: int, n_windows: int, step: int) -> tuple[float, float]:
    """MAE and MSE of the last-value forecast, straight from the numbers of ETTh1."""
    values = load_ltsf("ETTh1").drop(columns="date").to_numpy(float)[:rows]  # (T, 7)
    errors = []
    for i in range(n_windows):
        cut = rows - horizon - (n_windows - 1 - i) * step
        errors.append(values[cut : cut + horizon] - values[cut - 1])
    errors = np.stack(errors)
    return float(np.abs(errors).mean()), float((errors**2).mean())


def test_smoke_mode_end_to_end(tmp_path: Path, run_smoke) -> None:
    done = run_smoke("peers", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    runs = [json.loads(line) for line in (tmp_path / "peers_runs.jsonl").read_text().splitlines()]
    expected = {"Naive", "ACMix"}
    expected |= {"SeasonalNaive"} if HAS_STATSFORECAST else set()
    expected |= {"NHITS"} if HAS_NEURALFORECAST else set()
    assert sorted(r["model"] for r in runs) == sorted(expected)
    if not HAS_NEURALFORECAST:
        assert "skip NHITS: neuralforecast is not installed" in done.stdout
    for run in runs:  # 2 windows x 7 series x 24 steps, the same rows for every model
        assert (run["rows"], run["windows"], run["series"]) == (2 * 7 * 24, 2, 7)
        assert np.isfinite([run["mae"], run["mse"]]).all() and min(run["mae"], run["mse"]) > 0
        assert run["fit_wall_s"] >= 0 and run["predict_ms"] > 0 and run["torch_threads"] == 1
    naive = next(r for r in runs if r["model"] == "Naive")
    hand = _hand_naive(SMOKE.rows, SMOKE.horizon, SMOKE.n_windows, SMOKE.step_size)
    assert (naive["mae"], naive["mse"]) == pytest.approx(hand, rel=1e-12)
    acmix = next(r for r in runs if r["model"] == "ACMix")
    assert acmix["settings"]["max_epochs"] == 1 and acmix["mae"] < naive["mae"] * 2
    text = (tmp_path / "peers.md").read_text()
    assert "| Naive |" in text and "| ACMix |" in text and "DLinear (acmix_ts)" in text
    assert json.loads((tmp_path / "peers.json").read_text())["machine"]["torch"]
    again = run_smoke("peers", tmp_path, timeout=120)  # resumable: nothing left to run
    assert again.returncode == 0 and "seed=0: mae" not in again.stdout
    assert len((tmp_path / "peers_runs.jsonl").read_text().splitlines()) == len(runs)


def _arange_frame(n_series: int = 2, rows: int = 20) -> pd.DataFrame:
    ds = pd.date_range("2024-01-01", periods=rows, freq="h")
    return pd.concat(
        pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": 100.0 * i + np.arange(rows)})
        for i in range(n_series)
    )


def test_naive_backtest_takes_the_value_at_each_cutoff() -> None:
    df, windows = _arange_frame(), Windows(rows=20, horizon=3, n_windows=2, step_size=4)
    assert windows.first_cut == 13 and len(history(df, windows)) == 2 * 13
    cv = naive_backtest(df, windows)
    s1 = cv[cv["unique_id"] == "s1"]
    assert s1["y"].tolist() == [113.0, 114.0, 115.0, 117.0, 118.0, 119.0]
    assert s1["Naive"].tolist() == [112.0] * 3 + [116.0] * 3
    assert (s1["cutoff"] == df["ds"].iloc[[12] * 3 + [16] * 3].to_numpy()).all()
    check_same_windows(cv.sample(frac=1.0, random_state=0), cv)  # order does not matter
    with pytest.raises(AssertionError, match="11 rows vs 12"):
        check_same_windows(cv.iloc[1:], cv)


def test_quickstart_windows_and_budget_match_acmix() -> None:
    df = quickstart_frame()
    assert df["unique_id"].nunique() == 7 and len(df) == 7 * 14400
    assert QUICKSTART.first_cut == 14400 - 24 - 19 * 120 == 12096
    assert default_val_size(QUICKSTART.first_cut, 24) == 1209
    params = {"horizon": 24, "context_length": 96, "max_epochs": 4, "batch_size": 256}
    val_size, budget = acmix_budget(df, QUICKSTART, params)
    # 7 x (12096 - 1209 - 96 - 24 + 1) = 75,376 windows per epoch, 295 batches of 256.
    assert val_size == 1209
    assert budget == {"max_steps": 1180, "val_check_steps": 295, "windows_batch_size": 256,
                      "early_stop_patience_steps": 3}  # fmt: skip


def test_validation_analog_ends_where_the_quickstart_fits() -> None:
    df = quickstart_frame(QUICKSTART_VAL.rows)
    reference = naive_backtest(df, QUICKSTART_VAL)
    test_cut = quickstart_frame()["ds"].iloc[QUICKSTART.first_cut]  # first test target
    assert len(reference) == 20 * 7 * 24 and reference["cutoff"].nunique() == 20
    assert reference["ds"].max() < test_cut  # every validation target precedes the test
    last = quickstart_frame()["ds"].iloc[QUICKSTART.first_cut - 1]
    assert reference["ds"].max() == last  # ... and the last one is the last fitting row
    args = parse(["--tasks", "quickstart-val", "--models", "ACMix-mae", "--seeds", "0", "1"])
    plan = quickstart_plan(args, "quickstart-val")
    assert [(p.task, p.model, p.seed) for p in plan] == [
        ("quickstart-val", "ACMix-mae", 0),
        ("quickstart-val", "ACMix-mae", 1),
    ]
    assert plan[1].settings == {"horizon": 24, "loss": "mae", "random_state": 1}
    assert plan[0].windows["rows"] == QUICKSTART.first_cut


def test_report_keeps_the_validation_analog_apart() -> None:
    runs = [_run("quickstart", "ACMix", 0, 2.0), _run("quickstart-val", "ACMix-mae", 0, 1.0)]
    summary = summarise(runs)
    assert [row.split(" |")[0] for row in quickstart_table(summary)[2:]] == ["| ACMix"]
    val = quickstart_table(summary, "quickstart-val")[2:]
    assert len(val) == 1 and val[0].startswith("| ACMix-mae | 1.000 |")


def test_matched_budget_counts_one_variable_windows() -> None:
    ltsf = matched_budget(8449, 128, 10, 3, channels=7)
    assert ltsf == {"max_steps": 670, "val_check_steps": 67, "windows_batch_size": 896,
                    "early_stop_patience_steps": 3}  # fmt: skip
    assert matched_budget(256, 256, 2, 1)["max_steps"] == 2  # no partial batch: 1 step


def test_ltsf_frame_is_the_protocols_scaled_data() -> None:
    long, info = ltsf_frame("ETTh1", 96)
    assert (info["val_size"], info["test_size"]) == (2880, 2880)
    wide = long.pivot(index="ds", columns="unique_id", values="y")
    wide = wide.loc[:, long["unique_id"].unique()].to_numpy()
    test = load_splits("ETTh1", 96).test
    np.testing.assert_array_equal(wide[-len(test) :], test)
    dates = load_ltsf("ETTh1")["date"]
    assert info["first_target"] == str(dates.iloc[11520])
    assert info["last_target"] == str(dates.iloc[14399])
    # A cross_validation frame of every stride-1 window of the test targets passes.
    ds = pd.to_datetime(dates.iloc[11424:14400]).to_numpy()
    cutoffs = np.repeat(np.arange(95, 95 + 2785), 96)
    steps = cutoffs + np.tile(np.arange(1, 97), 2785)
    cv = pd.DataFrame({"unique_id": "OT", "ds": ds[steps], "cutoff": ds[cutoffs]})
    assert check_ltsf_windows(cv, info, horizon=96)["protocol_windows"] == 2785
    with pytest.raises(AssertionError, match="ltsf windows"):
        check_ltsf_windows(cv.iloc[96:], info, horizon=96)


def test_clock_counts_the_cpu_of_waited_for_children() -> None:
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
    with Clock() as clock:
        subprocess.run([sys.executable, "-c", burn], check=True)
    assert clock.cpu >= 0.25 and clock.wall >= 0.25


def test_median_latency_stops_at_its_budget() -> None:
    calls = []
    median, n = median_latency(lambda: calls.append(1), repeats=4)
    assert n == 4 == len(calls) and median >= 0
    _, n = median_latency(lambda: __import__("time").sleep(0.02), repeats=5, budget_s=0.01)
    assert n == 1


class _Trainer:
    def __init__(self) -> None:
        self.sanity_checking, self.callback_metrics, self.global_step = False, {}, 0


def test_fit_recorder_restores_the_weights_of_the_best_check() -> None:
    module, trainer, recorder = torch.nn.Linear(2, 1), _Trainer(), FitRecorder()
    recorder.on_fit_start(trainer, module)
    trainer.sanity_checking, trainer.callback_metrics = True, {"ptl/val_loss": torch.tensor(0.0)}
    recorder.on_validation_end(trainer, module)  # the sanity check is not a check
    trainer.sanity_checking = False
    for step, (loss, fill) in enumerate([(2.0, 1.0), (1.0, 2.0), (3.0, 3.0)], start=1):
        torch.nn.init.constant_(module.weight, fill)
        trainer.global_step, trainer.callback_metrics = step, {"ptl/val_loss": torch.tensor(loss)}
        recorder.on_validation_end(trainer, module)
    recorder.on_fit_end(trainer, module)
    assert (recorder.checks, recorder.best_step, recorder.best, recorder.steps) == (3, 2, 1.0, 3)
    assert (module.weight == 2.0).all() and recorder.clock.wall > 0


def _run(task, model, seed, mae, **extra):
    return {"task": task, "model": model, "seed": seed, "mae": mae, "mse": 2 * mae,
            "fit_wall_s": 1.0, "fit_cpu_s": 2.0, "cv_wall_s": 3.0, "predict_ms": 4.0,
            **extra}  # fmt: skip


def test_report_pools_seeds_and_keeps_the_last_record_of_a_run() -> None:
    runs = [_run("quickstart", "NHITS", 0, 9.0), _run("quickstart", "NHITS", 0, 1.0),
            _run("quickstart", "NHITS", 1, 3.0), _run("quickstart", "Naive", 0, 2.5)]  # fmt: skip
    summary = summarise(runs)
    nhits = summary[("quickstart", "NHITS")]
    assert nhits["seeds"] == [0, 1] and nhits["mae"] == 2.0
    assert nhits["mae_std"] == pytest.approx(np.std([1.0, 3.0], ddof=1))
    table = quickstart_table(summary)
    assert table[2].startswith("| NHITS | 2.000 ± 1.414 | 4.000 ± 2.828 | 0, 1 |")
    assert table[3].startswith("| Naive | 2.500 | 5.000 | 0 |")


def test_harness_rows_are_etth1_h96_full_data_default_runs(tmp_path: Path) -> None:
    base = {"table": "L96", "dataset": "ETTh1", "horizon": 96, "context_length": 96,
            "overrides": None, "seconds": 10.0}  # fmt: skip
    runs = [base | {"model": "ACMix", "seed": s, "mse": 0.37 + s / 100, "mae": 0.4} for s in (0, 1)]
    runs += [base | {"model": "ACMix", "seed": 2, "mse": 9, "mae": 9, "horizon": 192},
             base | {"model": "ACMix", "seed": 3, "mse": 9, "mae": 9, "train_windows": 512},
             base | {"model": "ACMix-gate", "seed": 0, "mse": 9, "mae": 9},
             base | {"model": "DLinear", "seed": 0, "mse": 0.39, "mae": 0.41}]  # fmt: skip
    path = tmp_path / "ltsf_runs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in runs))
    rows = harness_rows(path)
    assert sorted(rows) == ["ACMix", "DLinear"] and rows["ACMix"]["seeds"] == [0, 1]
    assert rows["ACMix"]["mse"] == pytest.approx(0.375)


@pytest.mark.skipif(not HAS_NEURALFORECAST, reason=PEERS_EXTRA)
def test_neural_models_take_the_stated_settings() -> None:
    from benchmarks.peers_models import build_neural, neural_settings

    budget = matched_budget(75376, 256, 4, 3)
    for name in ("NHITS", "PatchTST", "DLinear"):
        model = build_neural(name, neural_settings(name, 24, budget, seed=3))
        assert (model.h, model.input_size, model.max_steps) == (24, 96, 1180)
        assert (model.windows_batch_size, model.val_check_steps, model.random_seed) == (256, 295, 3)
        assert type(model.loss).__name__ == "MAE" and model.learning_rate == 1e-3
        assert any(isinstance(cb, FitRecorder) for cb in model.trainer_kwargs["callbacks"])
    patchtst = build_neural("PatchTST", neural_settings("PatchTST", 24, budget, seed=0))
    assert patchtst.hparams["hidden_size"] == 64 and patchtst.hparams["encoder_layers"] == 2
    assert (patchtst.hparams["n_heads"], patchtst.hparams["patch_len"]) == (4, 16)


@pytest.mark.skipif(not HAS_STATSFORECAST, reason=PEERS_EXTRA)
def test_seasonal_naive_repeats_the_last_day() -> None:
    from benchmarks.peers_models import run_stats

    df = quickstart_frame(SMOKE.rows)
    outcome = run_stats(df, SMOKE, "SeasonalNaive", input_size=None)
    check_same_windows(outcome.cv, naive_backtest(df, SMOKE))
    values = load_ltsf("ETTh1").drop(columns="date").to_numpy(float)
    cut = SMOKE.first_cut + SMOKE.step_size  # the last window
    ot = outcome.cv[(outcome.cv["unique_id"] == "OT")].sort_values("ds").tail(24)
    np.testing.assert_allclose(ot["SeasonalNaive"], values[cut - 24 : cut, -1])
