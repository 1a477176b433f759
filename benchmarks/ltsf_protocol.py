"""The long-horizon protocol of docs/benchmarks.md §1: data, windows, one training run, scoring.

Standard splits (``acmix_ts.data.ltsf_split``), a StandardScaler fitted on the training
rows only, all variables in and out, stride-1 windows, MSE / MAE on the scaled data
pooled over every test window, step and variable (no window dropped), model selection on
the validation split only (early stopping, best epoch restored).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

from acmix_ts.data import load_ltsf, ltsf_split
from acmix_ts.nn import (
    ACMixConfig,
    ACMixNetwork,
    DLinear,
    NaiveForecaster,
    NetworkInputs,
    PatchTSTNetwork,
    forecast_in_chunks,
)
from acmix_ts.training import ForecastingModule, SeriesArrays, TrainingConfig, WindowDataset
from acmix_ts.training.run import RunSettings, run_training

HORIZONS = {"national_illness": (24, 36, 48, 60)}
DEFAULT_HORIZONS = (96, 192, 336, 720)
LOOKBACK = {"national_illness": 36}


@dataclass(frozen=True)
class RunSpec:
    """One cell of the table: a model on a dataset at a look-back and horizon, one seed."""

    dataset: str
    model: str  # "ACMix", "ACMix-<fusion>", a VARIANTS name, "PatchTST", "DLinear", "Repeat"
    context_length: int
    horizon: int
    seed: int
    max_epochs: int = 10
    patience: int = 3
    batch_size: int = 128
    learning_rate: float = 1e-3
    train_windows: int | None = None  # random training windows per epoch; None = all

    def key(self, overrides: dict | None) -> str:
        """Identity of the run in the runs file (fields at their default left out)."""
        fields = {k: v for k, v in vars(self).items() if k != "train_windows" or v}
        return json.dumps(fields | {"overrides": overrides}, sort_keys=True)


@dataclass
class Splits:
    """Scaled train / val / test arrays of a dataset (rows of each part, all variables)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def load_splits(dataset: str, context_length: int) -> Splits:
    """The standard splits of ``dataset``, scaled with statistics of the training rows."""
    frame = load_ltsf(dataset)
    values = frame.drop(columns="date").to_numpy(dtype=np.float64)
    split = ltsf_split(dataset, context_length, n_rows=len(values))
    scaler = StandardScaler().fit(values[slice(*split.train)])
    scaled = scaler.transform(values).astype(np.float32)
    return Splits(*(scaled[slice(*part)] for part in split))


def windows(part: np.ndarray, spec: RunSpec) -> WindowDataset:
    """Every stride-1 window of one split; asserts the count the protocol demands."""
    dataset = WindowDataset([SeriesArrays(y=part)], spec.context_length, spec.horizon)
    expected = len(part) - spec.context_length - spec.horizon + 1
    assert len(dataset) == expected, (len(dataset), expected)
    return dataset


# ACMix rows that change the network beyond the fusion (on top of the default config).
VARIANTS: dict[str, dict] = {
    "ACMix-multiscale": {"n_stages": 2, "n_blocks": 1},  # the default's depth, 2 scales
}


def network_config(spec: RunSpec, n_variables: int, overrides: dict | None = None) -> dict:
    """Network hyperparameters of a row; ``ACMix-<fusion>`` rows change only the fusion,
    :data:`VARIANTS` rows their fields."""
    variant = VARIANTS.get(spec.model)
    fusion = "scalar"
    if spec.model.startswith("ACMix-") and variant is None:
        fusion = spec.model.split("-", 1)[1]
    config = {
        "context_length": spec.context_length,
        "horizon": spec.horizon,
        "n_targets": n_variables,
        "fusion": fusion,
        **(variant or {}),
    }
    config.update(overrides or {})
    return config


def score(network: torch.nn.Module, dataset: WindowDataset, batch_size: int = 512) -> dict:
    """MSE and MAE pooled over every window, step and variable of ``dataset``."""
    config = network.config
    squared = absolute = 0.0
    count = 0
    # Scored in slices of windows so that a long test split never sits in memory at once.
    for start in range(0, len(dataset), 8 * batch_size):
        batch = dataset.__getitems__(np.arange(start, min(start + 8 * batch_size, len(dataset))))
        inputs = NetworkInputs.from_batch(batch, config)
        forecast = forecast_in_chunks(network, inputs, batch_size)[..., 0]  # (B, H, C)
        error = forecast - batch["y"][:, config.context_length :]
        squared += float((error**2).sum())
        absolute += float(error.abs().sum())
        count += error.numel()
    return {"mse": squared / count, "mae": absolute / count, "windows": len(dataset)}


def run(
    spec: RunSpec,
    splits: Splits,
    overrides: dict | None = None,
    trainer_kwargs: dict | None = None,
    score_test: bool = True,
) -> dict:
    """Train (unless Repeat) and score one row; returns metrics, epochs and seconds.

    With ``score_test=False`` (hyperparameter tuning) the test split is never touched.
    """
    start = time.perf_counter()
    config = network_config(spec, splits.train.shape[1], overrides)
    if spec.model == "Repeat":
        result = score(NaiveForecaster(ACMixConfig.from_dict(config)), windows(splits.test, spec))
        return {**result, "val_mse": None, "epochs": 0, "seconds": time.perf_counter() - start}
    settings = RunSettings(
        batch_size=spec.batch_size,
        max_epochs=spec.max_epochs,
        samples_per_epoch=spec.train_windows,
        val_batch_size=512,
        patience=spec.patience,
        trainer_kwargs={"accelerator": "auto", **(trainer_kwargs or {})},
    )

    def build() -> ForecastingModule:
        kinds = {"DLinear": DLinear, "PatchTST": PatchTSTNetwork}
        kind = kinds.get(spec.model, ACMixNetwork)
        network = kind(ACMixConfig.from_dict(config))
        return ForecastingModule(network, TrainingConfig(learning_rate=spec.learning_rate))

    train, val = windows(splits.train, spec), windows(splits.val, spec)
    module, trainer = run_training(build, train, val, settings, spec.seed)
    result = score(module.network, windows(splits.test, spec)) if score_test else {}
    return {
        **result,
        "val_mse": module.best_val_loss,
        "epochs": trainer.current_epoch,
        "seconds": time.perf_counter() - start,
    }
