"""acmix_ts: time-series forecasting with ACMix networks.

The top-level names are imported lazily so that ``import acmix_ts.nn`` stays
torch-only (no pandas, Lightning or scikit-learn); see docs/architecture.md.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

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
