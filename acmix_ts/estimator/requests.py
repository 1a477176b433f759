"""What ``predict`` is asked: the steps, the interval levels and the quantiles, checked.

Each check raises a ``ValueError`` that says what the argument must be; the conformal
half-widths of the asked levels come from the fitted state's scores.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from acmix_ts.estimator.conformal import half_width
from acmix_ts.estimator.state import FittedState


def interval_quantiles(level: Sequence[float] | np.ndarray) -> list[tuple[str, float]]:
    """Column suffixes and quantiles of central intervals, e.g. 80 -> lo 0.1, hi 0.9."""
    pairs = []
    for value in level:
        if not 0 < value < 100:
            raise ValueError(f"level must hold numbers in (0, 100). Got {value!r}.")
        lo = (100 - value) / 200
        pairs += [(f"-lo-{value:g}", lo), (f"-hi-{value:g}", 1 - lo)]
    return pairs


def check_h(h: Any, horizon: int, rolled: bool = False) -> int:
    """``h`` as an int in [1, horizon] (None: the horizon); any h >= 1 when ``rolled``."""
    if h is None:
        return horizon
    expected = "an int >= 1" if rolled else f"an int in [1, horizon={horizon}]"
    if not isinstance(h, (int, np.integer)) or isinstance(h, bool) or h < 1:
        raise ValueError(f"h must be {expected}. Got {h!r} instead.")
    if not rolled and h > horizon:
        raise ValueError(
            f"h must be {expected}. Got {h!r} instead. predict(h=...) rolls the forecast "
            "further; here, fit with a larger horizon."
        )
    return int(h)


def check_rollable(state: FittedState, horizon: int, h: int, levels: Any, quantiles: Any) -> None:
    """``h > horizon`` feeds the point forecast back as history: say when it cannot."""
    columns = state.columns
    if columns.past or columns.future:
        raise ValueError(
            f"h={h} is longer than horizon={horizon}, and this model reads covariates "
            f"({list(columns.past + columns.future)}) whose values after the first "
            f"{horizon} steps it cannot know. Fit with horizon >= {h} instead."
        )
    if levels is not None or quantiles is not None:
        raise ValueError(
            f"Intervals and quantiles cover at most horizon={horizon} steps (h={h} rolls "
            "the point forecast forward, with no calibrated spread). Ask for h <= "
            f"{horizon} with level=..., or fit with horizon >= {h}."
        )


def check_levels(level: Any) -> list[float] | None:
    """``level`` as a list of floats in (0, 100), or None."""
    if level is None:
        return None
    if isinstance(level, (str, bytes)) or not isinstance(level, Sequence | np.ndarray):
        raise ValueError(
            f"level must be a list of interval levels in percent, e.g. level=[80, 95]. "
            f"Got {level!r} instead."
        )
    for value in level:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                f"level must hold numbers in (0, 100), e.g. level=[80, 95]. Got {value!r} "
                f"in {level!r}."
            )
    interval_quantiles(level)  # the range
    return [float(value) for value in level]


def extra_quantiles(
    state: FittedState, level: Sequence[float] | None, quantiles: Sequence[float] | None
) -> list[tuple[str, float]]:
    """Column suffixes and trained quantiles asked for by ``level`` and ``quantiles``."""
    wanted = interval_quantiles(level or ())
    wanted += [(f"_ql{float(q)}", float(q)) for q in quantiles or ()]  # as neuralforecast
    trained = state.quantiles or ()
    for _, q in wanted:
        if not any(abs(q - t) < 1e-9 for t in trained):
            raise ValueError(
                f"Quantile {q:g} was not trained (trained: {list(trained) or 'none'}). "
                "Fit with loss='quantile' and quantiles=(...) that include it, e.g. "
                "quantiles=(0.1, 0.5, 0.9) for level=[80]."
            )
    return wanted


def interval_columns(
    state: FittedState,
    levels: list[float] | None,
    quantiles: Sequence[float] | None,
    h: int,
) -> tuple[list[tuple[str, float]], list[tuple[float, np.ndarray]]]:
    """What the intervals of checked ``levels`` are made of: trained quantile columns, or
    conformal half-widths when the model was fitted with a point loss.

    Returns ``(extra, widths)``: :func:`extra_quantiles` and :func:`conformal_widths`.
    """
    if levels is not None and state.quantiles is None:  # conformal
        return extra_quantiles(state, None, quantiles), conformal_widths(state, levels, h)
    return extra_quantiles(state, levels, quantiles), []


def conformal_widths(
    state: FittedState, level: Sequence[float], h: int
) -> list[tuple[float, np.ndarray]]:
    """Half-widths (h, C) per level, in units of window scale x series std."""
    if state.conformal_scores is None:
        raise ValueError(
            "level needs interval information this model does not have: it was fitted "
            "with a point loss and no validation windows. Fit with val_size > 0 "
            "(conformal intervals) or with loss='quantile'."
        )
    return [(float(v), half_width(state.conformal_scores, v)[:h]) for v in level]
