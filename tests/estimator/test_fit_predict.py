"""fit / predict behaviour: output layout, determinism, inputs kept intact, quiet training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import pytorch_lightning as pl

from acmix_ts import ACMixForecaster

from .conftest import make_panel


def test_predict_layout_and_timestamps(fitted, panel) -> None:
    forecast = fitted.predict()
    assert list(forecast.columns) == ["unique_id", "ds", "ACMix"]
    assert len(forecast) == 3 * 6
    first = forecast[forecast["unique_id"] == "s0"]["ds"]
    last_seen = panel[panel["unique_id"] == "s0"]["ds"].max()
    expected = pd.date_range(last_seen + pd.Timedelta(hours=1), periods=6, freq="h")
    assert (first.to_numpy() == expected.to_numpy()).all()
    assert np.isfinite(forecast["ACMix"]).all()


def test_forecast_level_is_sensible(fitted, panel) -> None:
    forecast = fitted.predict()
    for sid, group in forecast.groupby("unique_id"):
        history = panel.loc[panel["unique_id"] == sid, "y"]
        assert history.min() - 3 < group["ACMix"].mean() < history.max() + 3


def test_h_shorter_than_horizon(fitted) -> None:
    full, short = fitted.predict(), fitted.predict(h=2)
    assert len(short) == 3 * 2
    head = full.groupby("unique_id").head(2).reset_index(drop=True)
    np.testing.assert_allclose(short["ACMix"], head["ACMix"], rtol=1e-6)


def test_h_longer_than_horizon_rolls_the_forecast_forward(fitted, panel) -> None:
    long = fitted.predict(h=15)
    assert len(long) == 3 * 15 and long.groupby("unique_id")["ds"].is_monotonic_increasing.all()
    first = long.groupby("unique_id").head(6).reset_index(drop=True)
    np.testing.assert_allclose(first["ACMix"], fitted.predict()["ACMix"], rtol=1e-6)
    # Steps 7-12 are the forecast from the history extended by steps 1-6.
    extended = pd.concat([panel, fitted.predict().rename(columns={"ACMix": "y"})])
    extended = extended.sort_values(["unique_id", "ds"], kind="stable")
    second = fitted.predict(df=extended)["ACMix"].to_numpy()
    block = long.groupby("unique_id").nth(list(range(6, 12)))["ACMix"].to_numpy()
    np.testing.assert_allclose(block, second, rtol=1e-5)
    with pytest.raises(ValueError, match=r"Intervals and quantiles cover at most horizon=6"):
        fitted.predict(h=7, level=[80])


def test_same_seed_same_predictions(panel, tiny) -> None:
    first = ACMixForecaster(**tiny).fit(panel).predict()
    second = ACMixForecaster(**tiny).fit(panel).predict()
    pd.testing.assert_frame_equal(first, second)
    other = ACMixForecaster(**{**tiny, "random_state": 1}).fit(panel).predict()
    assert not np.allclose(first["ACMix"], other["ACMix"])


def test_inputs_never_mutated(panel, tiny) -> None:
    shuffled = panel.sample(frac=1.0, random_state=0).sort_values("ds", kind="stable")
    before = shuffled.copy(deep=True)
    model = ACMixForecaster(**tiny).fit(shuffled)
    model.predict(df=shuffled)
    pd.testing.assert_frame_equal(shuffled, before)


def test_interleaved_rows_equal_grouped_rows(panel, tiny) -> None:
    interleaved = panel.sort_values(["ds", "unique_id"]).reset_index(drop=True)
    a = ACMixForecaster(**tiny).fit(panel).predict()
    b = ACMixForecaster(**tiny).fit(interleaved).predict()
    pd.testing.assert_frame_equal(a, b)


def test_wide_frame_and_series_inputs(panel, tiny) -> None:
    wide = panel.pivot(index="ds", columns="unique_id", values="y")
    wide.columns.name = None
    forecast = ACMixForecaster(**tiny).fit(wide).predict()
    assert sorted(forecast["unique_id"].unique()) == ["s0", "s1", "s2"]
    series = wide["s1"]
    forecast = ACMixForecaster(**tiny).fit(series).predict()
    assert forecast["unique_id"].unique().tolist() == ["s1"]


def test_multivariate_targets(tiny) -> None:
    panel = make_panel(n_series=2)
    panel["z"] = panel["y"] * 2 + 1
    model = ACMixForecaster(**tiny, target_col=("y", "z")).fit(panel)
    forecast = model.predict()
    assert list(forecast.columns) == ["unique_id", "ds", "ACMix_y", "ACMix_z"]
    assert model.network_config_["n_targets"] == 2


def test_predict_unseen_series_with_new_history(fitted) -> None:
    new = make_panel(n_series=2, seed=5)
    new["unique_id"] = new["unique_id"].map({"s0": "new_a", "s1": "new_b"})
    new["y"] += 50  # a level the model never saw: scaling comes from the new history
    forecast = fitted.predict(df=new)
    assert forecast["unique_id"].unique().tolist() == ["new_a", "new_b"]
    assert forecast["ACMix"].between(40, 80).all()


def test_known_series_are_read_from_their_tail_only(fitted, panel) -> None:
    length = fitted.context_length_
    tails = panel.groupby("unique_id").tail(length)
    whole = fitted.predict(df=panel)
    pd.testing.assert_frame_equal(fitted.predict(df=tails), whole)
    # Rows before the tail are counted, not read: a bad value there changes nothing ...
    early = panel.copy()
    early.loc[early.groupby("unique_id").head(5).index, "y"] = 1e6
    pd.testing.assert_frame_equal(fitted.predict(df=early), whole)
    # ... but the tail the network reads is still checked.
    broken = panel.copy()
    broken.loc[broken.index[-3], "y"] = np.nan
    with pytest.raises(ValueError, match="NaN/inf"):
        fitted.predict(df=broken)


def test_new_series_are_scaled_from_their_whole_history(fitted) -> None:
    new = make_panel(n_series=1, seed=7)
    new["unique_id"] = "fresh"
    new.loc[: len(new) // 2, "y"] += 100  # the early half moves the series' mean
    shifted = fitted.predict(df=new)
    tail = fitted.predict(df=new.tail(fitted.context_length_))
    assert not np.allclose(shifted["ACMix"], tail["ACMix"])


def test_quantiles_and_levels(panel, tiny) -> None:
    model = ACMixForecaster(**tiny, loss="quantile", quantiles=(0.1, 0.9)).fit(panel)
    assert model.quantiles_ == (0.1, 0.5, 0.9)
    forecast = model.predict(level=[80], quantiles=[0.5])
    expected = ["unique_id", "ds", "ACMix", "ACMix-lo-80", "ACMix-hi-80", "ACMix_ql0.5"]
    assert list(forecast.columns) == expected
    assert (forecast["ACMix-lo-80"] <= forecast["ACMix"]).all()
    assert (forecast["ACMix"] <= forecast["ACMix-hi-80"]).all()
    np.testing.assert_array_equal(forecast["ACMix"], forecast["ACMix_ql0.5"])
    with pytest.raises(ValueError, match=r"Quantile 0\.025 was not trained"):
        model.predict(level=[95])


def test_level_without_any_interval_information_explains(panel, tiny) -> None:
    model = ACMixForecaster(**tiny).fit(panel, val_size=0)  # point loss, no validation
    with pytest.raises(ValueError, match=r"Fit with val_size > 0 .* loss='quantile'"):
        model.predict(level=[80])


def test_quiet_training_leaves_no_folders(panel, tiny, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    model = ACMixForecaster(**tiny).fit(panel)
    assert list(tmp_path.iterdir()) == []
    captured = capsys.readouterr()
    assert "Params" not in captured.out and "GPU available" not in captured.out + captured.err
    assert not any(isinstance(v, pl.Trainer) for v in vars(model).values())


def test_predict_builds_no_trainer(fitted, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("predict must not build a Trainer")

    monkeypatch.setattr(pl.Trainer, "__init__", refuse)
    assert len(fitted.predict()) == 18


def test_early_stopping_keeps_best_epoch(panel, tiny) -> None:
    model = ACMixForecaster(**{**tiny, "max_epochs": 4}).fit(panel, val_size=12)
    assert model.best_val_loss_ is not None and np.isfinite(model.best_val_loss_)
    no_val = ACMixForecaster(**tiny).fit(panel, val_size=0)
    assert no_val.best_val_loss_ is None


def test_learns_a_sinusoid_better_than_naive(tiny) -> None:
    panel = make_panel(n_series=4, n_steps=400)
    train = panel.groupby("unique_id").head(394)
    test = panel.groupby("unique_id").tail(6)
    model = ACMixForecaster(**{**tiny, "max_epochs": 8, "d_model": 32}).fit(train)
    forecast = model.predict().merge(test, on=["unique_id", "ds"])
    naive = train.groupby("unique_id")["y"].last().rename("naive")
    forecast = forecast.merge(naive, left_on="unique_id", right_index=True)
    model_mae = (forecast["ACMix"] - forecast["y"]).abs().mean()
    naive_mae = (forecast["naive"] - forecast["y"]).abs().mean()
    assert model_mae < 0.6 * naive_mae
