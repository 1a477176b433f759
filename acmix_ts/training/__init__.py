"""Training layer: window datasets over arrays and the LightningModule (torch + Lightning).

Names are imported lazily, so that reading :data:`LOSSES` (the estimator does at import)
does not load Lightning.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "LOSSES": "acmix_ts.training.losses",
    "QuantileLoss": "acmix_ts.training.losses",
    "make_loss": "acmix_ts.training.losses",
    "ForecastingModule": "acmix_ts.training.module",
    "TrainingConfig": "acmix_ts.training.module",
    "SeriesArrays": "acmix_ts.training.windows",
    "WindowDataset": "acmix_ts.training.windows",
    "make_loader": "acmix_ts.training.windows",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'acmix_ts.training' has no attribute {name!r}")
