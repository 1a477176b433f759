"""One training run, shared by ``ACMixForecaster.fit`` and the benchmarks.

:func:`run_training` seeds torch without touching the caller's generators
(:func:`own_torch_seed`), builds the module inside that seed (its weights), the loaders
(shuffling) and a quiet Trainer, and fits with Ctrl+C reaching the caller.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytorch_lightning as pl
import torch

from acmix_ts.training.module import ForecastingModule
from acmix_ts.training.trainer import fit_interruptible, make_trainer, quiet_lightning
from acmix_ts.training.windows import WindowDataset, make_loader


@dataclass(frozen=True)
class RunSettings:
    """How long and on what one training run trains.

    ``samples_per_epoch`` None passes over every training window once per epoch;
    ``keep_initial`` scores the untrained network on the validation windows first and
    keeps it if no epoch beats it (:meth:`ForecastingModule.keep_initial`).
    """

    batch_size: int
    max_epochs: int
    max_steps: int = -1
    samples_per_epoch: int | None = None
    val_batch_size: int = 256
    patience: int | None = None
    min_delta: float = 0.0
    keep_initial: bool = False
    progress_bar: bool = False
    pin_memory: bool = False
    trainer_kwargs: dict[str, Any] | None = None


@contextlib.contextmanager
def own_torch_seed(seed: int | None) -> Iterator[None]:
    """Seed torch's generators inside the block and give the caller's state back after.

    Weights, dropout and shuffling draw from torch's global generators (CPU and every
    initialised GPU); they are forked, so that training never reseeds the user's torch,
    numpy or ``random``. ``seed=None`` draws from the caller's generators as they are.
    """
    if seed is None:
        yield
        return
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield


def run_training(
    build: Callable[[], ForecastingModule],
    train_set: WindowDataset,
    val_set: WindowDataset | None,
    settings: RunSettings,
    seed: int | None,
) -> tuple[ForecastingModule, pl.Trainer]:
    """Build a module with ``build()`` and train it; returns the module and its Trainer.

    Early stopping (``settings.patience``) and the best epoch follow ``val_set`` when
    there is one; the module ends with the weights of its best validation check.
    """
    with quiet_lightning(), own_torch_seed(seed):
        module = build()
        train_loader = make_loader(
            train_set, settings.batch_size, shuffle=True, pin_memory=settings.pin_memory,
            samples_per_epoch=settings.samples_per_epoch,
        )  # fmt: skip
        val_loader = None
        if val_set is not None:
            val_loader = make_loader(
                val_set, settings.val_batch_size, shuffle=False, pin_memory=settings.pin_memory
            )
        trainer = make_trainer(
            max_epochs=settings.max_epochs,
            max_steps=settings.max_steps,
            progress_bar=settings.progress_bar,
            early_stopping_patience=settings.patience if val_loader else None,
            early_stopping_min_delta=settings.min_delta,
            trainer_kwargs=settings.trainer_kwargs,
        )
        if settings.keep_initial and val_loader is not None:
            module.keep_initial(val_loader)
        fit_interruptible(trainer, module, train_loader, val_loader)
    return module, trainer
