"""Saving a fitted estimator without pickles (:mod:`~acmix_ts.estimator.loading` reads it).

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
from safetensors.torch import save_file

from acmix_ts.estimator.state import FittedState
from acmix_ts.nn import MedianEnsemble

FORMAT = "acmix_ts.ACMixForecaster"
FORMAT_VERSION = 3
FILES = ("weights.safetensors", "state.safetensors")
# FittedState fields stored as they are in config.json; the others are converted.
META_FIELDS = (
    "freq", "quantiles", "context_length", "season_length", "seasonal", "trend", "n_models",
    "best_val_loss", "time_axis", "frame_library", "log_targets",
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
        "files": {name: sha256(folder / name) for name in FILES},
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


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
