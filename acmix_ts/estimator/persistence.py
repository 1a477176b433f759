"""Saving and loading a fitted estimator without pickles.

A saved estimator is a directory: ``config.json`` (parameters, fitted metadata and the
library versions), ``weights.safetensors`` (the network) and ``state.safetensors``
(scalers and the stored contexts). Loading reads tensors only; nothing is executed.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from acmix_ts.data.frames import Columns
from acmix_ts.estimator.prepare import Scaler, StaticScaler
from acmix_ts.estimator.seasonal import SeasonalCycles
from acmix_ts.nn import ACMixConfig, ACMixNetwork, MedianEnsemble

FORMAT = "acmix_ts.ACMixForecaster/2"


def _jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    clean = {}
    for key, value in params.items():
        try:
            json.dumps(value)
            clean[key] = value
        except TypeError:
            kept = {k: v for k, v in value.items() if _is_json(v)}
            warnings.warn(
                f"{key} entries {sorted(set(value) - set(kept))} are objects and are not "
                "saved; pass them again after load with set_params.",
                stacklevel=3,
            )
            clean[key] = kept
    return clean


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except TypeError:
        return False


def save(estimator: Any, path: str | os.PathLike) -> None:
    """Write ``estimator`` (fitted) to the directory ``path``."""
    import pytorch_lightning

    import acmix_ts

    estimator._check_fitted()
    target = Path(path)
    target.mkdir(parents=True, exist_ok=True)
    config = {
        "format": FORMAT,
        "versions": {
            "acmix_ts": acmix_ts.__version__,
            "torch": torch.__version__,
            "pytorch_lightning": pytorch_lightning.__version__,
        },
        "params": _jsonable_params(estimator.get_params(deep=False)),
        "fitted": {
            "columns": asdict(estimator.columns_),
            "freq": estimator.freq_,
            "network_config": estimator.network_config_,
            "quantiles": estimator.quantiles_,
            "context_length": estimator.context_length_,
            "season_length": estimator.season_length_,
            "seasonal": estimator.seasonal_,
            "trend": estimator.trend_,
            "n_members": len(getattr(estimator.network_, "members", [None])),
            "candidate_scores": [list(c) for c in estimator.candidate_scores_],
            "best_val_loss": estimator.best_val_loss_,
            "ids": estimator.ids_.tolist(),
            "last_ds": [pd.Timestamp(t).isoformat() for t in estimator.last_ds_],
        },
    }
    (target / "config.json").write_text(json.dumps(config, indent=2))
    weights = {k: v.detach().cpu().contiguous() for k, v in estimator.network_.state_dict().items()}
    save_file(weights, target / "weights.safetensors")
    arrays = {
        "scaler_mean": estimator.scaler_.mean,
        "scaler_std": estimator.scaler_.std,
        "static_mean": estimator.static_scaler_.mean,
        "static_std": estimator.static_scaler_.std,
        "static": estimator.static_,
        "context": estimator.context_,
        "cycles": estimator.cycles_.cycles,
        "next_phase": estimator.next_phase_,
    }
    if estimator.conformal_scores_ is not None:
        arrays["conformal_scores"] = estimator.conformal_scores_
    save_file(
        {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64)) for k, v in arrays.items()},
        target / "state.safetensors",
    )


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise ValueError(
            f"{path} is not a readable safetensors file ({err}). It is corrupt or was not "
            "written by ACMixForecaster.save; save the model again."
        ) from err


def load(cls: type, path: str | os.PathLike) -> Any:
    """Read an estimator written by :func:`save`."""
    source = Path(path)
    config_path = source / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"No config.json in {source}: not a saved ACMixForecaster.")
    try:
        config = json.loads(config_path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{config_path} is not valid JSON ({err}).") from err
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{config_path} was not written by ACMixForecaster.save.")
    fitted = config["fitted"]
    estimator = cls(**{k: _tuple(v) for k, v in config["params"].items()})
    network_config = ACMixConfig.from_dict(fitted["network_config"])
    network: torch.nn.Module = ACMixNetwork(network_config)
    if fitted["n_members"] > 1:
        members = [ACMixNetwork(network_config) for _ in range(fitted["n_members"])]
        network = MedianEnsemble(members)
    try:
        network.load_state_dict(_read_tensors(source / "weights.safetensors"))
    except RuntimeError as err:
        raise ValueError(
            f"The weights in {source / 'weights.safetensors'} do not fit the saved network "
            f"configuration ({err})."
        ) from err
    arrays = {k: v.numpy() for k, v in _read_tensors(source / "state.safetensors").items()}
    estimator.columns_ = Columns(**{k: _tuple(v) for k, v in fitted["columns"].items()})
    estimator.freq_ = fitted["freq"]
    estimator.network_config_ = fitted["network_config"]
    estimator.quantiles_ = None if fitted["quantiles"] is None else tuple(fitted["quantiles"])
    estimator.best_val_loss_ = fitted["best_val_loss"]
    estimator.network_ = network.eval()
    estimator.ids_ = pd.Index(fitted["ids"], name=estimator.columns_.id)
    estimator.last_ds_ = pd.DatetimeIndex(fitted["last_ds"]).to_numpy()
    estimator.scaler_ = Scaler(arrays["scaler_mean"], arrays["scaler_std"])
    estimator.static_scaler_ = StaticScaler(arrays["static_mean"], arrays["static_std"])
    estimator.static_ = arrays["static"]
    estimator.context_ = arrays["context"]
    estimator.context_length_ = int(fitted["context_length"])
    estimator.season_length_ = int(fitted["season_length"])
    estimator.seasonal_ = bool(fitted["seasonal"])
    estimator.trend_ = bool(fitted["trend"])
    estimator.n_models_ = int(fitted["n_members"])
    estimator.candidate_scores_ = [tuple(c) for c in fitted["candidate_scores"]]
    cycles = arrays["cycles"]
    estimator.cycles_ = SeasonalCycles(cycles.shape[1], cycles)
    estimator.next_phase_ = arrays["next_phase"].astype(np.int64)
    estimator.conformal_scores_ = arrays.get("conformal_scores")
    estimator.n_features_in_ = len(estimator.columns_.dynamic)
    return estimator


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
