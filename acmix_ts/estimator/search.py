"""The settings ``fit`` tries, and the training runs that score them on validation.

``fit`` builds one :class:`~acmix_ts.estimator.fitting.FitData` per seasonal choice,
then :func:`search` trains the first candidates of :func:`first_candidates`, tries the
best of them without the trend path (``trend="auto"``), ranks them by validation loss
and returns the members of the forecast's median: the candidates, or seeds of the best.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from torch import nn

from acmix_ts.data.frames import Columns
from acmix_ts.estimator.auto import (
    SMALL_DATA,
    Budget,
    ensemble_size,
    network_size,
    patch_for,
    training_budget,
)
from acmix_ts.estimator.fitting import TRAINING_KEYS, Candidate, FitData, train_network
from acmix_ts.estimator.prepare import train_val_blocks
from acmix_ts.estimator.state import Member
from acmix_ts.nn import ACMixConfig, MedianEnsemble
from acmix_ts.training import ForecastingModule, WindowDataset


@dataclass
class Fitted:
    """One trained candidate and what a further ensemble member of it needs."""

    candidate: Candidate
    data: FitData
    module: ForecastingModule
    config: dict[str, Any]
    train_set: WindowDataset
    val_set: WindowDataset | None
    budget: Budget
    weight_decay: float


@dataclass
class SearchResult:
    """The members of the forecast's median, the best-scoring first, and every candidate.

    ``n_models`` networks in all: the ``n_models`` best candidates, or, when fewer were
    trained, the best one with ``n_models - 1`` further seeds of it.
    """

    best: Fitted
    members: list[Member]
    n_models: int
    tried: list[Fitted]


def network_config(
    estimator: Any, columns: Columns, n_static: int, candidate: Candidate, n_windows: int,
    lag: int,
) -> dict[str, Any]:  # fmt: skip
    """The :class:`~acmix_ts.nn.ACMixConfig` fields of one candidate, checked.

    An invalid combination (e.g. ``n_heads`` that does not divide ``d_model``) is a
    ``ValueError`` in the estimator's words, before anything trains.
    """
    extra = dict(estimator.network_kwargs or {})
    moved = sorted(set(extra) & set(TRAINING_KEYS))
    if moved:
        raise ValueError(
            f"network_kwargs holds network fields only; {moved} are parameters of "
            f"ACMixForecaster: pass them as ACMixForecaster({moved[0]}=...)."
        )
    quantiles = estimator._training_quantiles()
    size = network_size(n_windows)
    patch, stride = patch_for(candidate.context_length)
    if estimator.patch_len != "auto":
        patch, stride = estimator.patch_len, max(1, estimator.patch_len // 2)
    auto = {"d_model": estimator.d_model, "dropout": estimator.dropout}
    config = {
        "context_length": candidate.context_length,
        "horizon": estimator.horizon,
        "n_targets": len(columns.targets),
        "n_outputs": len(quantiles) if quantiles else 1,
        "n_past_covariates": len(columns.past),
        "n_future_covariates": len(columns.future),
        "n_static": n_static,
        "patch_len": patch,
        "patch_stride": stride,
        **{k: size[k] if v == "auto" else v for k, v in auto.items()},
        "n_heads": estimator.n_heads,
        "n_blocks": estimator.n_blocks,
        "window_size": estimator.window_size,
        "kernel_size": estimator.kernel_size,
        "fusion": estimator.fusion,
        "linear_path": candidate.trend,
        "linear_init_lag": lag if candidate.trend else 0,
        **extra,
    }
    try:
        return ACMixConfig.from_dict(config).to_dict()
    except ValueError as err:
        raise ValueError(
            f"These ACMixForecaster settings make no valid network: {err} Change the "
            "parameter of that name (or its entry in network_kwargs)."
        ) from err


def budget_for(estimator: Any, n_windows: int) -> tuple[Budget, float]:
    """Training budget and weight decay for ``n_windows`` training windows."""
    given = estimator.weight_decay
    decay = float(network_size(n_windows)["weight_decay"] if given == "auto" else given)
    if estimator.max_epochs is not None:
        return Budget(estimator.batch_size, None, estimator.max_epochs), decay
    return training_budget(n_windows, estimator.batch_size, estimator.max_steps), decay


def first_candidates(
    estimator: Any, contexts: list[int], train_lengths: np.ndarray, val_size: int, season: int
) -> list[Candidate]:
    """The settings ``fit`` trains first and scores on the validation windows.

    On small data with validation windows every context candidate is tried with and
    without the cycle (``seasonal="auto"``); on large data, where each run costs more,
    the longest context with the cycle alone. The trend path is on here; :func:`search`
    then tries the best of these without it (``trend="auto"``).
    """
    seasonal = [bool(estimator.seasonal)] if estimator.seasonal != "auto" else [season > 1]
    trend = bool(estimator.trend) if estimator.trend != "auto" else True
    windows = np.maximum(train_lengths - max(contexts) - estimator.horizon + 1, 0).sum()
    small = windows < SMALL_DATA
    if val_size and estimator.seasonal == "auto" and season > 1 and small:
        seasonal = [True, False]
    contexts = contexts if small else [max(contexts)]
    return [Candidate(c, s, trend) for s in seasonal for c in contexts]


def fit_candidate(estimator: Any, data: FitData, candidate: Candidate, val_size: int) -> Fitted:
    """Train one network of ``candidate``'s context and trend path (cycles in ``data``)."""
    length = candidate.context_length
    train_blocks, val_blocks = train_val_blocks(data.blocks, val_size, length)
    starts = np.zeros(len(train_blocks), np.int64)
    train_set = WindowDataset(data.arrays(train_blocks, starts), length, estimator.horizon)
    val_set = None
    if val_blocks:
        starts = np.array([len(b) - len(v) for b, v in zip(data.blocks, val_blocks, strict=True)])
        val_set = WindowDataset(data.arrays(val_blocks, starts), length, estimator.horizon)
    # The linear path starts as the seasonal naive forecast, or as the naive one when
    # the cycle is already removed (or is longer than the context).
    season = data.season if data.cycles.season == 1 else 1
    lag = season if 1 < season <= length else 1
    n_windows = len(train_set)
    config = network_config(
        estimator, data.columns, data.static.shape[1], candidate, n_windows, lag
    )
    budget, decay = budget_for(estimator, n_windows)
    module = train_network(
        estimator, config, train_set, val_set, budget, decay, estimator.random_state
    )
    return Fitted(candidate, data, module, config, train_set, val_set, budget, decay)


