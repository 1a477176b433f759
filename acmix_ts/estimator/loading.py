"""Loading a model folder written by :mod:`acmix_ts.estimator.persistence`.

Everything is checked before anything is built: the manifest's hashes, the format
version, the parameters, every member's network configuration, and each tensor's shape
from the safetensors headers (the networks are first built on PyTorch's meta device,
which allocates nothing); then non-finite weights, and finally the fitted state's
agreement (:meth:`~acmix_ts.estimator.state.FittedState.check`). Nothing in the files is
executed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from acmix_ts.data.frames import Columns
from acmix_ts.estimator.persistence import (
    FILES,
    FORMAT,
    FORMAT_VERSION,
    MAX_MEMBERS,
    META_FIELDS,
    SECTIONS,
    is_url,
    sha256,
)
from acmix_ts.estimator.prepare import Scaler, StaticScaler
from acmix_ts.estimator.seasonal import SeasonalCycles
from acmix_ts.estimator.state import HISTORY_COLUMNS, FittedState, Member
from acmix_ts.nn import ACMixConfig, ACMixNetwork, MedianEnsemble


def load(cls: type, path: str | os.PathLike) -> Any:
    """Read an estimator written by :func:`save`; checks everything before building."""
    if is_url(path):
        import fsspec

        fs, root = fsspec.core.url_to_fs(os.fspath(path))
        if not fs.isdir(root):
            raise FileNotFoundError(f"No saved ACMixForecaster at {os.fspath(path)}.")
        with tempfile.TemporaryDirectory() as local:
            fs.get(root.rstrip("/") + "/", local + "/", recursive=True)
            return load(cls, local)
    source = Path(path)
    config = _read_config(source)
    _check_manifest(source, config["files"])
    estimator = _estimator(cls, config["params"])
    fitted = config["fitted"]
    members = _build_members(fitted.get("members"), estimator, source / FILES[0])
    arrays = {k: v.numpy() for k, v in _read_tensors(source / FILES[1]).items()}
    try:
        state = _state(fitted, arrays, members)
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise ValueError(f"{source} holds an inconsistent fitted state ({err}).") from err
    state.check()
    estimator._set_state(state)
    return estimator


def _read_config(source: Path) -> dict[str, Any]:
    config_path = source / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"No config.json in {source}: not a saved ACMixForecaster.")
    try:
        config = json.loads(config_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{config_path} is not valid JSON ({err}).") from err
    if not isinstance(config, dict) or not str(config.get("format", "")).startswith(FORMAT):
        raise ValueError(f"{config_path} was not written by ACMixForecaster.save.")
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        written = config.get("versions", {}).get("acmix_ts", "an older acmix_ts")
        import acmix_ts

        raise ValueError(
            f"{source} was saved in model format version {version or 'unknown'} (by "
            f"acmix_ts {written}); this acmix_ts ({acmix_ts.__version__}) reads version "
            f"{FORMAT_VERSION}. Load it with acmix_ts {written} or fit and save it again."
        )
    missing = [s for s in SECTIONS if not isinstance(config.get(s), dict)]
    if missing:
        raise ValueError(f"{config_path} lacks the section(s) {missing}; it is incomplete.")
    return config


def _check_manifest(source: Path, files: dict[str, Any]) -> None:
    for name in FILES:
        path = source / name
        if not path.is_file():
            raise ValueError(f"{source} lacks {name}; the saved model is incomplete.")
        if sha256(path) != files.get(name):
            raise ValueError(
                f"{path} does not belong to {source / 'config.json'} (its SHA-256 differs "
                "from the one saved with it): the files come from different saves or were "
                "changed. Save the model again."
            )


def _estimator(cls: type, params: dict[str, Any]) -> Any:
    from acmix_ts.estimator.params import check_params

    known = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"The saved parameters hold unknown names {unknown}.")
    estimator = cls(**{k: _tuple(v) for k, v in params.items()})
    check_params(estimator)
    return estimator


def _build_members(saved: Any, estimator: Any, weights: Path) -> list[Member]:
    """The members, once their shapes (built on the meta device) match the file's header."""
    if not isinstance(saved, list) or not 1 <= len(saved) <= MAX_MEMBERS:
        raise ValueError(
            f"The saved model must list 1 to {MAX_MEMBERS} member networks. Got "
            f"{saved if not isinstance(saved, list) else len(saved)!r}."
        )
    specs = []
    for k, member in enumerate(saved):
        if not isinstance(member, dict) or not isinstance(member.get("config"), dict):
            raise ValueError(f"Saved member {k} lacks its network config.")
        config = ACMixConfig.from_dict(member["config"])
        seeds = member.get("seeds")
        if not isinstance(seeds, int) or isinstance(seeds, bool) or not 1 <= seeds <= MAX_MEMBERS:
            raise ValueError(f"Saved member {k}: seeds must be in [1, {MAX_MEMBERS}]: {seeds!r}.")
        if config.horizon != estimator.horizon:
            raise ValueError(
                f"The saved network forecasts {config.horizon} steps but the saved horizon "
                f"parameter is {estimator.horizon}; the config is inconsistent."
            )
        specs.append((config, seeds, bool(member.get("seasonal"))))

    def make(config: ACMixConfig, seeds: int) -> torch.nn.Module:
        if seeds == 1:
            return ACMixNetwork(config)
        return MedianEnsemble([ACMixNetwork(config) for _ in range(seeds)])

    with torch.device("meta"):
        expected = {
            f"members.{k}.{name}": tuple(value.shape)
            for k, (config, seeds, _) in enumerate(specs)
            for name, value in make(config, seeds).state_dict().items()
        }
    stored = _header_shapes(weights)
    if stored != expected:
        diff = sorted(set(stored) ^ set(expected)) or [
            k for k in expected if stored[k] != expected[k]
        ]
        raise ValueError(
            f"The weights in {weights} do not fit the saved network configuration (first "
            f"differences: {diff[:3]}); the files are corrupt or were edited."
        )
    tensors = _read_tensors(weights)
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not v.isfinite().all()]
    if bad:
        raise ValueError(f"The weights in {weights} hold NaN or inf (in {bad[:3]}).")
    members = []
    for k, (config, seeds, seasonal) in enumerate(specs):
        prefix = f"members.{k}."
        network = make(config, seeds)
        own = {n[len(prefix) :]: v for n, v in tensors.items() if n.startswith(prefix)}
        network.load_state_dict(own)
        members.append(Member(network.eval(), config.to_dict(), seasonal))
    return members


