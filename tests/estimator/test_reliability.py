"""Faults and odd inputs: the user's state survives, and every refusal says what to do."""

from __future__ import annotations

import random
import signal

import numpy as np
import pandas as pd
import pytest
import pytorch_lightning as pl
import torch

from acmix_ts import ACMixForecaster


def _fit(tiny, df, **params):
    return ACMixForecaster(**{**tiny, **params}).fit(df)


# ------------------------------------------------------------------ global state
def test_fit_leaves_the_global_generators_alone(panel, tiny) -> None:
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002 - the legacy global generator is what fit must not touch
    torch.manual_seed(11)
    expected = (random.random(), np.random.random(), torch.rand(1).item())  # noqa: NPY002
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002 - the legacy global generator is what fit must not touch
    torch.manual_seed(11)
    first = _fit(tiny, panel).predict()
    assert (random.random(), np.random.random(), torch.rand(1).item()) == expected  # noqa: NPY002
    pd.testing.assert_frame_equal(_fit(tiny, panel).predict(), first)  # still reproducible


class _Interrupt(pl.Callback):
    def on_train_batch_start(self, *args) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_reaches_the_caller_and_leaves_the_model(fitted, panel) -> None:
    before = fitted.predict()
    handler = signal.getsignal(signal.SIGINT)
    fitted.set_params(trainer_kwargs={"callbacks": [_Interrupt()]})
    try:
        with pytest.raises(KeyboardInterrupt):
            fitted.fit(panel)
    finally:
        fitted.set_params(trainer_kwargs=None)
    assert signal.getsignal(signal.SIGINT) is handler  # Lightning had set SIG_IGN
    pd.testing.assert_frame_equal(fitted.predict(), before)


# ----------------------------------------------------------------------- numerics
@pytest.mark.parametrize("scale", [1e-12, 1e12])
def test_forecasts_are_scale_free(panel, tiny, scale) -> None:
    base = _fit(tiny, panel).predict()
    scaled = _fit(tiny, panel.assign(y=panel["y"] * scale)).predict()
    np.testing.assert_allclose(scaled["ACMix"] / scale, base["ACMix"], rtol=1e-3)


def test_constant_tiny_series_is_forecast_at_its_level(panel, tiny) -> None:
    flat = panel.assign(y=3e-13)
    forecast = _fit(tiny, flat).predict()["ACMix"].to_numpy()
    np.testing.assert_allclose(forecast, 3e-13, rtol=1e-6)


def test_huge_values_give_a_clear_error(panel, tiny) -> None:
    with pytest.raises(ValueError, match=r"too large to standardise.*Divide them"):
        _fit(tiny, panel.assign(y=panel["y"] * 1e306))


# ----------------------------------------------------------------------- statics
def _with_static(panel):
    return panel.assign(size=panel["unique_id"].map({"s0": 1.0, "s1": 2.0, "s2": 3.0}))


def test_nan_static_is_named(panel, tiny) -> None:
    df = _with_static(panel)
    df.loc[df["unique_id"] == "s1", "size"] = np.nan
    with pytest.raises(ValueError, match=r"static column 'size' of df is NaN.*series 's1'"):
        _fit(tiny, df, static_covariates=("size",))
    table = pd.DataFrame({"unique_id": ["s0", "s1", "s2"], "size": [1.0, np.nan, 2.0]})
    with pytest.raises(ValueError, match=r"static column 'size' of static_df.*'s1'"):
        ACMixForecaster(**tiny, static_covariates=("size",)).fit(panel, static_df=table)


def test_nan_inside_one_series_static_is_named(panel, tiny) -> None:
    df = _with_static(panel)
    df.loc[df.index[df["unique_id"] == "s2"][5], "size"] = np.nan
    with pytest.raises(ValueError, match=r"'size' of df is NaN.*series 's2' \(1 rows\)"):
        _fit(tiny, df, static_covariates=("size",))


def test_varying_static_is_named(panel, tiny) -> None:
    df = _with_static(panel)
    df.loc[df.index[df["unique_id"] == "s2"][5], "size"] = 9.0
    with pytest.raises(ValueError, match=r"vary within series 's2'"):
        _fit(tiny, df, static_covariates=("size",))


