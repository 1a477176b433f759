"""A quiet Lightning Trainer: no log folders, no model summary, no chatter.

Lightning prints hints meant for people writing training loops (``num_workers``,
available-but-unused accelerators, seeds). A user of the estimator cannot act on them,
so they are handled here rather than printed; real warnings still pass.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

_CHATTY_LOGGERS = ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric")
_HANDLED_WARNINGS = (
    ".*does not have many workers.*",
    ".*num_workers.*",
    ".*The number of training batches.*",
    ".*GPU available but not used.*",
    ".*TPU available but not used.*",
    ".*defined a `validation_step` but have no `val_dataloader`.*",
    ".*`isinstance\\(treespec, LeafSpec\\)` is deprecated.*",
)


@contextlib.contextmanager
def quiet_lightning() -> Iterator[None]:
    """Silence Lightning's informational logs and hints inside the block."""
    levels = {name: logging.getLogger(name).level for name in _CHATTY_LOGGERS}
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    with warnings.catch_warnings():
        for pattern in _HANDLED_WARNINGS:
            warnings.filterwarnings("ignore", message=pattern)
        try:
            yield
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)


def fit_interruptible(trainer: pl.Trainer, *args: Any) -> None:
    """``trainer.fit(*args)``, with Ctrl+C reaching the caller as ``KeyboardInterrupt``.

    Lightning catches the interrupt, ignores SIGINT from then on and exits with
    ``SystemExit``; here the caller's SIGINT handler comes back and the interrupt is
    raised again, so that a script or notebook stops as it would anywhere else.
    """
    main = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if main else None
    try:
        trainer.fit(*args)
    except SystemExit:
        if trainer.interrupted:
            raise KeyboardInterrupt("training was interrupted") from None
        raise
    finally:
        if main and handler is not None:
            signal.signal(signal.SIGINT, handler)


def make_trainer(
    max_epochs: int,
    max_steps: int = -1,
    progress_bar: bool = False,
    early_stopping_patience: int | None = None,
    early_stopping_min_delta: float = 0.0,
    trainer_kwargs: dict[str, Any] | None = None,
) -> pl.Trainer:
    """Build a Trainer with quiet defaults; ``trainer_kwargs`` override any of them.

    Parameters
    ----------
    max_epochs : int
        Upper bound on training epochs.
    max_steps : int
        Upper bound on optimiser steps (-1: none).
    progress_bar : bool
        Show Lightning's progress bar.
    early_stopping_patience : int, optional
        Stop when ``val_loss`` has not improved for this many epochs (None = never; an
        ``EarlyStopping`` among ``trainer_kwargs["callbacks"]`` takes its place).
    early_stopping_min_delta : float
        The least fall of ``val_loss`` that counts as an improvement.
    trainer_kwargs : dict, optional
        Passed to :class:`pytorch_lightning.Trainer` (accelerator, devices, strategy,
        precision, logger, callbacks, ...). Callbacks are added to the early stopping one.
    """
    options: dict[str, Any] = {
        "max_epochs": max_epochs,
        "max_steps": max_steps,
        "accelerator": "auto",
        "devices": 1,
        "logger": False,
        "enable_checkpointing": False,
        "enable_model_summary": False,
        "enable_progress_bar": progress_bar,
        "num_sanity_val_steps": 0,
        "deterministic": False,
    }
    extra = dict(trainer_kwargs or {})
    callbacks = list(extra.pop("callbacks", None) or [])
    # A user's own EarlyStopping replaces ours (Lightning refuses two of them); strict=False:
    # a run that ends before its first validation check (a small max_steps) is no error.
    if early_stopping_patience is not None and not any(
        isinstance(c, EarlyStopping) for c in callbacks
    ):
        callbacks.append(
            EarlyStopping(
                monitor="val_loss",
                patience=early_stopping_patience,
                mode="min",
                min_delta=early_stopping_min_delta,
                strict=False,
            )
        )
    if any(isinstance(c, ModelCheckpoint) for c in callbacks):
        options["enable_checkpointing"] = True  # the user's checkpoints, not ours
    options.update(extra)
    with quiet_lightning():
        return pl.Trainer(callbacks=callbacks, **options)
