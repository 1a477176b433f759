"""The models of the peers benchmark, each run through its own library's backtest.

Every runner returns an :class:`Outcome`: the backtest frame (``unique_id``, ``ds``,
``cutoff``, ``y`` and the model's column) plus fit wall / CPU seconds, the whole
backtest's wall seconds, ``predict`` latency and the settings it ran with.
neuralforecast and statsforecast are imported inside the runners that need them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
import pytorch_lightning as pl
import torch

from acmix_ts import ACMixForecaster
from acmix_ts.training.trainer import quiet_lightning
from benchmarks.peers_tasks import Clock, Windows, history, median_latency

NEURAL_MODELS = ("NHITS", "PatchTST", "DLinear")
STATS_MODELS = ("SeasonalNaive", "AutoETS", "AutoTheta", "AutoARIMA")
SEASON = 24


@dataclass
class Outcome:
    """What one model's run measured."""

    cv: pd.DataFrame
    fit_wall_s: float
    fit_cpu_s: float
    cv_wall_s: float
    predict_s: float | None = None
    predict_calls: int = 0
    settings: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)


# -------------------------------------------------------------------------- ACMix
_ACMIX_FITS: list[tuple[ACMixForecaster, Clock]] = []


class TimedACMix(ACMixForecaster):
    """``ACMixForecaster`` whose ``fit`` is timed and remembered.

    ``cross_validation`` fits a clone (same class, same parameters), so the fitted
    model and its fit time are recorded here rather than returned.
    """

    def fit(self, df, val_size=None, static_df=None) -> TimedACMix:
        with Clock() as clock:
            super().fit(df, val_size=val_size, static_df=static_df)
        _ACMIX_FITS.append((self, clock))
        return self


def run_acmix(df: pd.DataFrame, windows: Windows, params: dict, seed: int) -> Outcome:
    """ACMix's own ``cross_validation``: fitted once before the first cutoff, never refit."""
    settings = {**params, "random_state": seed}
    _ACMIX_FITS.clear()
    with Clock() as total:
        cv = TimedACMix(**settings).cross_validation(
            df, n_windows=windows.n_windows, step_size=windows.step_size
        )
    (model, clock), *_ = _ACMIX_FITS
    fit_rows = history(df, windows)
    latency, calls = median_latency(lambda: model.predict(df=fit_rows))
    training = {"best_val_loss": model.best_val_loss_}
    return Outcome(cv, clock.wall, clock.cpu, total.wall, latency, calls, settings, training)


