"""The training run behind ``ACMixForecaster.fit``: validation size, loaders, Trainer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from acmix_ts.data.frames import Columns
from acmix_ts.estimator.auto import MIN_WINDOWS, Budget
from acmix_ts.estimator.prepare import Scaler, to_series_arrays
from acmix_ts.estimator.seasonal import SeasonalCycles
from acmix_ts.nn import ACMixConfig, ACMixNetwork
from acmix_ts.training import ForecastingModule, SeriesArrays, TrainingConfig, WindowDataset
from acmix_ts.training.run import RunSettings, run_training

# Training options that network_kwargs once held; they are estimator parameters now.
TRAINING_KEYS = ("attention_warmup_epochs", "weight_decay", "compile")


@dataclass(frozen=True)
class Candidate:
    """One setting ``fit`` trains and scores: context, seasonal cycle, trend path."""

    context_length: int
    seasonal: bool
    trend: bool


@dataclass
class FitData:
    """What every candidate fit of ``fit`` shares: the series and their fitted transforms.

    Attributes
    ----------
    blocks : list of numpy.ndarray
        Raw (T_i, D) dynamic columns of each series.
    scaler : Scaler
        Per-series standardisation (training part only).
    cycles : SeasonalCycles
        Per-series seasonal cycles of the targets, standardised units.
    phases : numpy.ndarray
        Phase of the season at each series' first step, shape (n_series,).
    static : numpy.ndarray
        Scaled static features, shape (n_series, S).
    columns : Columns
        Column roles.
    season : int
        Steps per season of the data (whether or not ``cycles`` removes it).
    """

    blocks: list[np.ndarray]
    scaler: Scaler
    cycles: SeasonalCycles
    phases: np.ndarray
    static: np.ndarray
    columns: Columns
    season: int

    def arrays(self, parts: list[np.ndarray], starts: np.ndarray) -> list[SeriesArrays]:
        """Scaled, de-seasonalised arrays of ``parts``; part i starts at row ``starts[i]``."""
        cycles = [
            self.cycles.of_series(i, self.phases[i] + start, len(part))
            for i, (part, start) in enumerate(zip(parts, starts, strict=True))
        ]
        return to_series_arrays(parts, self.scaler, self.static, self.columns, cycles)


def trains_on_cuda(trainer_kwargs: dict | None) -> bool:
    """Whether a Trainer built from ``trainer_kwargs`` trains on a CUDA device.

    True for ``accelerator`` ``"gpu"``/``"cuda"`` (or a ``CUDAAccelerator``) and for the
    default ``"auto"`` when CUDA is available; then batches are gathered into pinned
    host memory so that the copy to the GPU can be asynchronous.
    """
    from pytorch_lightning.accelerators import CUDAAccelerator

    accelerator = (trainer_kwargs or {}).get("accelerator", "auto")
    if isinstance(accelerator, CUDAAccelerator):
        return True
    named = isinstance(accelerator, str) and accelerator.lower() in ("auto", "gpu", "cuda")
    return named and torch.cuda.is_available()


def resolve_val_size(
    lengths: np.ndarray, val_size: int | None, horizon: int, context_length: int | None
) -> int:
    """The validation tail length ``fit`` uses: ``val_size`` checked, or a default.

    The default is a tenth of the shortest series (at least one horizon) when the rest
    still leaves a context (``context_length``, or one horizon when it is chosen
    automatically) and :data:`~acmix_ts.estimator.auto.MIN_WINDOWS` training windows,
    or a horizon's worth with an explicit context; otherwise 0 (no validation).
    """
    if val_size is None:
        shortest = int(lengths.min())
        proposal = max(horizon, shortest // 10)
        if context_length is None:
            enough = shortest - proposal >= 2 * horizon + MIN_WINDOWS - 1
        else:
            enough = shortest - proposal >= context_length + 2 * horizon
        return proposal if enough else 0
    if not isinstance(val_size, (int, np.integer)) or isinstance(val_size, bool) or val_size < 0:
        raise ValueError(f"val_size must be an int >= 0 or None. Got {val_size!r} instead.")
    if 0 < val_size < horizon:
        raise ValueError(
            f"val_size={val_size} is shorter than horizon={horizon}, so the "
            "validation tail holds no full window. Use val_size=0 (no validation) or "
            f"val_size >= {horizon}."
        )
    return int(val_size)


def train_network(
    estimator: Any,
    config: dict[str, Any],
    train_set: WindowDataset,
    val_set: WindowDataset | None,
    budget: Budget,
    weight_decay: float,
    seed: int | None,
) -> ForecastingModule:
    """Train a fresh network of ``config`` with the estimator's settings; returns the module.

    Early stopping (and the best epoch) follow ``val_set`` when there is one; ``budget``
    sets the batch size, the windows per epoch and the number of epochs; ``seed`` the
    weights and the shuffling.
    """
    settings = RunSettings(
        batch_size=budget.batch_size,
        max_epochs=budget.max_epochs,
        max_steps=budget.max_steps,
        samples_per_epoch=budget.samples_per_epoch,
        val_batch_size=max(budget.batch_size, 256),
        patience=estimator.early_stopping_patience,
        min_delta=estimator.early_stopping_min_delta,
        keep_initial=True,
        progress_bar=estimator.progress_bar,
        pin_memory=trains_on_cuda(estimator.trainer_kwargs),
        trainer_kwargs=estimator.trainer_kwargs,
    )

    training = TrainingConfig(
        loss=estimator.loss,
        quantiles=estimator._training_quantiles(),
        learning_rate=estimator.learning_rate,
        weight_decay=weight_decay,
        attention_warmup_epochs=estimator.attention_warmup_epochs,
        compile_network=estimator.compile,
    )

    def build() -> ForecastingModule:
        return ForecastingModule(ACMixNetwork(ACMixConfig.from_dict(config)), training)

    module, _ = run_training(build, train_set, val_set, settings, seed)
    return module
