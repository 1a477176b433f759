"""Optuna search of the ACMix design space: trials, pruning, shared studies, score()."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from acmix_ts import ACMixForecaster

from .estimator.conftest import TINY, make_panel

optuna = pytest.importorskip("optuna")
from acmix_ts.tuning import AutoACMixForecaster, tune  # noqa: E402

SPACE = {
    "fusion": ("categorical", ("scalar", "gate", "conv")),
    "learning_rate": ("float", 1e-3, 1e-2, True),
    "context_length": ("categorical", ("2h", "4h")),
}
FIXED = {k: v for k, v in TINY.items() if k not in ("horizon", "context_length", "random_state")}
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def auto() -> AutoACMixForecaster:
    model = AutoACMixForecaster(horizon=6, search_space=SPACE, n_trials=3, fixed=FIXED)
    return model.fit(make_panel())


def test_a_three_trial_search_refits_the_best_setting(auto) -> None:
    assert len(auto.study_.trials) == 3
    assert auto.best_params_["fusion"] in ("scalar", "gate", "conv")
    assert auto.best_params_["context_length"] in (12, 24)  # "2h" / "4h" resolved
    assert auto.best_estimator_.fusion == auto.best_params_["fusion"]
    values = [t.value for t in auto.study_.trials if t.value is not None]
    assert auto.study_.best_value == min(values) and all(np.isfinite(values))
    forecast = auto.predict()
    pd.testing.assert_frame_equal(forecast, auto.best_estimator_.predict())


def test_bad_trials_are_pruned() -> None:
    everything = optuna.pruners.ThresholdPruner(upper=0.0)  # any loss > 0 is pruned
    study = tune(make_panel(), 6, SPACE, n_trials=2, pruner=everything, **FIXED)
    assert [t.state.name for t in study.trials] == ["PRUNED", "PRUNED"]
    assert all(len(t.intermediate_values) == 1 for t in study.trials)


def test_a_study_where_every_trial_fails_says_why() -> None:
    short = make_panel(n_steps=40)  # 40 steps minus 4 validation horizons of 6: too short
    model = AutoACMixForecaster(horizon=6, search_space=SPACE, n_trials=2, val_windows=4,
                                fixed=FIXED)  # fmt: skip
    with pytest.raises(ValueError, match=r"2 of 2 trials failed; the first with: .*fewer val_"):
        model.fit(short)


def test_two_processes_share_one_sqlite_study(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    # The storage's tables are made once, before the workers start (Optuna's recipe:
    # two processes creating one SQLite schema at once can collide).
    optuna.create_study(study_name="shared", storage=url, direction="minimize")
    script = (
        "from acmix_ts.tuning import tune; from tests.estimator.conftest import make_panel; "
        f"from tests.test_tuning import SPACE, FIXED; "
        f"tune(make_panel(), 6, SPACE, n_trials=2, storage={url!r}, study_name='shared', "
        "**FIXED)"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=600) == 0, worker.stderr.read().decode()[-2000:]
    study = optuna.load_study(study_name="shared", storage=url)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 4
    assert sorted(t.number for t in study.trials) == [0, 1, 2, 3]


def test_auto_forecaster_clones_and_pickles(auto) -> None:
    copy = clone(auto)
    assert copy.get_params() == auto.get_params() and not hasattr(copy, "best_estimator_")
    restored = pickle.loads(pickle.dumps(auto))
    pd.testing.assert_frame_equal(restored.predict(), auto.predict())


def test_score_is_the_negative_mase_of_the_last_horizon() -> None:
    panel = make_panel()
    model = ACMixForecaster(**TINY).fit(panel)
    by_hand = []
    for _, series in panel.groupby("unique_id"):
        history, future = series.iloc[:-6], series.iloc[-6:]
        forecast = model.predict(df=history)["ACMix"].to_numpy()
        past = history["y"].to_numpy()
        scale = np.mean(np.abs(past[24:] - past[:-24]))  # season 24 (hourly)
        by_hand.append(np.mean(np.abs(future["y"].to_numpy() - forecast)) / scale)
    assert model.score(panel) == pytest.approx(-np.mean(by_hand))
    from acmix_ts.metrics import neg_mase_scorer

    assert neg_mase_scorer(model, panel) == model.score(panel)


def test_auto_forecaster_saves_and_loads(auto, tmp_path) -> None:
    auto.save(tmp_path / "best")
    loaded = AutoACMixForecaster.load(tmp_path / "best")
    pd.testing.assert_frame_equal(loaded.predict(), auto.predict())
    assert loaded.best_params_["fusion"] == auto.best_params_["fusion"]
