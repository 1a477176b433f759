"""statsforecast and neuralforecast runners of the real-world suite (imported lazily).

- statsforecast ``AutoETS``, ``AutoARIMA``, ``AutoTheta``: refitted at every origin by
  ``StatsForecast.cross_validation(h, n_windows=W, step_size=h, level=[80, 95])``, each
  fit on at most the last :data:`STATS_MAX_TRAIN` observations before its origin
  (``input_size``), with the season length capped by :data:`STATS_MAX_SEASON` (a longer
  season is fitted non-seasonal, season_length=1, and the run says so).
- neuralforecast ``NHITS``, ``PatchTST``, ``DLinear``: one fit on the data up to the
  first origin, then ``predict(df=history up to each origin)``; identical settings for
  the three: ``input_size = 2 h`` (smaller when the shortest training series would
  hold fewer than :data:`NEURAL_MIN_TRAIN_WINDOWS` windows), ``max_steps=1000``,
  ``windows_batch_size=128`` (a CPU budget), ``scaler_type="standard"``,
  ``random_seed=seed``, the default point loss (MAE), no intervals.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pandas as pd

from benchmarks.realworld_protocol import LEVELS

if TYPE_CHECKING:  # realworld_models imports this module to build its registry
    from benchmarks.realworld_models import Forecast, Task

STATS_MODELS = ("AutoETS", "AutoARIMA", "AutoTheta")
NEURAL_MODELS = ("NHITS", "PatchTST", "DLinear")
STATS_MAX_TRAIN = 2000  # observations before each origin a statistical model is fitted on
# Longest season each statistical model is fitted with: AutoETS refuses seasons > 24;
# seasonal AutoARIMA at season 48 on 2,000 points took > 10 min for 4 windows here.
STATS_MAX_SEASON = {"AutoETS": 24, "AutoARIMA": 24, "AutoTheta": 200}
NEURAL_MAX_STEPS = 1000
NEURAL_MIN_TRAIN_WINDOWS = 16  # training windows of the shortest series at input_size
# Windows per training step (neuralforecast's default 1024): a CPU budget. At 1024, NHITS
# took 0.19-0.27 s a step on one thread here (265 s for 1000 steps on one 54-month
# series), PatchTST 0.16-0.22 s; at 128, 0.037 s and 0.027 s.
NEURAL_WINDOWS_BATCH_SIZE = 128
PATCHTST_PATCH_LEN = 16  # neuralforecast's default, lowered only to fit a short input
QUIET_TRAINER = {"accelerator": "cpu", "devices": 1, "logger": False,
                 "enable_progress_bar": False, "enable_model_summary": False,
                 "enable_checkpointing": False}  # fmt: skip


def stats_season(name: str, season_length: int) -> int:
    """The season length ``name`` is fitted with: the data's, or 1 above the model's cap."""
    return season_length if season_length <= STATS_MAX_SEASON[name] else 1


def run_stats(task: Task, name: str) -> Forecast:
    """One statsforecast model, refitted at every origin on a capped history."""
    from statsforecast import StatsForecast
    from statsforecast import models as stats_models

    from benchmarks.realworld_models import Forecast, from_predictions

    season = stats_season(name, task.season_length)
    model = getattr(stats_models, name)(season_length=season)
    forecaster = StatsForecast(models=[model], freq=task.freq, n_jobs=1)
    cv = forecaster.cross_validation(
        df=task.full, h=task.h, n_windows=task.n_windows, step_size=task.h,
        level=list(LEVELS), input_size=STATS_MAX_TRAIN,
    )  # fmt: skip
    notes = []
    if season != task.season_length:
        notes.append(f"season {task.season_length} > {STATS_MAX_SEASON[name]}: fitted "
                     "non-seasonal (season_length=1)")  # fmt: skip
    longest = int(task.full.groupby("unique_id").size().max()) - task.h
    if longest > STATS_MAX_TRAIN:
        notes.append(f"each fit on the last {STATS_MAX_TRAIN} observations before its origin")
    cv = cv.reset_index() if "unique_id" not in cv.columns else cv
    settings = {"season_length": season, "input_size": STATS_MAX_TRAIN}
    return Forecast(from_predictions(cv, task.full), notes, settings)


def neural_input_size(shortest_train: int, h: int) -> int:
    """``2 h``, or the largest input that leaves the shortest series enough windows."""
    windows = shortest_train - 2 * h - h + 1
    if windows >= NEURAL_MIN_TRAIN_WINDOWS:
        return 2 * h
    size = shortest_train - h - NEURAL_MIN_TRAIN_WINDOWS + 1
    if size < 2:
        raise ValueError(
            f"The shortest training series ({shortest_train} observations) is too short "
            f"for {NEURAL_MIN_TRAIN_WINDOWS} windows of h={h} with an input of 2 or more."
        )
    return size


def _neural_model(name: str, task: Task, input_size: int):
    from neuralforecast import models as neural_models

    kwargs = {"h": task.h, "input_size": input_size, "max_steps": NEURAL_MAX_STEPS,
              "windows_batch_size": NEURAL_WINDOWS_BATCH_SIZE, "scaler_type": "standard",
              "random_seed": task.seed, **QUIET_TRAINER}  # fmt: skip
    if name == "PatchTST" and input_size < PATCHTST_PATCH_LEN:
        kwargs["patch_len"] = input_size
        kwargs["stride"] = max(1, input_size // 2)
    return getattr(neural_models, name)(**kwargs)


def run_neural(task: Task, name: str) -> Forecast:
    """One neuralforecast model, fitted once, predicting every origin from its history."""
    from neuralforecast import NeuralForecast

    from benchmarks.realworld_models import Forecast, clean, from_predictions

    for logger in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(logger).setLevel(logging.ERROR)
    train = task.train
    input_size = neural_input_size(int(train.groupby("unique_id").size().min()), task.h)
    forecaster = NeuralForecast(models=[_neural_model(name, task, input_size)], freq=task.freq)
    forecaster.fit(df=train)
    frames = []
    for window in range(task.n_windows):
        history = task.history(window)
        frames.append(from_predictions(forecaster.predict(df=history), history))
    notes = [] if input_size == 2 * task.h else [f"input_size {input_size} (< 2h: short series)"]
    settings = {"input_size": input_size, "max_steps": NEURAL_MAX_STEPS,
                "windows_batch_size": NEURAL_WINDOWS_BATCH_SIZE}  # fmt: skip
    return Forecast(clean(pd.concat(frames, ignore_index=True)), notes, settings)
