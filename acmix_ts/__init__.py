"""acmix_ts: time-series forecasting with ACMix networks.

The top-level names are imported lazily so that ``import acmix_ts.nn`` stays
torch-only (no pandas, Lightning or scikit-learn); see docs/architecture.md.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:  # the one version number is pyproject.toml's, read from the installed metadata
    __version__ = version("acmix_ts")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

_LAZY = {
    "ACMixForecaster": "acmix_ts.estimator",
    "load_ltsf": "acmix_ts.data",
    "ltsf_split": "acmix_ts.data",
    "load_prices": "acmix_ts.data",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'acmix_ts' has no attribute {name!r}")
