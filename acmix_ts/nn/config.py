"""Configuration of the forecasting networks.

One frozen dataclass, :class:`ACMixConfig`, holds every size and option of
:class:`~acmix_ts.nn.ACMixNetwork` and of the baselines. It validates itself on
construction and round-trips through plain dictionaries (JSON).
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any

FUSION_MODES: tuple[str, ...] = ("scalar", "gate", "token_gate", "attention", "conv")

# (field, minimum) for the integer fields.
_INT_FIELDS: tuple[tuple[str, int], ...] = (
    ("context_length", 1),
    ("horizon", 1),
    ("n_targets", 1),
    ("n_outputs", 1),
    ("n_past_covariates", 0),
    ("n_future_covariates", 0),
    ("n_static", 0),
    ("patch_len", 1),
    ("patch_stride", 1),
    ("d_model", 1),
    ("n_heads", 1),
    ("n_blocks", 1),
    ("n_stages", 1),
    ("kernel_size", 1),
    ("ffn_ratio", 1),
    ("linear_init_lag", 0),
)
_BOOL_FIELDS: tuple[str, ...] = ("revin", "channel_independent", "conv_fp32", "linear_path")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _field_error(name: str, expected: str, value: Any) -> ValueError:
    return ValueError(
        f"The {name!r} field of ACMixConfig must be {expected}. Got {value!r} instead."
    )


def n_patches(length: int, patch_len: int, stride: int) -> int:
    """Number of patches (tokens) that :func:`acmix_ts.nn.patching.patchify` makes.

    The series is padded at the FRONT (repeating its first value) so that the last
    patch ends exactly at the last observed step: no recent step is dropped and none is
    duplicated. ``T = ceil(max(L - P, 0) / S) + 1``, which equals ``(L - P) // S + 1``
    when ``(L - P)`` is a multiple of ``S``; ``L < P`` gives one patch.
    """
    return -(-max(length - patch_len, 0) // stride) + 1


@dataclass(frozen=True)
class ACMixConfig:
    """Sizes and options of an :class:`~acmix_ts.nn.ACMixNetwork` (and the baselines).

    Parameters
    ----------
    context_length : int
        L, steps of history the network reads.
    horizon : int
        H, steps to forecast.
    n_targets : int
        C, target variables per sample.
    n_outputs : int
        Q, values per target and step (e.g. the number of quantiles).
    n_past_covariates : int
        Cp, covariates known only over the context.
    n_future_covariates : int
        Cf, covariates known over the context and the horizon.
    n_static : int
        S, static real features per sample.
    patch_len, patch_stride : int
        Length and stride of the patches that become tokens (see :func:`n_patches`).
    d_model, n_heads, n_blocks : int
        Token width, attention heads (must divide ``d_model``) and blocks (per stage).
    n_stages : int
        Scales: 1 = one token sequence; S > 1 = S stages of ``n_blocks`` blocks with
        stride-2 token merging between them and one head per stage
        (:mod:`acmix_ts.nn.stages`).
    window_size : int or None
        Attention window in tokens; ``None`` means full attention.
    kernel_size : int
        Taps of the shift convolution (odd).
    fusion : str
        One of :data:`FUSION_MODES`.
    ffn_ratio : int
        Feed-forward hidden width is ``ffn_ratio * d_model``.
    dropout : float
        Dropout probability in ``[0, 1)``.
    revin : bool
        Instance-normalise targets and covariates (inverted on the output).
    channel_independent : bool
        Each target is its own token sequence with shared weights.
    conv_fp32 : bool
        Keep the convolution path in fp32 under autocast.
    linear_path : bool
        Add a linear map from the (instance-normalised) context to the horizon, per
        target, beside the blocks (:class:`~acmix_ts.nn.backbone.LinearPath`): a level and
        trend path in the manner of NLinear/DLinear (Zeng et al., AAAI 2023).
    linear_init_lag : int
        Start of the linear path: 0 = zero (the network starts as without it); k >= 1 =
        repeat the last k context steps (1: the naive forecast, the season: the seasonal
        naive one), so that training starts from that forecast and learns corrections.

    Attributes
    ----------
    n_tokens : int
        Derived (a property, not a field): tokens per sequence, see :func:`n_patches`.
    """

    context_length: int
    horizon: int
    n_targets: int = 1
    n_outputs: int = 1
    n_past_covariates: int = 0
    n_future_covariates: int = 0
    n_static: int = 0
    patch_len: int = 16
    patch_stride: int = 8
    d_model: int = 64
    n_heads: int = 4
    n_blocks: int = 2
    n_stages: int = 1
    window_size: int | None = 8
    kernel_size: int = 3
    fusion: str = "scalar"
    ffn_ratio: int = 2
    dropout: float = 0.1
    revin: bool = True
    channel_independent: bool = True
    conv_fp32: bool = False
    linear_path: bool = False
    linear_init_lag: int = 0

    def __post_init__(self) -> None:
        for name, minimum in _INT_FIELDS:
            value = getattr(self, name)
            if not _is_int(value) or value < minimum:
                raise _field_error(name, f"an int >= {minimum}", value)
            object.__setattr__(self, name, int(value))  # numpy integers become ints
        if self.d_model % self.n_heads != 0:
            raise _field_error("n_heads", f"a divisor of d_model={self.d_model}", self.n_heads)
        if self.kernel_size % 2 == 0:
            raise _field_error("kernel_size", "an odd int >= 1", self.kernel_size)
        if self.window_size is not None and (not _is_int(self.window_size) or self.window_size < 1):
            raise _field_error("window_size", "an int >= 1 or None", self.window_size)
        if self.window_size is not None:
            object.__setattr__(self, "window_size", int(self.window_size))
        if self.linear_init_lag > self.context_length:
            raise _field_error(
                "linear_init_lag",
                f"an int <= context_length={self.context_length}",
                self.linear_init_lag,
            )
        if self.fusion not in FUSION_MODES:
            raise _field_error("fusion", f"one of {FUSION_MODES}", self.fusion)
        dropout = self.dropout
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise _field_error("dropout", "a float in [0, 1)", dropout)
        if not 0.0 <= dropout < 1.0:
            raise _field_error("dropout", "a float in [0, 1)", dropout)
        object.__setattr__(self, "dropout", float(dropout))
        for name in _BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise _field_error(name, "a bool", getattr(self, name))

    @property
    def n_tokens(self) -> int:
        """Number of tokens per sequence, ``n_patches(context_length, patch_len, patch_stride)``."""
        return n_patches(self.context_length, self.patch_len, self.patch_stride)

    @property
    def depth(self) -> int:
        """Blocks in all: ``n_blocks`` per stage."""
        return self.n_blocks * self.n_stages

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-serialisable dictionary."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ACMixConfig:
        """Build a config from :meth:`to_dict` output; unknown keys raise ``ValueError``."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"ACMixConfig.from_dict got unknown fields {unknown}; known fields are "
                f"{sorted(known)}."
            )
        try:
            return cls(**data)
        except TypeError as e:
            raise ValueError(f"ACMixConfig.from_dict could not build a config: {e}") from e
