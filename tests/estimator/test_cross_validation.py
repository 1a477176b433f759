"""Rolling-origin backtests: layout, refit schedule, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster
from acmix_ts.estimator.backtest import refit_windows


def test_layout_and_cutoffs(panel, tiny) -> None:
    cv = ACMixForecaster(**tiny).cross_validation(panel, n_windows=3, step_size=4)
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", "ACMix"]
    assert len(cv) == 3 * 3 * 6
    cutoffs = sorted(cv["cutoff"].unique())
    end = panel["ds"].max()
    expected = [end - pd.Timedelta(hours=6 + 4 * k) for k in (2, 1, 0)]
    assert [pd.Timestamp(c) for c in cutoffs] == expected
    assert (cv["ds"] > cv["cutoff"]).all()
    assert cv["y"].notna().all()


def test_no_window_sees_data_after_its_cutoff(panel, tiny) -> None:
    model = ACMixForecaster(**tiny)
    clean = model.cross_validation(panel, n_windows=2, step_size=6)
    first_cutoff = clean["cutoff"].min()
    first = clean["cutoff"] == first_cutoff
    # Huge values after the first cutoff: the first window's forecasts must not move.
    spiked = panel.copy()
    spiked.loc[spiked["ds"] > first_cutoff, "y"] = 1e6
    cv = model.cross_validation(spiked, n_windows=2, step_size=6)
    np.testing.assert_array_equal(cv.loc[first, "ACMix"], clean.loc[first, "ACMix"])
    assert not np.allclose(cv.loc[~first, "ACMix"], clean.loc[~first, "ACMix"])
    # NaN in the horizon of the last window is never read: it only shows up as y.
    poisoned = panel.copy()
    last_cutoff = clean["cutoff"].max()
    poisoned.loc[poisoned["ds"] > last_cutoff, "y"] = np.nan
    cv = model.cross_validation(poisoned, n_windows=2, step_size=6)
    np.testing.assert_array_equal(cv["ACMix"], clean["ACMix"])
    assert cv.loc[~first, "y"].isna().all() and cv.loc[first, "y"].notna().all()


def test_refit_schedule() -> None:
    assert refit_windows(4, False) == [True, False, False, False]
    assert refit_windows(4, True) == [True, True, True, True]
    assert refit_windows(5, 2) == [True, False, True, False, True]
    with pytest.raises(ValueError, match="refit must be a bool or an int >= 0"):
        refit_windows(3, -1)


def test_refit_uses_later_data(panel, tiny) -> None:
    once = ACMixForecaster(**tiny).cross_validation(panel, n_windows=2, refit=False)
    each = ACMixForecaster(**tiny).cross_validation(panel, n_windows=2, refit=True)
    first = once["cutoff"] == once["cutoff"].min()
    np.testing.assert_allclose(once.loc[first, "ACMix"], each.loc[first, "ACMix"])
    assert not np.allclose(once.loc[~first, "ACMix"], each.loc[~first, "ACMix"])


def test_future_covariates_in_backtest(panel, tiny) -> None:
    df = panel.assign(x=np.cos(np.arange(len(panel)) / 3.0))
    cv = ACMixForecaster(**tiny, future_covariates=("x",)).cross_validation(df, n_windows=2)
    assert len(cv) == 2 * 3 * 6 and np.isfinite(cv["ACMix"]).all()


def test_too_many_windows(panel, tiny) -> None:
    with pytest.raises(ValueError, match="need longer series"):
        ACMixForecaster(**tiny).cross_validation(panel, n_windows=100, step_size=6)


def test_output_works_with_utilsforecast(panel, tiny) -> None:
    from utilsforecast.evaluation import evaluate
    from utilsforecast.losses import mae

    model = ACMixForecaster(**tiny, loss="quantile", quantiles=(0.1, 0.9))
    cv = model.cross_validation(panel, n_windows=2)
    scores = evaluate(cv.drop(columns="cutoff"), metrics=[mae], models=["ACMix"])
    assert set(scores["unique_id"]) == {"s0", "s1", "s2"}
    assert np.isfinite(scores["ACMix"]).all()
    forecast = model.fit(panel).predict(level=[80])
    assert {"ACMix-lo-80", "ACMix-hi-80"} <= set(forecast.columns)
    # Quantile columns carry neuralforecast's names, which utilsforecast's losses read.
    from utilsforecast.losses import mqloss

    held_out = panel.groupby("unique_id").tail(6)
    model.fit(panel.drop(held_out.index))
    forecast = model.predict(quantiles=[0.1, 0.9]).merge(held_out, on=["unique_id", "ds"])
    columns = {"ACMix": ["ACMix_ql0.1", "ACMix_ql0.9"]}
    loss = mqloss(forecast, columns, quantiles=np.array([0.1, 0.9]))
    assert np.isfinite(loss["ACMix"]).all() and (loss["ACMix"] > 0).all()


def test_one_fit_backtest_is_predict_at_every_cutoff_and_stays_fitted(panel, tiny) -> None:
    model = ACMixForecaster(**tiny)
    cv = model.cross_validation(panel, n_windows=9, step_size=1, level=[80])
    assert hasattr(model, "state_") and len(cv) == 9 * 3 * 6  # fitted, as neuralforecast
    for cutoff in sorted(cv["cutoff"].unique())[::4]:
        history = panel[panel["ds"] <= cutoff]
        expected = model.predict(df=history, level=[80])
        got = cv[cv["cutoff"] == cutoff].reset_index(drop=True)
        for column in ("ACMix", "ACMix-lo-80", "ACMix-hi-80"):
            np.testing.assert_allclose(got[column], expected[column], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(got["ds"], expected["ds"])


def test_predict_insample_gives_the_fitted_values(fitted, panel) -> None:
    insample = fitted.predict_insample(panel, step_size=6)
    assert list(insample.columns) == ["unique_id", "ds", "cutoff", "y", "ACMix"]
    per_series = (160 - 24 - 6) // 6 + 1  # origins 24, 30, ..., 154
    assert len(insample) == 3 * per_series * 6
    cutoff = insample["cutoff"].iloc[-1]
    expected = fitted.predict(df=panel[panel["ds"] <= cutoff])
    got = insample[insample["cutoff"] == cutoff].reset_index(drop=True)
    np.testing.assert_allclose(got["ACMix"], expected["ACMix"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got["y"], panel.set_index(["unique_id", "ds"]).loc[
        list(zip(got["unique_id"], got["ds"], strict=True)), "y"])  # fmt: skip
