"""Network layer of acmix_ts: torch only (no pandas, Lightning or scikit-learn).

The ACMix1d block (shared q/k/v projection feeding windowed attention and a shift
convolution, fused), its pre-norm residual block, the forecasting network with RevIN,
patching and covariates, its config dataclass, and the baseline networks.
"""

from .acmix import ACMix1d
from .baselines import DLinear, NaiveForecaster, PatchTSTNetwork
from .block import ACMixBlock
from .config import FUSION_MODES, ACMixConfig
from .ensemble import MedianEnsemble
from .inputs import INPUT_NAMES, NetworkInputs, forecast_in_chunks
from .network import ACMixNetwork
from .revin import RevIN

__all__ = [
    "FUSION_MODES",
    "INPUT_NAMES",
    "ACMix1d",
    "ACMixBlock",
    "ACMixConfig",
    "ACMixNetwork",
    "DLinear",
    "MedianEnsemble",
    "NaiveForecaster",
    "NetworkInputs",
    "PatchTSTNetwork",
    "RevIN",
    "forecast_in_chunks",
]
