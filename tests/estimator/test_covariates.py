"""Covariates reach the network: a target driven by a known future covariate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster

from .conftest import TINY


def _driven_panel(n_series: int = 4, n_steps: int = 360, seed: int = 0) -> pd.DataFrame:
    """y = 3 x + noise, with x a random known-in-advance signal (e.g. a planned price)."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        x = rng.normal(0, 1, n_steps)
        y = 3 * x + rng.normal(0, 0.1, n_steps)
        ds = pd.date_range("2023-01-01", periods=n_steps, freq="D")
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y, "x": x}))
    return pd.concat(frames, ignore_index=True)


def test_future_covariate_is_used() -> None:
    panel = _driven_panel()
    train = panel.groupby("unique_id").head(354)
    test = panel.groupby("unique_id").tail(6)
    params = {**TINY, "max_epochs": 6, "d_model": 32, "learning_rate": 3e-3}
    with_x = ACMixForecaster(**params, future_covariates=("x",)).fit(train)
    without_x = ACMixForecaster(**params).fit(train)
    futr = test[["unique_id", "ds", "x"]]
    truth = test[["unique_id", "ds", "y"]]
    mae_with = (with_x.predict(futr_df=futr).merge(truth).eval("ACMix - y")).abs().mean()
    mae_without = (without_x.predict().merge(truth).eval("ACMix - y")).abs().mean()
    assert mae_with < 0.3 * mae_without, (mae_with, mae_without)


def test_past_and_static_covariates_train_and_predict() -> None:
    panel = _driven_panel(n_series=3, n_steps=120)
    panel["lagged"] = panel.groupby("unique_id")["x"].shift(1).fillna(0.0)
    panel["size"] = panel["unique_id"].map({"s0": 1.0, "s1": 2.0, "s2": 3.0})
    model = ACMixForecaster(**TINY, past_covariates=("lagged",), static_covariates=("size",)).fit(
        panel
    )
    assert model.network_config_["n_past_covariates"] == 1
    assert model.network_config_["n_static"] == 1
    assert np.isfinite(model.predict()["ACMix"]).all()


def test_futr_df_rows_match_on_id_and_time_in_any_order(panel, tiny) -> None:
    df = panel.assign(x=np.tile(np.arange(160.0) % 5, 3))
    model = ACMixForecaster(**tiny, future_covariates=("x",)).fit(df)
    futr = model.make_future_dataframe()
    assert len(futr) == 3 * 6 and list(futr.columns) == ["unique_id", "ds"]
    assert len(model.get_missing_future(futr.iloc[:0].assign(x=[]))) == 18
    futr["x"] = np.arange(18.0) % 5
    ordered = model.predict(futr_df=futr)
    shuffled = futr.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(model.predict(futr_df=shuffled), ordered)
    assert model.get_missing_future(shuffled).empty
    with pytest.raises(ValueError, match="1 are missing"):
        model.predict(futr_df=futr.drop(index=4))


def test_h_beyond_horizon_with_covariates_is_refused(panel, tiny) -> None:
    df = panel.assign(x=np.tile(np.arange(160.0) % 5, 3))
    model = ACMixForecaster(**tiny, past_covariates=("x",)).fit(df)
    with pytest.raises(ValueError, match=r"reads covariates \(\['x'\]\).*horizon >= 9"):
        model.predict(h=9)
