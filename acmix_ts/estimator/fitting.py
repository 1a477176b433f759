"""The training run behind ``ACMixForecaster.fit``: validation size, loaders, Trainer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from acmix_ts.data.frames import Columns
from acmix_ts.training import ForecastingModule, WindowDataset, make_loader
from acmix_ts.training.trainer import make_trainer, quiet_lightning

# network_kwargs keys that configure training rather than the network's ACMixConfig.
TRAINING_KEYS = ("attention_warmup_epochs", "weight_decay", "compile")


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
    frame: pd.DataFrame, columns: Columns, val_size: int | None, horizon: int, context_length: int
) -> int:
    """The validation tail length ``fit`` uses: ``val_size`` checked, or a default.

    The default is a tenth of the shortest series (at least one horizon) when the rest
    still leaves a horizon's worth of training windows; otherwise 0 (no validation).
    """
    if val_size is None:
        shortest = int(frame.groupby(columns.id, sort=False).size().min())
        proposal = max(horizon, shortest // 10)
        enough = shortest - proposal >= context_length + 2 * horizon
        return proposal if enough else 0
    if not isinstance(val_size, (int, np.integer)) or val_size < 0:
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
) -> ForecastingModule:
    """Train a fresh network of ``config`` with the estimator's settings; returns the module.

    Early stopping (and the best epoch) follow ``val_set`` when there is one.
    """
    extra = estimator.network_kwargs or {}
    seed = estimator.random_state
    with quiet_lightning():
        if seed is not None:
            import pytorch_lightning as pl

            pl.seed_everything(seed, workers=True, verbose=False)
        module = ForecastingModule(
            network_config=config,
            loss=estimator.loss,
            quantiles=estimator._training_quantiles(),
            learning_rate=estimator.learning_rate,
            weight_decay=extra.get("weight_decay", 1e-2),
            attention_warmup_epochs=extra.get("attention_warmup_epochs", 0),
            compile_network=bool(extra.get("compile", False)),
        )
        pin = trains_on_cuda(estimator.trainer_kwargs)
        train_loader = make_loader(train_set, estimator.batch_size, shuffle=True, pin_memory=pin)
        val_loader = None
        if val_set is not None:
            val_loader = make_loader(
                val_set, max(estimator.batch_size, 256), shuffle=False, pin_memory=pin
            )
        trainer = make_trainer(
            max_epochs=estimator.max_epochs,
            progress_bar=estimator.progress_bar,
            early_stopping_patience=estimator.early_stopping_patience if val_loader else None,
            trainer_kwargs=estimator.trainer_kwargs,
        )
        trainer.fit(module, train_loader, val_loader)
    return module