def _header_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    try:
        with safe_open(str(path), framework="pt") as handle:
            return {k: tuple(handle.get_slice(k).get_shape()) for k in handle.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise _unreadable(path, err) from err


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise _unreadable(path, err) from err


def _unreadable(path: Path, err: Exception) -> ValueError:
    return ValueError(
        f"{path} is not a readable safetensors file ({err}). It is corrupt or was not "
        "written by ACMixForecaster.save; save the model again."
    )


def _state(
    fitted: dict[str, Any], arrays: dict[str, np.ndarray], members: list[Member]
) -> FittedState:
    columns = Columns(**{k: _tuple(v) for k, v in fitted["columns"].items()})
    last = pd.DatetimeIndex(fitted["last_ds"])
    if fitted.get("time_zone"):
        last = last.tz_convert(fitted["time_zone"])
    cycles = arrays["cycles"]
    meta = {name: fitted[name] for name in META_FIELDS if name != "log_targets"}
    meta["log_targets"] = bool(fitted.get("log_targets", False))  # saved from 0.3 on
    meta["quantiles"] = None if meta["quantiles"] is None else tuple(meta["quantiles"])
    return FittedState(
        columns=columns,
        members=members,
        candidate_scores=[tuple(c) for c in fitted["candidate_scores"]],
        history=pd.DataFrame(fitted.get("history", []), columns=HISTORY_COLUMNS),
        conformal_scores=arrays.get("conformal_scores"),
        ids=pd.Index(fitted["ids"], name=columns.id),
        last_ds=last,
        scaler=Scaler(arrays["scaler_mean"], arrays["scaler_std"]),
        static_scaler=StaticScaler(arrays["static_mean"], arrays["static_std"]),
        static=arrays["static"],
        context=arrays["context"],
        cycles=SeasonalCycles(cycles.shape[1], cycles),
        next_phase=arrays["next_phase"].astype(np.int64),
        **meta,
    )


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
