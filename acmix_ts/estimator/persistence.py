"""Saving and loading a fitted estimator without pickles.

A saved estimator is a directory of three files:

- ``weights.safetensors``: the network;
- ``state.safetensors``: scalers, cycles, the stored contexts, conformal scores;
- ``config.json``: the format version, the library versions, the parameters, the
  fitted metadata and the SHA-256 of the two other files (the manifest).

``save`` writes into a temporary folder beside the target and renames it into place,
so that a crash leaves the previous model (or nothing) behind, never a mix. ``load``
checks the manifest, the format version, the configuration and every tensor's shape
from the safetensors headers before it builds anything; nothing in the files is
executed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import numbers
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from acmix_ts.data.frames import Columns
from acmix_ts.estimator.prepare import Scaler, StaticScaler
from acmix_ts.estimator.seasonal import SeasonalCycles
from acmix_ts.estimator.state import HISTORY_COLUMNS, FittedState, Member
from acmix_ts.nn import ACMixConfig, ACMixNetwork, MedianEnsemble

FORMAT = "acmix_ts.ACMixForecaster"
FORMAT_VERSION = 3
FILES = ("weights.safetensors", "state.safetensors")
# FittedState fields stored as they are in config.json; the others are converted.
META_FIELDS = (
    "freq", "quantiles", "context_length", "season_length", "seasonal", "trend", "n_models",
    "best_val_loss", "time_axis", "frame_library",
)  # fmt: skip
MAX_MEMBERS = 64  # networks in a saved median at most (a hostile file asks for more)
SECTIONS = ("versions", "params", "fitted", "files")


# -------------------------------------------------------------------------- save
def is_url(path: str | os.PathLike) -> bool:
    """A path of another file system (``s3://``, ``gs://``, ``memory://`` ...), for fsspec."""
    text = os.fspath(path)
    return "://" in text and not text.startswith("file://")


def save(estimator: Any, path: str | os.PathLike) -> None:
    """Write ``estimator`` (fitted) to the directory ``path``, atomically.

    A URL (``s3://bucket/model``, ``memory://m`` ...) goes through fsspec: the folder is
    written locally, uploaded beside the target and moved over it, as atomically as that
    store's move allows.
    """
    estimator._check_fitted()
    if is_url(path):
        _save_remote(estimator, os.fspath(path))
        return
    target = Path(path)
    if target.exists() and not _replaceable(target):
        raise FileExistsError(
            f"{target} exists and is not a saved ACMixForecaster; save refuses to replace "
            "it. Choose another path or remove it."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.saving-", dir=target.parent))
    try:
        _write(estimator, staging)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _save_remote(estimator: Any, url: str) -> None:
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    staging = f"{root}.saving-{os.getpid()}"
    with tempfile.TemporaryDirectory() as local:
        _write(estimator, Path(local))
        fs.put(local.rstrip("/") + "/", staging + "/", recursive=True)
    try:
        if fs.exists(root):
            fs.rm(root, recursive=True)
        fs.mv(staging, root, recursive=True)
    finally:
        if fs.exists(staging):
            fs.rm(staging, recursive=True)


def _write(estimator: Any, folder: Path) -> None:
    state: FittedState = estimator.state_
    weights = {
        f"members.{k}.{name}": value.detach().cpu().contiguous()
        for k, member in enumerate(state.members)
        for name, value in member.network.state_dict().items()
    }
    save_file(weights, folder / FILES[0])
    save_file(_arrays(state), folder / FILES[1])
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "params": _jsonable_params(estimator.get_params(deep=False)),
        "fitted": _metadata(state),
        "files": {name: _sha256(folder / name) for name in FILES},
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2, default=_plain))


def _swap_in(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; an older model there is moved aside first."""
    if not target.exists():
        staging.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _replaceable(target: Path) -> bool:
    """An existing model folder (or an empty one) may be replaced by ``save``."""
    if not target.is_dir():
        return False
    names = {p.name for p in target.iterdir()}
    return not names or names <= {"config.json", *FILES}


def _versions() -> dict[str, str]:
    import pytorch_lightning

    import acmix_ts

    return {
        "acmix_ts": acmix_ts.__version__,
        "torch": torch.__version__,
        "pytorch_lightning": pytorch_lightning.__version__,
    }


def _metadata(state: FittedState) -> dict[str, Any]:
    last = pd.DatetimeIndex(state.last_ds)
    meta = {name: getattr(state, name) for name in META_FIELDS}
    return {
        **meta,
        "candidate_scores": [list(c) for c in state.candidate_scores],
        "history": json.loads(state.history.to_json(orient="records")),
        "members": [
            {"config": m.config, "seasonal": m.seasonal, "seeds": _seeds(m.network)}
            for m in state.members
        ],
        "columns": dataclasses.asdict(state.columns),
        "ids": state.ids.tolist(),
        # The zone's name, not a fixed offset, so that DST changes survive a round trip.
        "time_zone": None if last.tz is None else str(last.tz),
        "last_ds": [t.isoformat() for t in (last if last.tz is None else last.tz_convert("UTC"))],
    }


def _seeds(network: torch.nn.Module) -> int:
    return len(network.members) if isinstance(network, MedianEnsemble) else 1


def _arrays(state: FittedState) -> dict[str, torch.Tensor]:
    arrays = {
        "scaler_mean": state.scaler.mean,
        "scaler_std": state.scaler.std,
        "static_mean": state.static_scaler.mean,
        "static_std": state.static_scaler.std,
        "static": state.static,
        "context": state.context,
        "cycles": state.cycles.cycles,
        "next_phase": state.next_phase,
    }
    if state.conformal_scores is not None:
        arrays["conformal_scores"] = state.conformal_scores
    return {
        k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64)) for k, v in arrays.items()
    }


def _jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    clean = {}
    for key, value in params.items():
        if _is_json(value):
            clean[key] = _plain_tree(value)
            continue
        kept = {k: v for k, v in value.items() if _is_json(v)}
        warnings.warn(
            f"{key} entries {sorted(set(value) - set(kept))} are objects and are not "
            "saved; pass them again after load with set_params.",
            stacklevel=4,
        )
        clean[key] = _plain_tree(kept)
    return clean


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers (``json.dumps``'s ``default``)."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _plain_tree(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_plain))


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, default=_plain)
        return True
    except (TypeError, ValueError):
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -------------------------------------------------------------------------- load
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
        if _sha256(path) != files.get(name):
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
    meta = {name: fitted[name] for name in META_FIELDS}
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
