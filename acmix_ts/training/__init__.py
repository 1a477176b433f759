"""Training layer: window datasets over arrays and the LightningModule (torch + Lightning)."""

from acmix_ts.training.losses import LOSSES, QuantileLoss, make_loss
from acmix_ts.training.module import ForecastingModule, TrainingConfig
from acmix_ts.training.windows import SeriesArrays, WindowDataset, make_loader

__all__ = [
    "LOSSES",
    "ForecastingModule",
    "QuantileLoss",
    "SeriesArrays",
    "TrainingConfig",
    "WindowDataset",
    "make_loader",
    "make_loss",
]
