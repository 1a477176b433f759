"""Split-conformal prediction intervals from the validation windows of ``fit``.

After training, the model forecasts every step of the validation tail (the part of
every series that ``val_size`` held out: the weights never trained on it) from every
origin that reaches it within the horizon, through the same path as ``predict`` (the
members' median). So each horizon step k is scored on every one of the ``val_size``
tail steps of each series, from the origin k steps before it: a one-horizon tail gives
``val_size`` scores per step, not one. The absolute errors of the point forecast, in
the estimator's per-series standardised units and divided by the window's own scale
(the mean absolute step-to-step change of its context, :func:`context_scale`), are the
conformity scores, pooled over series and origins and kept per horizon step and target.
A central ``level`` % interval is ``forecast ± s * scale * std`` where ``s`` is the
``ceil((n + 1) * level / 100)``-th smallest of the ``n`` scores of that step and target
(split conformal prediction: Vovk, Gammerman & Shafer 2005; Angelopoulos & Bates 2023,
"Conformal prediction: a gentle introduction", §1). Dividing by a per-window scale is
normalised conformal prediction (Papadopoulos et al. 2008; Lei et al. 2018, §5.2): the
interval widens where the series moves more, e.g. on a trending series whose
training-period spread says little about its current steps.

When a step has too few scores for a level, the scores of all steps are pooled after
dividing step k's by sqrt(k) (errors of a random walk grow so) and the width is scaled
back per step; only when even the pool is too small is the level refused.

The coverage guarantee holds when validation and future windows are exchangeable, which
a time series only approximates; early stopping also chose the epoch on these windows,
which makes the scores slightly optimistic. Measure the coverage you get with
``cross_validation(..., level=[...])`` and :func:`acmix_ts.metrics.coverage`.

Shape: scores (n, H, C) -> half-widths (H, C). An origin scores only the steps it
forecasts inside the tail; its other steps hold ``inf`` (sorted last, never counted).
"""

from __future__ import annotations

import math

import numpy as np

MAX_WINDOWS = 4096  # validation origins scored at most (a seeded random subset beyond)
MIN_SCALE = 1e-3  # floor of a window's scale, in standardised units (constant contexts)


def context_scale(context: np.ndarray) -> np.ndarray:
    """Mean absolute step-to-step change of each target over the context, floored.

    Shape: context (B, L, C) -> (B, C); ones for a one-step context.
    """
    if context.shape[1] < 2:
        return np.ones((context.shape[0], context.shape[2]))
    change = np.abs(np.diff(context, axis=1)).mean(axis=1)  # (B, C)
    return np.maximum(change, MIN_SCALE)


def conformity_scores(actual: np.ndarray, point: np.ndarray, context: np.ndarray) -> np.ndarray:
    """Absolute errors of the point forecast per window scale, sorted over the windows.

    Parameters
    ----------
    actual, point : numpy.ndarray
        Observed values and point forecasts of n validation windows, (n, H, C), in
        standardised units; ``actual`` is NaN at the steps a window does not score.
    context : numpy.ndarray
        The windows' contexts as the network reads them, (n, L, C), standardised.

    Returns
    -------
    numpy.ndarray
        Scores ``|actual - point| / context_scale(context)``, ``inf`` where ``actual``
        is NaN, sorted along the first axis, shape (n, H, C).
    """
    scores = np.abs(actual - point) / context_scale(context)[:, None, :]
    return np.sort(np.where(np.isnan(actual), np.inf, scores), axis=0)


def half_width(scores: np.ndarray, level: float) -> np.ndarray:
    """Conformal half-width of a central ``level`` % interval, in units of the scale.

    Parameters
    ----------
    scores : numpy.ndarray
        Sorted conformity scores, shape (n, H, C); the ``inf`` at the end of a step's
        column are steps not scored.
    level : float
        Interval level in percent, in (0, 100).

    Returns
    -------
    numpy.ndarray
        Shape (H, C): multiply by a window's :func:`context_scale` and the series' std.
    """
    horizon = scores.shape[1]
    counts = np.isfinite(scores[:, :, 0]).sum(axis=0)  # (H,) scores of each step
    ranks = np.ceil((counts + 1) * level / 100).astype(np.int64)
    if (ranks <= counts).all():
        return np.take_along_axis(scores, ranks[None, :, None] - 1, axis=0)[0]
    growth = np.sqrt(np.arange(1, horizon + 1))[:, None]  # (H, 1)
    pooled = np.sort((scores / growth).reshape(-1, scores.shape[2]), axis=0)  # (n*H, C)
    total = int(counts.sum())
    rank = math.ceil((total + 1) * level / 100)
    if rank > total:
        needed = math.ceil(level / (100 - level) - 1e-9)  # least n with rank <= n
        raise ValueError(
            f"A {level:g}% conformal interval needs at least {needed} validation scores; "
            f"fit scored {total} over {horizon} horizon steps. Fit with a larger val_size "
            "(or more series), ask for a lower level, or train quantiles with "
            "loss='quantile'."
        )
    return pooled[rank - 1][None, :] * growth  # (H, C)
