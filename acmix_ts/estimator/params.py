"""Validation of ``ACMixForecaster``'s parameters, in scikit-learn's words."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, cast

from acmix_ts.estimator.transform import TRANSFORMS
from acmix_ts.nn import FUSION_MODES
from acmix_ts.training.losses import LOSSES

# The numbers ABCs declare only < and <= in typeshed, so the checked values are compared
# as the int / float they stand for.


def _int_at_least(low: int) -> tuple[Callable[[Any], bool], str]:
    def ok(value: Any) -> bool:
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            return False
        return cast(int, value) >= low

    return ok, f"an int >= {low}"


def _float_in(low: float, high: float, closed_low: bool) -> tuple[Callable[[Any], bool], str]:
    def ok(value: Any) -> bool:
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            return False
        number = cast(float, value)
        return (number >= low if closed_low else number > low) and number < high

    bracket = "[" if closed_low else "("
    return ok, f"a float in {bracket}{low}, {high})"


def _auto_or(check: tuple[Callable[[Any], bool], str]) -> tuple[Callable[[Any], bool], str]:
    ok, expected = check
    return (lambda value: value == "auto" or ok(value)), f'"auto" or {expected}'


def _none_or(check: tuple[Callable[[Any], bool], str]) -> tuple[Callable[[Any], bool], str]:
    ok, expected = check
    return (lambda value: value is None or ok(value)), f"None or {expected}"


def _bool() -> tuple[Callable[[Any], bool], str]:
    return (lambda value: isinstance(value, bool)), "a bool"


def _one_of(*options: Any) -> tuple[Callable[[Any], bool], str]:
    return (lambda value: value in options), f"one of {options}"


def _names() -> tuple[Callable[[Any], bool], str]:
    def ok(value: Any) -> bool:
        if value is None or isinstance(value, str):
            return True
        return isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value)

    return ok, "None, a column name or a tuple of column names"


def _dict_or_none() -> tuple[Callable[[Any], bool], str]:
    return (lambda value: value is None or isinstance(value, dict)), "a dict or None"


def _quantiles() -> tuple[Callable[[Any], bool], str]:
    def ok(value: Any) -> bool:
        if value is None:
            return True
        return (
            isinstance(value, (tuple, list))
            and len(value) > 0
            and all(isinstance(q, numbers.Real) and 0 < cast(float, q) < 1 for q in value)
        )

    return ok, "None or a non-empty tuple of floats in (0, 1)"


CONSTRAINTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "horizon": _int_at_least(1),
    "context_length": _auto_or(_int_at_least(1)),
    "patch_len": _auto_or(_int_at_least(1)),
    "d_model": _auto_or(_int_at_least(1)),
    "n_heads": _int_at_least(1),
    "n_blocks": _int_at_least(1),
    "window_size": _none_or(_int_at_least(1)),
    "kernel_size": _int_at_least(1),
    "fusion": _one_of(*FUSION_MODES),
    "dropout": _auto_or(_float_in(0.0, 1.0, closed_low=True)),
    "season_length": _none_or(_int_at_least(1)),
    "seasonal": _auto_or(_bool()),
    "trend": _auto_or(_bool()),
    "n_models": _auto_or(_int_at_least(1)),
    "loss": _one_of(*LOSSES),
    "quantiles": _quantiles(),
    "learning_rate": _float_in(0.0, float("inf"), closed_low=False),
    "weight_decay": _auto_or(_float_in(0.0, float("inf"), closed_low=True)),
    "attention_warmup_epochs": _int_at_least(0),
    "compile": _bool(),
    "batch_size": _int_at_least(1),
    "max_steps": _none_or(_int_at_least(1)),
    "max_epochs": _none_or(_int_at_least(1)),
    "early_stopping_patience": _none_or(_int_at_least(1)),
    "early_stopping_min_delta": _float_in(0.0, float("inf"), closed_low=True),
    "random_state": _none_or(_int_at_least(0)),
    "scaler": _one_of("standard", None),
    "target_transform": _one_of(*TRANSFORMS),
    "past_covariates": _names(),
    "future_covariates": _names(),
    "static_covariates": _names(),
    "target_col": _names(),
    "network_kwargs": _dict_or_none(),
    "trainer_kwargs": _dict_or_none(),
}


def check_params(estimator: Any) -> None:
    """Raise ``ValueError`` for the first parameter of ``estimator`` that is out of range."""
    name = type(estimator).__name__
    for param, value in estimator.get_params(deep=False).items():
        if param not in CONSTRAINTS:
            continue
        ok, expected = CONSTRAINTS[param]
        if not ok(value):
            raise ValueError(
                f"The {param!r} parameter of {name} must be {expected}. Got {value!r} instead."
            )


def as_names(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A column-name parameter as a tuple of names."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)
