"""The log transform of the targets: chosen from the data, applied at the boundary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster
from acmix_ts.estimator.transform import is_multiplicative

from .conftest import TINY


def monthly(multiplicative: bool, n: int = 144, seed: int = 0) -> pd.DataFrame:
    t = np.arange(n)
    level = 100 * np.exp(0.012 * t)
    season = np.sin(2 * np.pi * t / 12)
    noise = np.random.default_rng(seed).normal(0, 0.01, n)
    additive = level + 30 * season + 100 * noise
    y = level * (1 + 0.3 * season) * np.exp(noise) if multiplicative else additive
    ds = pd.date_range("2000-01-01", periods=n, freq="MS")
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": y})


def blocks(df: pd.DataFrame) -> list[np.ndarray]:
    return [df[["y"]].to_numpy()]


def test_a_swing_growing_with_the_level_is_multiplicative() -> None:
    assert is_multiplicative(blocks(monthly(True)), 12)
    assert not is_multiplicative(blocks(monthly(False)), 12)  # constant swing
    assert not is_multiplicative(blocks(monthly(True)), 1)  # no season
    negative = monthly(True).assign(y=lambda d: d["y"] - 500)
    assert not is_multiplicative(blocks(negative), 12)


SETTINGS = {**TINY, "horizon": 12, "context_length": 36, "patch_len": 6}


def test_auto_fits_log_targets_and_answers_in_the_data_units(tmp_path) -> None:
    df = monthly(True)
    model = ACMixForecaster(**SETTINGS, target_transform="auto").fit(df)
    assert model.log_targets_
    forecast = model.predict(level=[80])
    assert forecast["ACMix"].between(df["y"].min(), 3 * df["y"].max()).all()
    upside = forecast["ACMix-hi-80"] - forecast["ACMix"]
    downside = forecast["ACMix"] - forecast["ACMix-lo-80"]
    assert (upside > downside).all()  # exp of a symmetric interval in logs
    pd.testing.assert_frame_equal(model.predict(df=df, level=[80]), forecast)
    cv = model.cross_validation(df, n_windows=2, step_size=12)
    np.testing.assert_allclose(cv["y"], df["y"].iloc[-24:])  # targets as given
    assert cv["ACMix"].between(df["y"].min() / 2, 2 * df["y"].max()).all()
    model.save(tmp_path / "log")
    loaded = ACMixForecaster.load(tmp_path / "log")
    assert loaded.log_targets_
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())


def test_auto_leaves_additive_data_alone_and_log_refuses_non_positive_values() -> None:
    assert not ACMixForecaster(**SETTINGS, target_transform="auto").fit(monthly(False)).log_targets_
    model = ACMixForecaster(**SETTINGS, target_transform="log").fit(monthly(True))
    history = monthly(True).assign(y=lambda d: d["y"] - 1e6)
    with pytest.raises(ValueError, match="target_transform"):
        model.predict(df=history)
    with pytest.raises(ValueError, match="target_transform"):
        ACMixForecaster(**SETTINGS, target_transform="sqrt").fit(monthly(True))