# -------------------------------------------------------------------- neuralforecast
@contextmanager
def quiet() -> Iterator[None]:
    """Lightning's informational logs and its known, harmless warnings off."""
    with quiet_lightning(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        yield


class FitRecorder(pl.Callback):
    """Times ``trainer.fit`` and restores the weights of the best validation check.

    ACMix keeps its best validation epoch; neuralforecast's early stopping alone keeps
    the last weights, so this callback gives the peers the same model selection.
    """

    def __init__(self, monitor: str = "ptl/val_loss"):
        self.monitor = monitor
        self.clock = Clock()
        self.best = math.inf
        self.best_step: int | None = None
        self.checks = 0
        self.steps = 0
        self._best_weights: dict[str, torch.Tensor] | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.clock.__enter__()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if trainer.sanity_checking or value is None:
            return
        self.checks += 1
        if float(value) < self.best:
            self.best, self.best_step = float(value), trainer.global_step
            weights = pl_module.state_dict()
            self._best_weights = {k: v.detach().clone() for k, v in weights.items()}

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._best_weights is not None:
            pl_module.load_state_dict(self._best_weights)
            self._best_weights = None
        self.steps = trainer.global_step
        self.clock.__exit__()


def neural_settings(name: str, horizon: int, budget: dict, seed: int) -> dict:
    """Constructor arguments of a neuralforecast model (everything but loss and callbacks)."""
    settings = {
        "h": horizon,
        "input_size": 96,
        "scaler_type": "standard",
        "random_seed": seed,
        "learning_rate": 1e-3,  # ACMix's (peak) rate; each model keeps its own schedule
        "batch_size": 32,  # series per batch: all 7; the windows come from windows_batch_size
        **budget,
        # neuralforecast's default loss; MSE diverges with its per-window "standard"
        # scaling: LUFL and LULL have near-constant 96-step inputs (std ~1e-3).
        "loss": "MAE",
    }
    if name == "PatchTST":  # ACMix's width: d_model 64, 4 heads, 2 blocks, FFN 2 x 64
        settings |= {"hidden_size": 64, "n_heads": 4, "encoder_layers": 2,
                     "linear_hidden_size": 128, "patch_len": 16, "stride": 8}  # fmt: skip
    return settings


def build_neural(name: str, settings: dict):
    """The neuralforecast model ``name`` with ``settings``, quiet, with a :class:`FitRecorder`."""
    import neuralforecast.models as models
    from neuralforecast.losses.pytorch import MAE

    quiet = {"logger": False, "enable_progress_bar": False, "enable_model_summary": False}
    kwargs = {**settings, "loss": MAE(), **quiet, "callbacks": [FitRecorder()]}
    return getattr(models, name)(**kwargs)


def _recorder(nf) -> FitRecorder:
    """The (deep-copied) recorder of the fitted model of a one-model ``NeuralForecast``."""
    callbacks = nf.models[0].trainer_kwargs.get("callbacks", [])
    return next(cb for cb in callbacks if isinstance(cb, FitRecorder))


def run_neural(
    df: pd.DataFrame, name: str, settings: dict, cv_kwargs: dict, predict_df: pd.DataFrame | None
) -> Outcome:
    """``NeuralForecast.cross_validation(refit=False, **cv_kwargs)`` of one model."""
    from neuralforecast import NeuralForecast

    with quiet():
        nf = NeuralForecast(models=[build_neural(name, settings)], freq="h")
        with Clock() as total:
            cv = nf.cross_validation(df=df, refit=False, **cv_kwargs)
        latency, calls = (None, 0)
        if predict_df is not None:
            latency, calls = median_latency(lambda: nf.predict(df=predict_df))
    recorder = _recorder(nf)
    training = {"steps": recorder.steps, "val_checks": recorder.checks,
                "best_step": recorder.best_step, "best_val_loss": recorder.best}  # fmt: skip
    wall, cpu = recorder.clock.wall, recorder.clock.cpu
    return Outcome(cv, wall, cpu, total.wall, latency, calls, settings, training)


# ---------------------------------------------------------------------- statsforecast
def stats_model(name: str):
    """A statsforecast model with a daily season (24 hourly steps)."""
    import statsforecast.models as models

    return getattr(models, name)(season_length=SEASON)


def run_stats(df: pd.DataFrame, windows: Windows, name: str, input_size: int | None) -> Outcome:
    """statsforecast's ``cross_validation``, refitted at every window.

    Fit time is the whole backtest (one fit per window and series). A warm-up forecast
    on 300 rows of one series compiles numba's functions first and is not timed.
    ``predict`` latency is one ``forecast`` of the 7 series from the fitting history,
    which for these local models includes their fit.
    """
    from statsforecast import StatsForecast

    model = stats_model(name)
    first = df.loc[df["unique_id"] == df["unique_id"].iloc[0]].iloc[:300]
    StatsForecast(models=[model], freq="h", n_jobs=1).forecast(df=first, h=windows.horizon)
    sf = StatsForecast(models=[model], freq="h", n_jobs=1)
    with Clock() as total:
        cv = sf.cross_validation(
            df=df, h=windows.horizon, n_windows=windows.n_windows,
            step_size=windows.step_size, input_size=input_size, refit=True,
        )  # fmt: skip
    fit_rows = history(df, windows)
    if input_size is not None:
        fit_rows = fit_rows.groupby("unique_id", sort=False).tail(input_size)
    latency, calls = median_latency(
        lambda: sf.forecast(df=fit_rows, h=windows.horizon), repeats=3, budget_s=20.0
    )
    settings = {"season_length": SEASON, "input_size": input_size, "refit": "every window"}
    cv = cv.rename(columns={type(model).__name__: name})
    return Outcome(cv, total.wall, total.cpu, total.wall, latency, calls, settings)
