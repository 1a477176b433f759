"""Model runners of the real-world suite: the registry ``MODELS`` and the own models.

A runner takes a :class:`Task` (the training frame up to the first origin, the frame
the split may read, the cutoffs, h, freq, season length, seed) and returns a
:class:`Forecast`: one row per (``unique_id``, ``cutoff``, ``step``) with ``y_hat`` and,
for models that give them, ``lo-80``, ``hi-80``, ``lo-95``, ``hi-95``.

- ``SeasonalNaive`` / ``Naive`` (numpy, here): the value one season (resp. one step)
  before; intervals are empirical: the quantiles of the same rule's in-sample errors at
  the same lead (lag ``k + 1`` for Naive, ``m * (k // m + 1)`` for SeasonalNaive).
- ``ACMix`` and its variants (:data:`ACMIX_VARIANTS`): fit once on the data up to the
  first origin, then ``predict(df=history up to each origin, level=[80, 95])``.
- statsforecast and neuralforecast models: ``realworld_external.py``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from benchmarks.realworld_protocol import INTERVAL_COLUMNS, LEVELS, QUANTILE_COLUMNS, Windows

# Each key is a model name for --models; the value holds ACMixForecaster keyword
# arguments on top of horizon, random_state and freq. The one place to add ablations.
ACMIX_VARIANTS: dict[str, dict] = {
    "ACMix": {},
    # Ablations: one lever of the adaptive defaults switched off at a time.
    "ACMix-no-season": {"seasonal": False},
    "ACMix-no-trend": {"trend": False},
    "ACMix-one-model": {"n_models": 1},
    "ACMix-L96": {"context_length": 96},
    # Multi-scale network at the default's depth: 2 stages of 1 block (acmix_ts.nn.stages).
    "ACMix-multiscale": {"n_blocks": 1, "network_kwargs": {"n_stages": 2}},
    # Log targets where the seasonal swing grows with the level (acmix_ts.estimator.transform)
    # are the default since they won on the validation split; this is the default without.
    "ACMix-no-log": {"target_transform": None},
    # Small data trained with dropout 0.3, the default before validation chose 0.
    "ACMix-dropout-0.3": {"dropout": 0.3},
    # Training losses other than the default MSE (MASE scores absolute errors).
    "ACMix-mae": {"loss": "mae"},
    "ACMix-huber": {"loss": "huber"},
    # The estimator's defaults before the adaptive ones (fixed context of 96 steps,
    # 16-step patches, width 64, no cycle or trend path, 20 epochs).
    "ACMix-fixed": {
        "context_length": 96,
        "patch_len": 16,
        "d_model": 64,
        "dropout": 0.1,
        "seasonal": False,
        "trend": False,
        "n_models": 1,
        "max_epochs": 20,
        "target_transform": None,
    },
}
# AutoACMixForecaster's budget per dataset in the tuned row (`ACMix-tuned`): trials of
# the default search space, a time limit on the study, validation windows per series.
TUNING_BUDGET: dict = {"n_trials": 10, "timeout": 240.0, "val_windows": 2}
# The smoke run's training budget (on top of a variant's arguments): one short epoch of a
# small network; a context that fits USAccDeaths' 54 training months.
SMOKE_ACMIX_KWARGS: dict = {"max_epochs": 1, "context_length": 24, "d_model": 16,
                            "n_blocks": 1, "seasonal": True, "trend": True,
                            "n_models": 1}  # fmt: skip
COLUMNS = ["unique_id", "ds", "y"]


@dataclass(frozen=True)
class Task:
    """What every runner gets for one (split, dataset, seed)."""

    windows: Windows
    freq: str
    season_length: int
    seed: int
    acmix_extra: dict = field(default_factory=dict)

    @property
    def h(self) -> int:
        return self.windows.h

    @property
    def n_windows(self) -> int:
        return self.windows.n_windows

    @property
    def full(self) -> pd.DataFrame:
        """Every observation the split may read (target only)."""
        return self.windows.frame[COLUMNS]

    @property
    def train(self) -> pd.DataFrame:
        """Every series up to the first origin (target only)."""
        return self.windows.train()[COLUMNS]

    @property
    def cutoffs(self) -> pd.DataFrame:
        return self.windows.cutoffs

    def history(self, window: int) -> pd.DataFrame:
        """Every series up to the origin of ``window`` (target only)."""
        return self.windows.history(window)[COLUMNS]


@dataclass
class Forecast:
    """A runner's output: the forecasts, notes for the report, and the settings used."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Runner:
    """A model of the registry: how to run it and what the report says about it."""

    run: Callable[[Task], Forecast]
    requires: str | None  # importable package it needs, None for none
    refit: bool  # refitted at every origin
    intervals: str  # how its 80 / 95 % intervals are made ("none" for none)
    seeded: bool = False  # results depend on the seed (else run for seed 0 only)
    warm_imports: tuple[str, ...] = ()  # imported before the clocks start (not fit time)

    def __call__(self, task: Task) -> Forecast:
        return self.run(task)

    def missing(self) -> str | None:
        """Why the model cannot run here (its package is not installed), else None."""
        if self.requires and importlib.util.find_spec(self.requires) is None:
            return f"package {self.requires!r} is not installed"
        return None