def test_conflicting_static_rows_are_refused(panel, tiny) -> None:
    table = pd.DataFrame({"unique_id": ["s0", "s1", "s2", "s1"], "size": [1.0, 2.0, 3.0, 4.0]})
    model = ACMixForecaster(**tiny, static_covariates=("size",))
    with pytest.raises(ValueError, match=r"conflicting rows for series \['s1'\]"):
        model.fit(panel, static_df=table)
    same = pd.concat([table.iloc[:3], table.iloc[[1]]])  # an identical repeat is fine
    assert model.fit(panel, static_df=same).static_.shape == (3, 1)


# -------------------------------------------------------------------- time axes
def test_unnamed_series_works(tiny) -> None:
    y = pd.Series(np.sin(np.arange(160) / 4), index=pd.date_range("2024", periods=160, freq="h"))
    forecast = _fit(tiny, y).predict()
    assert list(forecast.columns) == ["unique_id", "ds", "ACMix"] and len(forecast) == 6


def test_period_time_axes_say_how_to_convert(panel, tiny) -> None:
    periods = pd.Series(np.arange(160.0), index=pd.period_range("2000-01", periods=160, freq="M"))
    with pytest.raises(ValueError, match=r"PeriodIndex.*to_timestamp\(\)"):
        _fit(tiny, periods)
    long = panel.assign(ds=np.tile(pd.period_range("2000-01", periods=160, freq="M"), 3))
    with pytest.raises(ValueError, match=r"holds periods.*dt.to_timestamp\(\)"):
        _fit(tiny, long)
    with pytest.raises(ValueError, match=r"non-integer numbers \(float64\)"):
        _fit(tiny, panel.assign(ds=np.tile(np.arange(160.0), 3)))


def test_integer_time_axis_works_and_comes_back_as_integers(panel, tiny, tmp_path) -> None:
    steps = panel.assign(ds=np.tile(np.arange(160) * 5 + 1000, 3))
    model = _fit(tiny, steps, freq=5)
    forecast = model.predict()
    assert forecast["ds"].dtype.kind == "i" and model.season_length_ == 1
    assert forecast["ds"].tolist()[:6] == [1800, 1805, 1810, 1815, 1820, 1825]
    by_dates = _fit(tiny, panel, season_length=1)  # the same model on a datetime axis
    np.testing.assert_allclose(forecast["ACMix"], by_dates.predict()["ACMix"], rtol=1e-5)
    assert _fit(tiny, steps).freq_ == model.freq_  # the step is inferred too
    cv = model.cross_validation(steps, n_windows=2, step_size=6)
    assert cv["cutoff"].dtype.kind == "i" and cv["ds"].dtype.kind == "i"
    model.save(tmp_path / "int")  # now fitted up to the first cutoff (as neuralforecast)
    loaded = ACMixForecaster.load(tmp_path / "int").predict()
    pd.testing.assert_frame_equal(loaded, model.predict())
    assert loaded["ds"].dtype.kind == "i"
    ranged = _fit(tiny, pd.Series(np.sin(np.arange(160) / 3)))  # a RangeIndex Series
    assert ranged.predict()["ds"].tolist()[:2] == [160, 161]
    with pytest.raises(ValueError, match=r"integer time axes go up to"):
        _fit(tiny, panel.assign(ds=np.tile(np.arange(160) + 1_700_000_000, 3)))


def test_integer_time_axis_with_future_covariates(panel, tiny) -> None:
    steps = panel.assign(ds=np.tile(np.arange(160), 3), x=np.tile(np.arange(160.0) % 5, 3))
    model = _fit(tiny, steps, future_covariates=("x",))
    futr = model.make_future_dataframe()
    assert futr["ds"].tolist()[:2] == [160, 161]
    assert np.isfinite(model.predict(futr_df=futr.assign(x=1.0))["ACMix"]).all()


def test_empty_frame_and_duplicated_columns(panel, tiny) -> None:
    with pytest.raises(ValueError, match="df is empty"):
        _fit(tiny, panel.iloc[:0])
    doubled = pd.concat([panel, panel[["y"]]], axis=1)
    with pytest.raises(ValueError, match=r"duplicated column names \['y'\]"):
        _fit(tiny, doubled)


# -------------------------------------------------------------------- parameters
def test_numpy_integer_parameters_fit(panel, tiny) -> None:
    params = {k: np.int64(v) for k, v in tiny.items() if type(v) is int}
    model = _fit(tiny, panel, **params)
    assert model.network_config_["d_model"] == 16 and type(model.context_length_) is int


