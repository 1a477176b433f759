"""The stock-price benchmark: --smoke end to end, and the walk-forward pieces."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchmarks.stocks as stocks
import benchmarks.stocks_models as stocks_models
import benchmarks.stocks_protocol as stocks_protocol
from acmix_ts.stats import sharpe_ratio, sign_strategy_returns


def test_smoke_mode_end_to_end(tmp_path: Path, data_root: Path, run_smoke) -> None:
    if not (data_root / "stocks" / "yf_adjusted_2019_2025").is_dir():
        pytest.skip("stock CSV files not found")
    done = run_smoke("stocks", tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((tmp_path / "stocks.json").read_text())
    rows = [r for r in result["rows"] if r["model"] != "buy & hold"]
    models = {
        stocks_protocol.RW,
        stocks_protocol.DRIFT,
        stocks_protocol.ARIMA_NAME,
        *stocks_protocol.ACMIX_MODES,
    }
    expected = {(t, h, m) for t in ("AAPL", "MSFT") for h in (1, 5) for m in models}
    assert {(r["ticker"], r["h"], r["model"]) for r in rows} == expected
    for r in rows:
        assert all(np.isfinite(r[k]) and r[k] >= 0 for k in ("mae", "rmse", "mase_rw"))
        # the random walk never predicts a direction; the others do on (almost) every origin
        assert r["trials"] == 0 if r["model"] == stocks_protocol.RW else 0 < r["trials"] <= 20
    assert all(r["mase_rw"] == 1 for r in rows if r["model"] == stocks_protocol.RW)
    assert result["environment"]["git_commit"] and result["wall_seconds"] > 0
    assert result["look_ahead"]["AAPL"] == {"after_origin": 0, "on_target_days": 0}
    text = (tmp_path / "stocks.md").read_text()
    assert "## Summary in plain words" in text and "| MSFT | ACMix (returns) |" in text
    # --report-only rewrites the same report from the JSON, without forecasting
    (tmp_path / "stocks.md").unlink()
    stocks.main(["--report-only", "--out-dir", str(tmp_path)])
    assert (tmp_path / "stocks.md").read_text() == text


def test_origins_leave_the_longest_horizon_after_them() -> None:
    origins = stocks_protocol.origin_positions(n_obs=30, n_test=5, max_h=3)
    np.testing.assert_array_equal(origins, [22, 23, 24, 25, 26])
    with pytest.raises(ValueError, match="cannot hold"):
        stocks_protocol.origin_positions(n_obs=10, n_test=6, max_h=3)


def test_actual_paths_and_baselines_on_a_line() -> None:
    prices = 10.0 + 2.0 * np.arange(30)  # p_t = 10 + 2t
    origins = np.array([20, 21, 26])
    actual = stocks_models.actual_paths(prices, origins, 3)
    np.testing.assert_array_equal(actual[0], prices[21:24])
    np.testing.assert_array_equal(actual[2], prices[27:30])
    np.testing.assert_array_equal(stocks_models.random_walk(prices, origins, 3)[1], [52, 52, 52])
    # drift: p_t + h (p_t - p_0) / t is exact on a line
    np.testing.assert_allclose(stocks_models.drift(prices, origins, 3), actual)
    wiggly = np.array([1.0, 5.0, 2.0, 4.0])  # (4 - 1) / 3 = 1 per step
    np.testing.assert_allclose(stocks_models.drift(wiggly, np.array([3]), 2), [[5.0, 6.0]])


def test_returns_to_prices_and_log_returns() -> None:
    path = stocks_models.returns_to_prices(np.array([100.0]), np.log([[1.1, 1.1, 0.5]]))
    np.testing.assert_allclose(path, [[110.0, 121.0, 60.5]])
    ds = pd.bdate_range("2024-01-01", periods=3)
    panel = pd.DataFrame({"unique_id": ["a"] * 3 + ["b"] * 3, "ds": list(ds) * 2,
                          "y": [1.0, 2.0, 4.0, 3.0, 3.0, 6.0]})  # fmt: skip
    r = stocks_protocol.log_returns(panel)
    assert list(r["ds"]) == list(ds[1:]) * 2  # dated at the later price
    np.testing.assert_allclose(r["y"], np.log([2, 2, 1, 2]))


def make_cv(cutoffs: dict, h: int, value) -> pd.DataFrame:
    """A cross-validation frame laid out like ACMixForecaster's, rows shuffled."""
    rows = []
    for sid, dates in cutoffs.items():
        for i, cutoff in enumerate(dates):
            ds = pd.bdate_range(cutoff + pd.offsets.BDay(1), periods=h)
            rows += [(sid, d, cutoff, np.nan, value(sid, i, k)) for k, d in enumerate(ds)]
    cv = pd.DataFrame(rows, columns=["unique_id", "ds", "cutoff", "y", "ACMix"])
    return cv.sample(frac=1.0, random_state=0)


