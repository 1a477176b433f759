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


@dataclass
class FittedState:
    """Everything a fitted ``ACMixForecaster`` knows, one row per series where per series.

    Attributes
    ----------
    columns : Columns
        Id, time, target and covariate columns the model was fitted with.
    freq : str
        pandas frequency of the series.
    network : torch.nn.Module
        The trained network (a :class:`~acmix_ts.nn.MedianEnsemble` when ``n_models`` > 1).
    network_config : dict
        The :class:`~acmix_ts.nn.ACMixConfig` fields of the network (of each member).
    quantiles : tuple of float or None
        Trained quantiles (``loss="quantile"``), else None.
    context_length, season_length : int
        The chosen context L and the season m.
    seasonal, trend : bool
        Whether the seasonal cycle is removed and the linear trend path is on.
    n_models : int
        Members of the median ensemble.
    candidate_scores : list of tuple
        (context, seasonal, trend, validation loss) of every candidate ``fit`` trained.
    best_val_loss : float or None
        Validation loss of the kept candidate (None without validation windows).
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
    """

    columns: Columns
    freq: str
    network: nn.Module
    network_config: dict[str, Any]
    quantiles: tuple[float, ...] | None
    context_length: int
    season_length: int
    seasonal: bool
    trend: bool
    n_models: int
    candidate_scores: list[tuple[Any, ...]]
    best_val_loss: float | None
    conformal_scores: np.ndarray | None
    ids: pd.Index
    last_ds: pd.DatetimeIndex
    scaler: Scaler
    static_scaler: StaticScaler
    static: np.ndarray
    context: np.ndarray
    cycles: SeasonalCycles
    next_phase: np.ndarray

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The field names (the estimator's fitted attributes without their ``_``)."""
        return tuple(f.name for f in dataclasses.fields(cls))

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
            "network context_length": (self.network_config.get("context_length"), length),
        }
        wrong = {k: v for k, v in expected.items() if v[0] != v[1]}
        if wrong:
            detail = "; ".join(f"{k}: {got} (expected {want})" for k, (got, want) in wrong.items())
            raise ValueError(f"The fitted state does not fit together: {detail}.")
        if not (np.isfinite(self.scaler.std).all() and (self.scaler.std > 0).all()):
            raise ValueError("The fitted state has a non-finite or non-positive scale.")