@pytest.mark.parametrize("seed", ["0", 1.5, True, -1])
def test_bad_random_state_is_rejected(panel, tiny, seed) -> None:
    with pytest.raises(ValueError, match="'random_state' parameter of ACMixForecaster must"):
        _fit(tiny, panel, random_state=seed)


def test_max_epochs_zero_is_rejected(panel, tiny) -> None:
    with pytest.raises(ValueError, match=r"'max_epochs' parameter.*an int >= 1"):
        _fit(tiny, panel, max_epochs=0)


def test_bad_h_and_level(fitted) -> None:
    with pytest.raises(ValueError, match=r"h must be an int >= 1"):
        fitted.predict(h=True)
    with pytest.raises(ValueError, match=r"level must be a list.*level=\[80, 95\]"):
        fitted.predict(level=80)
    with pytest.raises(ValueError, match=r"level must hold numbers in \(0, 100\).*'80'"):
        fitted.predict(level=["80"])
    assert "ACMix-lo-80" in fitted.predict(level=np.array([80]))


def test_futr_df_must_be_a_frame(panel, tiny) -> None:
    df = panel.assign(x=np.tile(np.arange(160.0) % 5, 3))
    model = _fit(tiny, df, future_covariates=("x",))
    with pytest.raises(TypeError, match=r"futr_df must be a pandas DataFrame.*Got dict"):
        model.predict(futr_df={"x": [1.0]})


def test_training_options_are_parameters_not_network_kwargs(panel, tiny) -> None:
    with pytest.raises(ValueError, match=r"pass them as ACMixForecaster\(weight_decay=\.\.\.\)"):
        _fit(tiny, panel, network_kwargs={"weight_decay": 0.1})
    with pytest.raises(ValueError, match=r"no valid network.*unknown fields \['colour'\]"):
        _fit(tiny, panel, network_kwargs={"colour": "red"})
    with pytest.raises(ValueError, match=r"no valid network.*divisor of d_model=15"):
        _fit(tiny, panel, d_model=15)
    model = _fit(tiny, panel, weight_decay=0.2, attention_warmup_epochs=1)
    assert model.get_params()["weight_decay"] == 0.2


def test_trainer_max_steps_and_own_early_stopping_work(panel, tiny) -> None:
    from pytorch_lightning.callbacks import EarlyStopping

    short = _fit(tiny, panel, trainer_kwargs={"max_steps": 3})  # ends before a validation
    untrained = _fit(tiny, panel, max_epochs=1, learning_rate=1e-12)
    assert not np.allclose(short.predict()["ACMix"], untrained.predict()["ACMix"])
    own = EarlyStopping(monitor="val_loss", patience=1)
    model = _fit(tiny, panel, trainer_kwargs={"callbacks": [own]})
    assert np.isfinite(model.predict()["ACMix"]).all()


def test_own_model_checkpoint_writes_its_files(panel, tiny, tmp_path) -> None:
    from pytorch_lightning.callbacks import ModelCheckpoint

    checkpoint = ModelCheckpoint(dirpath=tmp_path, monitor="val_loss")
    model = _fit(tiny, panel, trainer_kwargs={"callbacks": [checkpoint]})
    assert list(tmp_path.glob("*.ckpt")) and checkpoint.best_model_path
    assert np.isfinite(model.predict()["ACMix"]).all()


def test_early_stopping_min_delta_counts_only_large_improvements(panel, tiny) -> None:
    def epochs(**params) -> int:
        model = _fit(tiny, panel, max_epochs=6, early_stopping_patience=1, **params)
        return int((model.history_["epoch"] >= 0).sum())  # -1: the untrained network

    assert epochs(early_stopping_min_delta=1e9) == 2  # the second check never counts
    assert epochs(early_stopping_min_delta=0.0) > 2
    with pytest.raises(ValueError, match="early_stopping_min_delta"):
        _fit(tiny, panel, early_stopping_min_delta=-1.0)


def test_categorical_ids_come_back_categorical(panel, tiny) -> None:
    ids = panel["unique_id"].astype("category")
    forecast = _fit(tiny, panel.assign(unique_id=ids)).predict()
    assert isinstance(forecast["unique_id"].dtype, pd.CategoricalDtype)
    assert list(forecast["unique_id"].cat.categories) == ["s0", "s1", "s2"]
