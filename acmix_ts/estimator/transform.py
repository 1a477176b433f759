"""The log transform of the targets, for series whose seasonal swing grows with their level.

With ``target_transform="log"`` (or ``"auto"`` where :func:`is_multiplicative` finds the
training data multiplicative), ``fit`` trains on ``log(y)``: the model, its seasonal
cycle, scaler and conformal scores all live in log units. The estimator's boundary turns
every input's targets into logs (:func:`log_blocks`) and every output's forecast,
interval and quantile columns back (:func:`exp_columns`), so that a
multiplicative season becomes the additive cycle the model removes, and intervals come
back asymmetric, wider on the upside.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRANSFORMS = ("auto", "log", None)
LEVEL_RATIO = 1.5  # the level must change at least this much (max / min season mean) ...
SPREAD_CORRELATION = 0.5  # ... and the seasonal spread follow it (Pearson, per series)
MIN_SEASONS = 4  # full seasons a series needs for the test


def is_multiplicative(blocks: list[np.ndarray], season: int) -> bool:
    """Whether most series' within-season spread grows with their level (all values > 0).

    Per series and target: the means and standard deviations of its consecutive full
    seasons; multiplicative when the level changes by :data:`LEVEL_RATIO` or more, the
    spread by its square root or more, and the spread correlates with the level by
    :data:`SPREAD_CORRELATION` or more. True when more than half of the tested (series,
    target) pairs are; False without a season.
    """
    if season < 2 or any((b <= 0).any() for b in blocks):
        return False
    votes = []
    for block in blocks:
        n = len(block) // season
        if n < MIN_SEASONS:
            continue
        seasons = block[len(block) - n * season :].reshape(n, season, -1)  # (n, m, C)
        level, spread = seasons.mean(axis=1), seasons.std(axis=1)  # (n, C)
        for c in range(level.shape[1]):
            grows = level[:, c].max() / level[:, c].min() >= LEVEL_RATIO
            swings = spread[:, c].max() >= np.sqrt(LEVEL_RATIO) * spread[:, c].min()
            if grows and swings:
                votes.append(np.corrcoef(level[:, c], spread[:, c])[0, 1] >= SPREAD_CORRELATION)
            else:
                votes.append(False)
    return bool(votes) and float(np.mean(votes)) > 0.5


def log_blocks(blocks: list[np.ndarray], n_targets: int, where: str) -> list[np.ndarray]:
    """Copies of the (T_i, D) ``blocks`` with their first ``n_targets`` columns in logs."""
    out = []
    for block in blocks:
        if not (block[:, :n_targets] > 0).all():
            raise ValueError(
                f"The targets of {where} hold values <= 0, but the model was fitted on their "
                "logs (target_transform): pass positive values, or fit with "
                "target_transform=None."
            )
        block = block.copy()
        block[:, :n_targets] = np.log(block[:, :n_targets])
        out.append(block)
    return out


def exp_columns(frame: pd.DataFrame, model_name: str) -> pd.DataFrame:
    """``frame`` with the model's columns (forecasts, bounds, quantiles) exponentiated."""
    names = [
        c for c in frame.columns
        if c == model_name or str(c).startswith((model_name + "_", model_name + "-"))
    ]  # fmt: skip
    for name in names:
        frame[name] = np.exp(frame[name].to_numpy(dtype=np.float64))
    return frame