def test_forecast_matrix_aligns_by_step_not_date() -> None:
    # 2024-12-24 is followed by the 25th (a holiday): steps are positions, not dates.
    cutoffs = {
        "a": pd.DatetimeIndex(["2024-12-23", "2024-12-24", "2024-12-26"]),
        "b": pd.DatetimeIndex(["2024-12-20", "2024-12-23", "2024-12-24"]),
    }
    cv = make_cv(cutoffs, 3, lambda sid, i, k: 100 * (sid == "b") + 10 * i + k)
    matrix = stocks_models.forecast_matrix(cv, cutoffs, 3)
    np.testing.assert_array_equal(matrix["a"], [[0, 1, 2], [10, 11, 12], [20, 21, 22]])
    np.testing.assert_array_equal(matrix["b"][2], [120, 121, 122])
    wrong = {**cutoffs, "a": cutoffs["a"] + pd.offsets.BDay(1)}
    with pytest.raises(ValueError, match="do not match the walk-forward origins"):
        stocks_models.forecast_matrix(cv, wrong, 3)


def test_score_of_a_perfect_forecast() -> None:
    rng = np.random.default_rng(0)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 60)))
    origins = np.arange(20, 50)
    paths = {
        stocks_protocol.RW: stocks_models.random_walk(prices, origins, 5),
        "oracle": stocks_models.actual_paths(prices, origins, 5),
    }
    scores = stocks_protocol.score(prices, origins, paths, h=5, cost_bps=5.0)
    oracle, rw = scores["oracle"], scores[stocks_protocol.RW]
    assert oracle["mae"] == 0 and oracle["mase_rw"] == 0 and oracle["hit_rate"] == 1
    assert oracle["binom_trials"] == 6  # every 5th of 30 origins
    assert oracle["dm_stat"] < 0
    assert stocks_protocol.score(prices, origins, paths, h=1, cost_bps=5.0)["oracle"]["p_dm"] < 0.05
    assert rw["mase_rw"] == 1 and np.isnan(rw["hit_rate"]) and np.isnan(rw["p_dm"])
    assert np.isnan(rw["sharpe"])  # never trades
    day_prices = prices[20:51]
    hold = sharpe_ratio(sign_strategy_returns(day_prices, np.ones(30)))
    assert scores["buy & hold"]["sharpe"] == pytest.approx(hold)


def test_arima_rolls_its_state_with_fixed_parameters() -> None:
    from statsmodels.tsa.arima.model import ARIMA

    rng = np.random.default_rng(1)
    prices = 50 * np.exp(np.cumsum(rng.normal(2e-4, 0.01, 300)))
    origins = np.arange(280, 290)
    paths = stocks_models.arima(prices, origins, max_h=4, refit_every=5)
    r = np.diff(np.log(prices))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter, as in the benchmark
        fitted = ARIMA(r[:285], order=(1, 0, 1), trend="c").fit()  # the second refit
    later = fitted.apply(r[:288]).forecast(4)  # origin 288: same parameters, new data
    np.testing.assert_allclose(paths[8], prices[288] * np.exp(np.cumsum(later)), rtol=1e-6)


def panel_of(spans: dict) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"unique_id": sid, "ds": pd.bdate_range(a, b), "y": 1.0})
        for sid, (a, b) in spans.items()
    ]
    return pd.concat(parts, ignore_index=True)


def test_clip_to_common_ends() -> None:
    panel = panel_of({"new": ("2010-01-04", "2018-01-19"), "spy": ("2008-01-02", "2017-12-29"),
                      "old": ("1995-01-02", "2004-04-08")})  # fmt: skip
    ends = stocks_protocol.clip_to_common_ends(panel).groupby("unique_id")["ds"].max()
    assert ends.to_dict() == {
        "new": pd.Timestamp("2017-12-29"),
        "spy": pd.Timestamp("2017-12-29"),
        "old": pd.Timestamp("2004-04-08"),
    }


def test_look_ahead_check_finds_misaligned_ends() -> None:
    settings = stocks_protocol.Settings(horizons=(1, 3), n_test=6, refit_every=3)
    for end, leak in (("2024-03-29", False), ("2024-04-03", True)):
        panel = panel_of({"a": ("2024-01-01", "2024-03-29"), "b": ("2024-01-01", end)})
        origins = {
            sid: stocks_protocol.origin_positions(len(g), 6, 3)
            for sid, g in panel.groupby("unique_id")
        }
        found = stocks_protocol.look_ahead(panel, origins, settings)
        assert (found["a"]["on_target_days"] > 0) == leak
        assert (found["a"]["after_origin"] > 0) == leak and found["b"]["after_origin"] == 0