def from_predictions(pred: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """A predict-style frame (``unique_id``, ``ds``, ``<model>[-lo-80 ...]``) as forecasts.

    The cutoff of each series is the last timestamp of its ``history``; steps count from 1.
    """
    models = [c for c in pred.columns if c not in ("unique_id", "ds", "cutoff", "y")]
    points = [c for c in models if "-lo-" not in c and "-hi-" not in c]
    if len(points) != 1:
        raise ValueError(f"expected one point-forecast column, got {points}.")
    point = points[0]
    rename = {point: "y_hat", **{f"{point}-{c}": c for c in INTERVAL_COLUMNS}}
    out = pred.rename(columns=rename).sort_values(["unique_id", "ds"], kind="stable")
    if "cutoff" not in out:
        last = history.groupby("unique_id")["ds"].max()
        out["cutoff"] = out["unique_id"].map(last)
    out["step"] = out.groupby(["unique_id", "cutoff"]).cumcount() + 1
    return clean(out)


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """The forecast columns with plain dtypes (str ids, ns cutoffs, int steps)."""
    keep = ["unique_id", "cutoff", "step", "y_hat"] + [c for c in INTERVAL_COLUMNS if c in frame]
    out = frame[keep].reset_index(drop=True)
    out["unique_id"] = out["unique_id"].astype(str).astype(object)
    out["cutoff"] = pd.DatetimeIndex(out["cutoff"]).astype("datetime64[ns]")
    out["step"] = out["step"].astype(np.int64)
    return out


# -------------------------------------------------------------------- baselines
def lead_lags(h: int, season_length: int, n_history: int, seasonal: bool) -> np.ndarray:
    """Lag of the value each lead ``k = 0 .. h-1`` copies: ``y[t + k] = y[t + k - lag]``."""
    k = np.arange(h)
    if seasonal and season_length > 1 and n_history >= season_length:
        return season_length * (k // season_length + 1)
    return k + 1


def lag_forecast(history: np.ndarray, lags: np.ndarray) -> dict[str, np.ndarray]:
    """Point forecast and empirical-error intervals of the lag rule, lead by lead."""
    n, h = len(history), len(lags)
    out = {"y_hat": history[n - lags + np.arange(h)]}
    bounds = np.full((len(INTERVAL_COLUMNS), h), np.nan)
    quantiles = [q for q, c in QUANTILE_COLUMNS.items() if c != "y_hat"]
    for k, lag in enumerate(lags):
        errors = history[lag:] - history[:-lag] if lag < n else np.empty(0)
        if len(errors):
            bounds[:, k] = out["y_hat"][k] + np.quantile(errors, quantiles)
    columns = [QUANTILE_COLUMNS[q] for q in quantiles]
    return out | dict(zip(columns, bounds, strict=True))


def run_lag_baseline(task: Task, seasonal: bool) -> Forecast:
    """SeasonalNaive (``seasonal``) or Naive at every origin, in numpy."""
    rows = []
    for window in range(task.n_windows):
        history = task.history(window)
        for sid, group in history.groupby("unique_id", sort=False):
            y = group["y"].to_numpy(dtype=float)
            lags = lead_lags(task.h, task.season_length, len(y), seasonal)
            rows.append(pd.DataFrame({"unique_id": sid, "cutoff": group["ds"].iloc[-1],
                                      "step": np.arange(1, task.h + 1),
                                      **lag_forecast(y, lags)}))  # fmt: skip
    return Forecast(clean(pd.concat(rows, ignore_index=True)))


# ------------------------------------------------------------------------ ACMix
def run_acmix(task: Task, kwargs: dict, tuned: bool = False) -> Forecast:
    """ACMixForecaster fitted once up to the first origin, then predicting each origin.

    ``tuned``: :class:`~acmix_ts.tuning.AutoACMixForecaster` instead, under the budget
    :data:`TUNING_BUDGET`; its trials score the last validation windows of the training
    part, so the split's windows stay unseen. ``settings`` then records the chosen ones.
    """
    from acmix_ts import ACMixForecaster

    settings = {**kwargs, **task.acmix_extra}
    if tuned:
        from acmix_ts.tuning import AutoACMixForecaster

        model = AutoACMixForecaster(horizon=task.h, random_state=task.seed,
                                    fixed={"freq": task.freq, **settings},
                                    **TUNING_BUDGET)  # fmt: skip
    else:
        model = ACMixForecaster(horizon=task.h, random_state=task.seed, freq=task.freq,
                                **settings)  # fmt: skip
    model.fit(task.train)
    if tuned:
        settings = {**model.best_params_, "trials": len(model.study_.trials)}
    frames, notes, levels = [], [], []
    for level in LEVELS:  # the levels fit could calibrate (95 % needs 19 scores)
        try:
            model.predict(df=task.history(0), level=[level])
            levels.append(level)
        except ValueError as e:
            notes.append(f"no {level} % interval: {e}")
    for window in range(task.n_windows):
        history = task.history(window)
        pred = model.predict(df=history, level=levels or None)
        frames.append(from_predictions(pred, history))
    return Forecast(pd.concat(frames, ignore_index=True), notes, settings)


LIGHTNING = ("pytorch_lightning",)


def _registry() -> dict[str, Runner]:
    from benchmarks.realworld_external import NEURAL_MODELS, STATS_MODELS, run_neural, run_stats

    empirical = "empirical quantiles of the rule's in-sample errors at each lead"
    models = {
        "SeasonalNaive": Runner(partial(run_lag_baseline, seasonal=True), None, True, empirical),
        "Naive": Runner(partial(run_lag_baseline, seasonal=False), None, True, empirical),
    }
    for name in STATS_MODELS:
        models[name] = Runner(partial(run_stats, name=name), "statsforecast", True,
                              "the model's own (statsforecast level=[80, 95])")  # fmt: skip
    for name in NEURAL_MODELS:
        models[name] = Runner(partial(run_neural, name=name), "neuralforecast", False, "none",
                              seeded=True, warm_imports=LIGHTNING)  # fmt: skip
    conformal = "split-conformal on fit's validation tail (when it has one)"
    for name, kwargs in ACMIX_VARIANTS.items():
        models[name] = Runner(partial(run_acmix, kwargs=kwargs), "acmix_ts", False, conformal,
                              seeded=True, warm_imports=LIGHTNING)  # fmt: skip
    models["ACMix-tuned"] = Runner(partial(run_acmix, kwargs={}, tuned=True), "optuna", False,
                                   conformal, seeded=True, warm_imports=LIGHTNING)  # fmt: skip
    return models


MODELS: dict[str, Runner] = _registry()
OWN_MODELS = ("SeasonalNaive", "Naive", *ACMIX_VARIANTS)
