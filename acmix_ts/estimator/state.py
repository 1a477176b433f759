"""The fitted state of ``ACMixForecaster``: what ``fit`` learns, ``predict`` reads and
``save`` writes, in one object.

The estimator keeps one :class:`FittedState` (``state_``) and shows each of its fields
as a scikit-learn style fitted attribute with a trailing underscore (``context_length_``,
``scaler_``, ...). :meth:`FittedState.check` states how the fields fit together; ``load``
runs it before a model file is used.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from torch import nn

from acmix_ts.data.frames import Columns
from acmix_ts.estimator.prepare import Scaler, StaticScaler
from acmix_ts.estimator.seasonal import SeasonalCycles

HISTORY_COLUMNS = (
    "candidate", "epoch", "step", "train_loss", "val_loss", "learning_rate", "kept",
)  # fmt: skip


@dataclass
class Member:
    """One network of the forecast's median: its settings and whether it reads the cycle.

    ``network`` is an :class:`~acmix_ts.nn.ACMixNetwork` (or a
    :class:`~acmix_ts.nn.MedianEnsemble` of seeds of one setting); ``config`` its
    :class:`~acmix_ts.nn.ACMixConfig` fields. A ``seasonal`` member reads the context
    with the seasonal cycle removed and adds the cycle back to its forecast.
    """

    network: nn.Module
    config: dict[str, Any]
    seasonal: bool

    @property
    def context_length(self) -> int:
        return int(self.config["context_length"])


@dataclass
class FittedState:
    """Everything a fitted ``ACMixForecaster`` knows, one row per series where per series.

    Attributes
    ----------
    columns : Columns
        Id, time, target and covariate columns the model was fitted with.
    freq : str
        pandas frequency of the series.
    members : list of Member
        The networks whose median is the forecast, the best-scoring first.
    quantiles : tuple of float or None
        Trained quantiles (``loss="quantile"``), else None.
    context_length, season_length : int
        The longest context L of the members (what ``predict`` reads) and the season m.
    seasonal, trend : bool
        Whether the best-scoring member removes the seasonal cycle and has the linear
        trend path.
    n_models : int
        Networks in the median (candidates, or seeds of one candidate).
    candidate_scores : list of tuple
        (context, seasonal, trend, validation loss) of every candidate ``fit`` trained.
    best_val_loss : float or None
        Validation loss of the kept candidate (None without validation windows).
    history : pandas.DataFrame
        The training history of every candidate: ``candidate`` (its row of
        ``candidate_scores``), ``epoch`` (-1: the untrained network, scored first),
        ``step``, ``train_loss``, ``val_loss``, ``learning_rate`` and ``kept`` (the weights
        kept are those of each candidate's last row with ``kept`` True).
    conformal_scores : numpy.ndarray or None
        Conformity scores (n_windows, H, C) for ``predict(level=...)``.
    ids : pandas.Index
        The training series' ids, in order.
    last_ds : pandas.DatetimeIndex
        Last timestamp of each training series (with its time zone).
    scaler, static_scaler : Scaler, StaticScaler
        Per-series standardisation of the dynamic columns; static feature scaling.
    static : numpy.ndarray
        (n, S) scaled static covariates.
    context : numpy.ndarray
        (n, L, D) raw last ``context_length`` steps of every series.
    cycles : SeasonalCycles
        Per-series seasonal cycles of the targets, scaled units.
    next_phase : numpy.ndarray
        (n,) phase of the season at each series' first forecast step.
    time_axis : str
        ``"datetime"``, or ``"integer"`` for integer time steps (carried inside as days
        from 1970 and given back as integers).
    frame_library : str
        The dataframe library of ``fit``'s input (``"pandas"``, ``"polars"``): ``predict``
        answers in it.
    log_targets : bool
        The model reads and forecasts the logs of the targets
        (:mod:`acmix_ts.estimator.transform`).
    """

    columns: Columns
    freq: str
    members: list[Member]
    quantiles: tuple[float, ...] | None
    context_length: int
    season_length: int
    seasonal: bool
    trend: bool
    n_models: int
    candidate_scores: list[tuple[Any, ...]]
    best_val_loss: float | None
    history: pd.DataFrame
    conformal_scores: np.ndarray | None
    ids: pd.Index
    last_ds: pd.DatetimeIndex
    scaler: Scaler
    static_scaler: StaticScaler
    static: np.ndarray
    context: np.ndarray
    cycles: SeasonalCycles
    next_phase: np.ndarray
    time_axis: str = "datetime"
    frame_library: str = "pandas"
    log_targets: bool = False

    @property
    def network(self) -> nn.Module:
        """The best-scoring member's network."""
        return self.members[0].network

    @property
    def network_config(self) -> dict[str, Any]:
        """The best-scoring member's :class:`~acmix_ts.nn.ACMixConfig` fields."""
        return self.members[0].config

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The estimator's fitted attributes without their ``_``: fields and properties."""
        return (*(f.name for f in dataclasses.fields(cls)), "network", "network_config")

    def check(self) -> None:
        """Raise ``ValueError`` when the per-series fields disagree in count or shape."""
        n, length = len(self.ids), self.context_length
        n_dynamic, n_targets = len(self.columns.dynamic), len(self.columns.targets)
        expected = {
            "last_ds": (len(self.last_ds), n),
            "context rows": (self.context.shape[0], n),
            "context steps": (self.context.shape[1], length),
            "context columns": (self.context.shape[2], n_dynamic),
            "scaler rows": (self.scaler.mean.shape, (n, n_dynamic)),
            "scaler std rows": (self.scaler.std.shape, (n, n_dynamic)),
            "static rows": (self.static.shape[0], n),
            "cycle rows": (self.cycles.cycles.shape, (n, self.cycles.season, n_targets)),
            "next_phase": (self.next_phase.shape, (n,)),
            "longest member context": (max(m.context_length for m in self.members), length),
            "member horizons": ({m.config.get("horizon") for m in self.members},
                                {self.network_config.get("horizon")}),
        }  # fmt: skip
        wrong = {k: v for k, v in expected.items() if v[0] != v[1]}
        if wrong:
            detail = "; ".join(f"{k}: {got} (expected {want})" for k, (got, want) in wrong.items())
            raise ValueError(f"The fitted state does not fit together: {detail}.")
        if not (np.isfinite(self.scaler.std).all() and (self.scaler.std > 0).all()):
            raise ValueError("The fitted state has a non-finite or non-positive scale.")
