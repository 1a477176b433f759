"""The forecast is the median of the members: the ranked candidates, or seeds of one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster
from acmix_ts.estimator.predicting import History, member_forecast


@pytest.fixture(scope="module")
def several(request) -> ACMixForecaster:
    from tests.estimator.conftest import TINY, make_panel

    params = {**TINY, "seasonal": "auto", "trend": "auto", "n_models": "auto"}
    return ACMixForecaster(**params).fit(make_panel(), val_size=24)


def test_auto_keeps_every_candidate_ranked_by_validation_loss(several) -> None:
    losses = [c[3] for c in several.candidate_scores_]
    assert several.n_models_ == len(losses) == len(several.members_) == 3
    ranked = sorted(several.candidate_scores_, key=lambda c: c[3])
    kept = [(m.context_length, m.seasonal, bool(m.config["linear_path"])) for m in several.members_]
    assert kept == [tuple(c[:3]) for c in ranked]
    assert several.network_ is several.members_[0].network


def test_forecast_is_the_median_of_the_members(several) -> None:
    state = several.state_
    history = History.of(state)
    each = [member_forecast(m, state, history, None, several.horizon) for m in state.members]
    expected = np.median(np.stack(each), axis=0)[:, :, 0, 0].reshape(-1)
    np.testing.assert_allclose(several.predict()["ACMix"].to_numpy(), expected)
    assert not np.allclose(each[0], each[1])  # the members differ


def test_one_model_keeps_the_best_candidate(panel, tiny) -> None:
    params = {**tiny, "seasonal": "auto", "trend": "auto", "n_models": 1}
    model = ACMixForecaster(**params).fit(panel, val_size=24)
    best = min(model.candidate_scores_, key=lambda c: c[3])
    assert len(model.members_) == 1 and model.best_val_loss_ == best[3]
    assert (model.context_length_, model.seasonal_, model.trend_) == tuple(best[:3])


def test_more_models_than_candidates_adds_seeds(panel, tiny) -> None:
    model = ACMixForecaster(**{**tiny, "n_models": 3}).fit(panel)
    assert len(model.members_) == 1 and len(model.network_.members) == 3
    assert model.n_models_ == 3


def test_members_survive_save_and_load(several, tmp_path) -> None:
    several.save(tmp_path / "m")
    loaded = ACMixForecaster.load(tmp_path / "m")
    assert [m.config for m in loaded.members_] == [m.config for m in several.members_]
    pd.testing.assert_frame_equal(loaded.predict(level=[80]), several.predict(level=[80]))


def test_init_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        ACMixForecaster(24)  # type: ignore[misc]


def test_history_records_every_candidates_epochs(several, tmp_path) -> None:
    history = several.history_
    assert set(history["candidate"]) == {0, 1, 2}
    for k, rows in history.groupby("candidate"):
        assert rows["epoch"].iloc[0] == -1  # the untrained network, scored first
        trained = rows[rows["epoch"] >= 0]
        assert trained["train_loss"].notna().all() and trained["val_loss"].notna().all()
        assert (trained["learning_rate"] > 0).all() and rows["step"].is_monotonic_increasing
        kept = rows[rows["kept"]].iloc[-1]  # the weights kept: the lowest validation loss
        assert kept["val_loss"] == pytest.approx(several.candidate_scores_[k][3])
    several.save(tmp_path / "h")
    loaded = ACMixForecaster.load(tmp_path / "h").history_
    pd.testing.assert_frame_equal(loaded, history, check_dtype=False)
