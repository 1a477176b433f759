"""``ACMixForecaster``: an ACMix network behind scikit-learn's fit / predict."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from acmix_ts.data.frames import Columns, has_integer_time
from acmix_ts.data.native import as_given, from_pandas, library_of, to_pandas
from acmix_ts.estimator import backtest, loading, persistence, predicting, scoring
from acmix_ts.estimator.params import as_names, check_params
from acmix_ts.estimator.state import FittedState


class ACMixForecaster(BaseEstimator):
    """Global forecaster built on an ACMix network (attention + convolution, Pan et al. 2022).

    One network is trained on every window of every series; each variable is its own
    token sequence with shared weights. Training uses PyTorch Lightning; prediction is a
    plain ``torch.no_grad()`` pass on one device.

    Parameters
    ----------
    horizon : int, default=24
        Steps forecast at once (H).
    context_length : int or "auto", default="auto"
        Steps of history the network reads (L). ``"auto"`` chooses it in ``fit`` from
        the series lengths, the horizon and the season (about two and four seasons or
        horizons, :func:`acmix_ts.estimator.auto.context_candidates`); on series shorter
        than 1,000 steps both candidates are trained (see ``n_models`` for how they are
        combined). ``context_length_`` is the longest context the forecast reads (each
        member's is in ``members_``).
    patch_len : int or "auto", default="auto"
        Steps per patch token; ``"auto"`` is 16 (stride 8) from L = 96 on and about L / 6
        below (:func:`acmix_ts.estimator.auto.patch_for`).
    d_model, dropout : int / float or "auto", default="auto"
        Token width and dropout; ``"auto"`` is 32 and 0 (with weight decay 0.05) on
        fewer than 5,000 training windows, else 64 and 0.1 (weight decay 0.01).
    n_heads, n_blocks, window_size, kernel_size, fusion
        Network hyperparameters (see :class:`acmix_ts.nn.ACMixConfig`); ``window_size`` is
        in tokens, None for full attention; ``fusion`` is one of ``scalar``, ``gate``,
        ``token_gate``, ``attention``, ``conv``.
    season_length : int, optional
        Steps per season; inferred from the frequency when None (monthly 12, quarterly 4,
        weekly 52, daily 7, hourly 24, ...; :func:`acmix_ts.estimator.auto.infer_season_length`).
        Fitted value: ``season_length_``.
    seasonal : bool or "auto", default="auto"
        Remove each series' seasonal cycle (estimated on its recent training seasons,
        indexed by the phase of the season) before the network and add it back to the
        forecast (:mod:`acmix_ts.estimator.seasonal`, after CycleNet's residual cycle
        forecasting). ``"auto"``: on when there is a season; on small data (fewer than
        5,000 training windows) with validation windows, fitted with and without it.
        Fitted: ``seasonal_`` (of the best-scoring member).
    trend : bool or "auto", default="auto"
        Add a linear context-to-horizon path beside the ACMix blocks, started as the
        (seasonal) naive forecast, so that a trend is extrapolated rather than
        flattened to the context's level. ``"auto"``: on; with validation windows, the
        best of the other candidates is also fitted without it. Fitted: ``trend_`` (of
        the best-scoring member). Every candidate's validation loss is in
        ``candidate_scores_`` (context, seasonal, trend, loss).
    n_models : int or "auto", default="auto"
        Networks whose median is the forecast: the ``n_models`` candidates with the
        lowest validation loss, or, when fewer were trained, the best candidate with
        further seeds (``random_state + 1``, ...). ``"auto"``: every candidate trained
        when there are several (on the real-world suite's validation windows the median
        beat keeping the lowest validation loss, whose few windows pick a setting
        poorly), else 3 seeds on fewer than 200,000 training windows and 1 above.
        Fitted: ``n_models_``; the networks are ``members_`` (the best first), and
        ``network_`` / ``network_config_`` are the best one's; ``history_`` holds every
        candidate's training curve (per epoch: train and validation loss, learning
        rate, the epoch kept).
    loss : {"mse", "mae", "huber", "quantile"}, default="mse"
        Training loss; ``"quantile"`` trains one output per quantile (pinball loss).
    quantiles : tuple of float, optional
        Quantiles for ``loss="quantile"`` (default (0.1, 0.5, 0.9)); 0.5 is always added
        and gives the point forecast.
    learning_rate, batch_size
        Optimisation (AdamW, one-cycle schedule). With the automatic budget the batch
        shrinks on small data (``batch_size`` is its upper bound).
    weight_decay : float or "auto", default="auto"
        AdamW weight decay; ``"auto"``: 0.05 on fewer than 5,000 training windows, else
        0.01 (:func:`acmix_ts.estimator.auto.network_size`).
    max_steps : int, optional
        Optimiser steps; None scales them with the data (about four passes over the
        training windows, 300 to 2,000 steps; validation every 50 steps).
    max_epochs : int, optional
        Full passes over the training windows instead of a step budget (validation after each).
    early_stopping_patience, early_stopping_min_delta : int or None, float
        Stop after ``patience`` (default 3; needs ``val_size``) validation checks whose loss
        fell by less than ``min_delta`` (default 0). An ``EarlyStopping`` in
        ``trainer_kwargs["callbacks"]`` replaces the built-in one.
    attention_warmup_epochs, compile : int, bool
        Ramp the attention path in from 0 over this many epochs (default 0: off); run
        ``torch.compile`` on the network's forward in training (default False).
    random_state : int or None, default=0
        Seed of weights and shuffling (same seed and data: same predictions on CPU).
    past_covariates, future_covariates, static_covariates : tuple of str
        Covariate columns: known only in the past; known also over the horizon (give
        them to ``predict`` in ``futr_df``); constant per series.
    id_col, time_col, target_col : str
        Column names of the long frame; ``target_col`` may be a tuple (multivariate).
    freq : str or int, optional
        pandas frequency; inferred when None. ``"sessions"`` (intraday data with session
        gaps): the next observations, on the weekly slots seen in ``fit`` (or a
        :func:`acmix_ts.data.session_calendar`). An integer time axis takes an int step
        (default: inferred) and gives integer times back.
    scaler : {"standard", None}, default="standard"
        Per-series standardisation (fitted on the training part only) or none.
    target_transform : {"auto", "log", None}, default="auto"
        Log targets (``"auto"``: where the swing grows with the level); ``log_targets_``.
    network_kwargs : dict, optional
        Further (network) fields of :class:`acmix_ts.nn.ACMixConfig` (``n_stages``, ...).
    trainer_kwargs, progress_bar : dict, bool
        Passed to ``pytorch_lightning.Trainer`` (accelerator, devices, strategy, precision,
        logger, callbacks); Lightning's progress bar while training (default off).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from acmix_ts import ACMixForecaster
    >>> ds = pd.date_range("2024-01-01", periods=300, freq="h")
    >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.sin(np.arange(300) / 6)})
    >>> model = ACMixForecaster(horizon=12, max_steps=20).fit(df)
    >>> model.context_length_, model.season_length_
    (48, 24)
    >>> model.predict().shape
    (12, 3)
    """

    model_name = "ACMix"

    def __init__(
        self,
        *,
        horizon: int = 24,
        context_length: int | str = "auto",
        patch_len: int | str = "auto",
        d_model: int | str = "auto",
        n_heads: int = 4,
        n_blocks: int = 2,
        window_size: int | None = 8,
        kernel_size: int = 3,
        fusion: str = "scalar",
        dropout: float | str = "auto",
        season_length: int | None = None,
        seasonal: bool | str = "auto",
        trend: bool | str = "auto",
        n_models: int | str = "auto",
        loss: str = "mse",
        quantiles: tuple[float, ...] | None = None,
        learning_rate: float = 1e-3,
        weight_decay: float | str = "auto",
        batch_size: int = 64,
        max_steps: int | None = None,
        max_epochs: int | None = None,
        early_stopping_patience: int | None = 3,
        early_stopping_min_delta: float = 0.0,
        attention_warmup_epochs: int = 0,
        compile: bool = False,
        random_state: int | None = 0,
        past_covariates: tuple[str, ...] = (),
        future_covariates: tuple[str, ...] = (),
        static_covariates: tuple[str, ...] = (),
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str | tuple[str, ...] = "y",
        freq: str | None = None,
        scaler: str | None = "standard",
        target_transform: str | None = "auto",
        network_kwargs: dict | None = None,
        trainer_kwargs: dict | None = None,
        progress_bar: bool = False,
    ):
        # scikit-learn's contract: store every parameter under its own name, nothing else.
        params = {k: v for k, v in locals().items() if k != "self" and not k.startswith("__")}
        self.__dict__.update(params)

    # ----------------------------------------------------------------- fitting
    def _columns(self) -> Columns:
        return Columns(
            id=self.id_col,
            time=self.time_col,
            targets=as_names(self.target_col),
            past=as_names(self.past_covariates),
            future=as_names(self.future_covariates),
            static=as_names(self.static_covariates),
        )

    def _training_quantiles(self) -> tuple[float, ...] | None:
        if self.loss != "quantile":
            return None
        chosen = self.quantiles if self.quantiles is not None else (0.1, 0.5, 0.9)
        return tuple(sorted({float(q) for q in chosen} | {0.5}))

    def fit(
        self,
        df: pd.DataFrame | pd.Series,
        val_size: int | None = None,
        static_df: pd.DataFrame | None = None,
    ) -> ACMixForecaster:
        """Train the network on every window of every series of ``df``.

        Parameters
        ----------
        df : pandas.DataFrame or pandas.Series
            Long frame (``id_col``, ``time_col``, target and covariate columns), wide
            frame with a DatetimeIndex (one column per series) or a Series.
        val_size : int, optional
            Length of the validation tail of every series, used for early stopping, for
            picking the best epoch and the automatic context, and (point losses) for the
            conformal intervals of ``predict(level=...)``. Defaults to a tenth of the
            shortest series (at least ``horizon``) when the series are long enough,
            else 0 (no validation). The scaler and the seasonal cycles never see it.
        static_df : pandas.DataFrame, optional
            One row per series with ``id_col`` and the static covariate columns.

        Returns
        -------
        ACMixForecaster
            The fitted estimator.
        """
        from acmix_ts.estimator.fit_state import fit_state

        check_params(self)
        state = fit_state(self, to_pandas(df), val_size, to_pandas(static_df))
        state.frame_library = library_of(df)
        self._set_state(state)
        return self

    def predict(
        self,
        h: int | None = None,
        df: pd.DataFrame | pd.Series | None = None,
        futr_df: pd.DataFrame | None = None,
        static_df: pd.DataFrame | None = None,
        level: Sequence[float] | None = None,
        quantiles: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """Forecast the ``h`` steps after the end of each series.

        Parameters
        ----------
        h : int, optional
            Steps to forecast (default ``horizon``). Beyond ``horizon`` the point forecast
            is rolled forward: each block of ``horizon`` steps is fed back as history
            (not for models with covariates, nor with ``level`` / ``quantiles``).
        df : pandas.DataFrame or Series, optional
            New history to forecast from (same layout as in ``fit``), for the training
            series or for series the model has never seen. Defaults to the end of the
            training data.
        futr_df : pandas.DataFrame, optional
            ``id_col``, ``time_col`` and the future covariates for the ``h`` timestamps
            after each series' end; required when the model has future covariates.
        static_df : pandas.DataFrame, optional
            Static covariates of series not seen in ``fit``.
        level : sequence of float, optional
            Central interval levels in percent, e.g. ``[80, 95]``: adds
            ``ACMix-lo-80`` / ``ACMix-hi-80`` columns. With ``loss="quantile"`` they are
            the trained quantiles (which must include them); with a point loss they are
            split-conformal intervals from the validation windows of ``fit``
            (:mod:`acmix_ts.estimator.conformal`), which needs ``val_size > 0``.
        quantiles : sequence of float, optional
            Adds ``ACMix_ql0.1``-style columns (neuralforecast's names; trained quantiles).

        Returns
        -------
        pandas.DataFrame
            ``id_col``, ``time_col`` and the model column(s): ``ACMix`` for one target,
            ``ACMix_<target>`` for several.
        """
        self._check_fitted()
        history, future, static = (to_pandas(x) for x in (df, futr_df, static_df))
        forecast = predicting.predict(self, h, history, future, static, level, quantiles)
        return as_given(forecast, df, self.time_col, self.state_)

    def predict_insample(
        self, df: pd.DataFrame | pd.Series, step_size: int = 1, h: int | None = None
    ) -> pd.DataFrame:
        """Fitted values: forecasts of the training windows of ``df``, neuralforecast-style.

        Every ``step_size``-th window of each series whose ``h`` steps (default
        ``horizon``) lie in ``df`` and whose context is full, in one batched pass. The
        layout of :meth:`cross_validation`: ``id_col``, ``time_col``, ``cutoff``, the
        target(s) and the forecast column(s). ``df`` is usually the frame given to
        ``fit`` (the model keeps only the end of the series it was fitted on).
        """
        self._check_fitted()
        fitted = backtest.predict_insample(self, to_pandas(df), step_size, h)
        return as_given(fitted, df, self.time_col, self.state_)

    def score(self, df: pd.DataFrame | pd.Series) -> float:
        """Negative MASE of the forecast of the last ``horizon`` steps of every series.

        ``predict`` from ``df`` without those steps; each series' MAE over them divided
        by its in-sample seasonal naive MAE (:mod:`acmix_ts.estimator.scoring`), the
        mean over series, negated (higher is better, for scikit-learn's model
        selection; :func:`acmix_ts.metrics.neg_mase_scorer`).
        """
        self._check_fitted()
        return scoring.holdout_score(self, to_pandas(df))

    def make_future_dataframe(
        self, h: int | None = None, df: pd.DataFrame | pd.Series | None = None
    ) -> pd.DataFrame:
        """The ``id_col`` / ``time_col`` rows that ``futr_df`` must fill for ``predict``.

        One row per series and step after the end of the training data (or of ``df``'s
        series), ``h`` steps (default ``horizon``); add the future covariate columns.
        """
        self._check_fitted()
        future = predicting.future_frame(self, h, to_pandas(df))
        return as_given(future, df, self.time_col, self.state_)

    def get_missing_future(
        self, futr_df: pd.DataFrame, h: int | None = None, df: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The rows of :meth:`make_future_dataframe` that ``futr_df`` lacks (empty: none)."""
        expected = to_pandas(self.make_future_dataframe(h, df))  # in the user's time axis
        missing = predicting.missing_rows(
            expected, to_pandas(futr_df), [self.id_col, self.time_col]
        )
        return from_pandas(missing, library_of(futr_df))

    def cross_validation(
        self,
        df: pd.DataFrame | pd.Series,
        n_windows: int = 1,
        step_size: int | None = None,
        refit: bool | int = False,
        h: int | None = None,
        static_df: pd.DataFrame | None = None,
        val_size: int | None = None,
        level: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """Rolling-origin backtest over the last ``n_windows`` windows of every series.

        Window ``i`` forecasts the ``h`` steps after its cutoff; cutoffs are ``step_size``
        steps apart and the last window ends with each series. This estimator is fitted
        on the data up to the first cutoff, and again every ``refit`` windows (``True`` =
        every window, ``False`` = never), and stays fitted, as in neuralforecast. With
        one fit, every window is forecast in one batched pass (thousands of stride-1
        windows in seconds). No window reads data after its cutoff except the future
        covariates of its horizon. ``level`` adds interval columns as in :meth:`predict`
        (score them with :func:`acmix_ts.metrics.coverage`); ``val_size`` is passed to
        every ``fit``.

        Returns
        -------
        pandas.DataFrame
            ``id_col``, ``time_col``, ``cutoff``, the target column(s) and the forecast
            column(s), one row per series, window and step.
        """
        frame = to_pandas(df)
        cv = backtest.cross_validation(
            self, frame, n_windows, step_size, refit, h, static_df=to_pandas(static_df),
            val_size=val_size, level=level,
        )  # fmt: skip
        # Fitted on df, as fit(df) would be: its time axis and library.
        integer = has_integer_time(frame, self._columns())
        self.state_.time_axis = "integer" if integer else "datetime"
        self.state_.frame_library = library_of(df)
        return as_given(cv, df, self.time_col, self.state_)

    # ------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Save to a directory: JSON config and state, safetensors weights and arrays."""
        persistence.save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> ACMixForecaster:
        """Load an estimator saved by :meth:`save` (no code is executed)."""
        return loading.load(cls, path)

    # ---------------------------------------------------------- fitted state
    def _set_state(self, state: FittedState) -> None:
        self.state_ = state
        self.n_features_in_ = len(state.columns.dynamic)

    def __getattr__(self, name: str) -> Any:
        """The fields of ``state_`` as fitted attributes: ``context_length_``, ``scaler_`` ..."""
        if name.endswith("_") and name[:-1] in FittedState.names():
            state = self.__dict__.get("state_")
            if state is not None:
                return getattr(state, name[:-1])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        fitted = [f"{n}_" for n in FittedState.names()] if "state_" in self.__dict__ else []
        return sorted({*super().__dir__(), *fitted})

    def __sklearn_is_fitted__(self) -> bool:
        return "state_" in self.__dict__

    def _check_fitted(self) -> None:
        check_is_fitted(self)