def search(
    estimator: Any,
    candidates: list[Candidate],
    data_for: Callable[[bool], FitData],
    val_size: int,
) -> SearchResult:
    """Train ``candidates`` (and, with ``trend="auto"``, the best without the trend path).

    ``data_for(seasonal)`` gives the series with or without their cycles. With
    ``n_models="auto"`` the forecast is the median of every candidate trained (on the
    suite's validation windows that beat keeping the lowest validation loss: the few
    validation windows of a short series pick a setting poorly), or of 3 seeds when
    there is one candidate; an int ``n_models`` keeps that many, best first.
    """
    tried = [fit_candidate(estimator, data_for(c.seasonal), c, val_size) for c in candidates]

    def loss(fitted: Fitted) -> float:
        return fitted.module.best_val_loss if val_size else 0.0

    if val_size and estimator.trend == "auto":
        leader = min(tried, key=loss).candidate
        plain = Candidate(leader.context_length, leader.seasonal, False)
        tried.append(fit_candidate(estimator, data_for(plain.seasonal), plain, val_size))
    ranked = sorted(tried, key=loss)  # stable: ties keep the training order
    best = ranked[0]
    n_models = estimator.n_models
    if n_models == "auto":
        n_models = len(ranked) if len(ranked) > 1 else ensemble_size(len(best.train_set))
    if n_models <= len(ranked):
        members = [_member(f, f.module.network) for f in ranked[:n_models]]
        return SearchResult(best, members, int(n_models), tried)
    seed = estimator.random_state
    seeds = [
        train_network(
            estimator, best.config, best.train_set, best.val_set, best.budget,
            best.weight_decay, None if seed is None else seed + k,
        ).network
        for k in range(1, n_models)
    ]  # fmt: skip
    network = MedianEnsemble([best.module.network.cpu(), *(s.cpu() for s in seeds)])
    return SearchResult(best, [_member(best, network)], int(n_models), tried)


def _member(fitted: Fitted, network: nn.Module) -> Member:
    config = cast(ACMixConfig, network.config).to_dict()  # every field, as the network has it
    return Member(network.cpu().eval(), config, fitted.data.cycles.season > 1)
