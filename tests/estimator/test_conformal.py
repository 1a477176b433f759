"""Split-conformal intervals: exact ranks, scores from the fitted network, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster
from acmix_ts.estimator.conformal import MIN_SCALE, conformity_scores, context_scale, half_width
from acmix_ts.metrics import coverage


def test_half_width_takes_the_conformal_rank() -> None:
    scores = np.arange(1.0, 10.0).reshape(9, 1, 1)  # n = 9 sorted scores
    assert half_width(scores, 80)[0, 0] == 8.0  # ceil(10 * 0.8) = 8th smallest
    assert half_width(scores, 90)[0, 0] == 9.0  # ceil(10 * 0.9) = 9th
    assert half_width(scores, 50)[0, 0] == 5.0  # ceil(10 * 0.5) = 5th
    with pytest.raises(ValueError, match="95% conformal interval needs at least 19 validation"):
        half_width(scores, 95)  # ceil(10 * 0.95) = 10 > 9, and one step: nothing to pool


def test_too_few_windows_pool_the_steps_scaled_by_the_square_root_of_the_step() -> None:
    # 9 windows x 4 steps whose scores grow like sqrt(step): pooled, they are 36 values
    # of 1..9 (each four times); the 95 % rank ceil(37 * 0.95) = 36 is the largest, 9.
    base = np.arange(1.0, 10.0)[:, None, None]  # (9, 1, 1)
    scores = base * np.sqrt(np.arange(1, 5))[None, :, None]  # (9, 4, 1)
    width = half_width(scores, 95)
    np.testing.assert_allclose(width[:, 0], 9.0 * np.sqrt(np.arange(1, 5)))
    np.testing.assert_array_equal(half_width(scores, 80), scores[7])  # enough: per step
    with pytest.raises(ValueError, match=r"99\.9% conformal interval needs at least 999"):
        half_width(scores, 99.9)


def test_steps_not_scored_are_left_out_of_the_rank() -> None:
    # Step 0 has 9 scores; step 1 only 4 (the rest inf): each takes its own rank.
    scores = np.full((9, 2, 1), np.inf)
    scores[:, 0, 0] = np.arange(1.0, 10.0)
    scores[:4, 1, 0] = [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_array_equal(half_width(scores, 50)[:, 0], [5.0, 3.0])  # 5th; 3rd
    # 80 %: step 1 needs rank ceil(5 * 0.8) = 4 <= 4, step 0 ceil(10 * 0.8) = 8.
    np.testing.assert_array_equal(half_width(scores, 80)[:, 0], [8.0, 4.0])
    # 90 %: step 1 would need rank 5 of 4, so the 13 finite scores are pooled.
    pooled = np.sort(np.concatenate([np.arange(1.0, 10.0), np.arange(1.0, 5.0) / np.sqrt(2)]))
    expected = pooled[int(np.ceil(14 * 0.9)) - 1] * np.sqrt([1.0, 2.0])
    np.testing.assert_allclose(half_width(scores, 90)[:, 0], expected)


def test_unscored_steps_get_inf_scores() -> None:
    actual = np.array([[[1.0], [np.nan]], [[np.nan], [2.0]]])  # (2 windows, 2 steps, 1)
    context = np.array([[[0.0], [1.0]], [[0.0], [2.0]]])  # scales 1 and 2
    scores = conformity_scores(actual, np.zeros_like(actual), context)
    np.testing.assert_array_equal(scores[:, :, 0], [[1.0, 1.0], [np.inf, np.inf]])


def test_context_scale_is_the_mean_absolute_change_floored() -> None:
    context = np.array([[0.0, 1.0, 3.0, 6.0]]).reshape(1, 4, 1)  # changes 1, 2, 3
    assert context_scale(context)[0, 0] == pytest.approx(2.0)
    assert context_scale(np.zeros((1, 5, 2)))[0, 0] == MIN_SCALE  # constant: the floor


def test_scores_are_the_sorted_absolute_errors_per_context_scale() -> None:
    rng = np.random.default_rng(0)
    actual, point = rng.normal(size=(7, 4, 2)), rng.normal(size=(7, 4, 2))
    context = rng.normal(size=(7, 16, 2)).cumsum(axis=1)
    scale = np.abs(np.diff(context, axis=1)).mean(axis=1)  # (7, 2)
    expected = np.sort(np.abs(actual - point) / scale[:, None, :], axis=0)
    np.testing.assert_allclose(conformity_scores(actual, point, context), expected)


def test_calibration_forecasts_each_origin_as_predict_would(panel, tiny) -> None:
    """The score of the last validation origin is predict's error from there, per scale."""
    model = ACMixForecaster(**tiny).fit(panel, val_size=12)
    h, length = model.horizon, model.context_length_
    series = panel[panel["unique_id"] == "s0"]
    history = series.iloc[: len(series) - h]
    point = model.predict(df=history)["ACMix"].to_numpy()[0]
    state = model.state_
    mean, std = state.scaler.mean[0, 0], state.scaler.std[0, 0]
    context = (history["y"].to_numpy()[-length:] - mean) / std
    phases = (state.next_phase[0] - h - length + np.arange(length)) % state.cycles.season
    context = context - state.cycles.cycles[0, phases, 0]  # what the network reads
    score = abs(series["y"].iloc[len(series) - h] - point) / std
    score /= np.abs(np.diff(context)).mean()
    assert np.isclose(model.conformal_scores_[:, 0, 0], score, rtol=1e-4).any()
    # Every origin that reaches the 12-step tail within the horizon; each step is scored
    # on the 12 tail steps of each of the 3 series, the rest is inf.
    assert model.conformal_scores_.shape == (3 * (12 + h - 1), h, 1)
    assert (np.isfinite(model.conformal_scores_[:, :, 0]).sum(axis=0) == 3 * 12).all()


def test_intervals_are_symmetric_and_grow_with_the_level(fitted) -> None:
    forecast = fitted.predict(level=[50, 90])
    lo50, hi50 = forecast["ACMix-lo-50"], forecast["ACMix-hi-50"]
    lo90, hi90 = forecast["ACMix-lo-90"], forecast["ACMix-hi-90"]
    np.testing.assert_allclose(hi50 - forecast["ACMix"], forecast["ACMix"] - lo50)
    assert (lo90 <= lo50).all() and (hi50 <= hi90).all() and (lo50 < hi50).all()
    assert (fitted.predict()["ACMix"] == forecast["ACMix"]).all()  # point forecast unchanged
    with pytest.raises(ValueError, match="conformal interval needs at least"):
        fitted.predict(level=[99.9])  # far more validation windows than fit scored


def _white_noise(n_series: int, n_steps: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i}" for i in range(n_series)], n_steps),
            "ds": np.tile(pd.date_range("2024-01-01", periods=n_steps, freq="h"), n_series),
            "y": 5.0 + rng.normal(size=n_series * n_steps),
        }
    )


def test_coverage_on_later_windows_is_near_the_level(tiny) -> None:
    # White noise: validation and later windows are exchangeable, so an 80 % conformal
    # interval should cover about 80 % of later observations.
    df = _white_noise(n_series=6, n_steps=360, seed=1)
    model = ACMixForecaster(**tiny)
    cv = model.cross_validation(df, n_windows=12, step_size=6, val_size=96, level=[80])
    hit = coverage(cv["y"], cv["ACMix-lo-80"], cv["ACMix-hi-80"])
    assert len(cv) == 6 * 12 * 6
    assert 0.7 <= hit <= 0.9, hit


def test_each_target_gets_intervals_in_its_own_units(panel, tiny) -> None:
    df = panel.assign(b=2 * panel["y"] + 1)  # b is y rescaled: same errors in std units
    model = ACMixForecaster(**tiny, target_col=("y", "b")).fit(df)
    forecast = model.predict(level=[80])
    assert model.conformal_scores_.shape[1:] == (tiny["horizon"], 2)
    width_y = forecast["ACMix_y-hi-80"] - forecast["ACMix_y-lo-80"]
    width_b = forecast["ACMix_b-hi-80"] - forecast["ACMix_b-lo-80"]
    assert (width_y > 0).all() and 1.5 < (width_b / width_y).median() < 2.5
