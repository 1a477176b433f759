"""``ACMixForecaster``: an ACMix network behind scikit-learn's fit / predict."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from acmix_ts.data.calendar import infer_freq
from acmix_ts.data.frames import Columns, check_order, check_values, group_series, static_table
from acmix_ts.data.frames import to_long as frame_to_long
from acmix_ts.estimator.conformal import conformity_scores
from acmix_ts.estimator.fitting import TRAINING_KEYS, resolve_val_size, train_network
from acmix_ts.estimator.params import as_names, check_params
from acmix_ts.estimator.predicting import PredictMixin
from acmix_ts.estimator.prepare import (
    Scaler,
    StaticScaler,
    series_blocks,
    to_series_arrays,
    train_val_blocks,
)
from acmix_ts.training import WindowDataset


class ACMixForecaster(PredictMixin, BaseEstimator):
    """Global forecaster built on an ACMix network (attention + convolution, Pan et al. 2022).

    One network is trained on every window of every series; each variable is its own
    token sequence with shared weights. Training uses PyTorch Lightning; prediction is a
    plain ``torch.no_grad()`` pass on one device.

    Parameters
    ----------
    horizon : int, default=24
        Steps forecast at once (H).
    context_length : int, default=96
        Steps of history the network reads (L).
    patch_len, d_model, n_heads, n_blocks, window_size, kernel_size, fusion, dropout
        Network hyperparameters (see :class:`acmix_ts.nn.ACMixConfig`); ``window_size`` is
        in tokens, None for full attention; ``fusion`` is one of ``scalar``, ``gate``,
        ``token_gate``, ``attention``, ``conv``.
    loss : {"mse", "mae", "huber", "quantile"}, default="mse"
        Training loss; ``"quantile"`` trains one output per quantile (pinball loss).
    quantiles : tuple of float, optional
        Quantiles for ``loss="quantile"`` (default (0.1, 0.5, 0.9)); 0.5 is always added
        and gives the point forecast.
    learning_rate, batch_size, max_epochs
        Optimisation (AdamW, one-cycle schedule).
    early_stopping_patience : int or None, default=3
        Epochs without validation improvement before stopping (needs ``val_size``).
    random_state : int or None, default=0
        Seed of weights and shuffling; same seed and data give identical predictions on CPU.
    past_covariates, future_covariates, static_covariates : tuple of str
        Covariate columns: known only in the past; known also over the horizon (give
        them to ``predict`` in ``futr_df``); constant per series.
    id_col, time_col, target_col : str
        Column names of the long frame; ``target_col`` may be a tuple (multivariate).
    freq : str, optional
        pandas frequency of the series; inferred when None.
    scaler : {"standard", None}, default="standard"
        Per-series standardisation fitted on the training part only.
    network_kwargs : dict, optional
        Further fields of :class:`acmix_ts.nn.ACMixConfig` (``patch_stride``,
        ``ffn_ratio``, ``revin``, ``conv_fp32`` ...) and ``attention_warmup_epochs``,
        ``weight_decay``, ``compile`` (bool: ``torch.compile`` the network's forward
        during training; off by default).
    trainer_kwargs : dict, optional
        Passed to ``pytorch_lightning.Trainer`` (accelerator, devices, strategy,
        precision, logger, callbacks).
    progress_bar : bool, default=False
        Show Lightning's progress bar while training.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from acmix_ts import ACMixForecaster
    >>> ds = pd.date_range("2024-01-01", periods=300, freq="h")
    >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.sin(np.arange(300) / 6)})
    >>> model = ACMixForecaster(horizon=12, context_length=48, max_epochs=2).fit(df)
    >>> model.predict().shape
    (12, 3)
    """

    model_name = "ACMix"

    def __init__(
        self,
        horizon: int = 24,
        context_length: int = 96,
        patch_len: int = 16,
        d_model: int = 64,
        n_heads: int = 4,
        n_blocks: int = 2,
        window_size: int | None = 8,
        kernel_size: int = 3,
        fusion: str = "scalar",
        dropout: float = 0.1,
        loss: str = "mse",
        quantiles: tuple[float, ...] | None = None,
        learning_rate: float = 1e-3,
        batch_size: int = 64,
        max_epochs: int = 20,
        early_stopping_patience: int | None = 3,
        random_state: int | None = 0,
        past_covariates: tuple[str, ...] = (),
        future_covariates: tuple[str, ...] = (),
        static_covariates: tuple[str, ...] = (),
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str | tuple[str, ...] = "y",
        freq: str | None = None,
        scaler: str | None = "standard",
        network_kwargs: dict | None = None,
        trainer_kwargs: dict | None = None,
        progress_bar: bool = False,
    ):
        self.horizon = horizon
        self.context_length = context_length
        self.patch_len = patch_len
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_blocks = n_blocks
        self.window_size = window_size
        self.kernel_size = kernel_size
        self.fusion = fusion
        self.dropout = dropout
        self.loss = loss
        self.quantiles = quantiles
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping_patience = early_stopping_patience
        self.random_state = random_state
        self.past_covariates = past_covariates
        self.future_covariates = future_covariates
        self.static_covariates = static_covariates
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col
        self.freq = freq
        self.scaler = scaler
        self.network_kwargs = network_kwargs
        self.trainer_kwargs = trainer_kwargs
        self.progress_bar = progress_bar

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

    def _network_config(self, columns: Columns, n_static: int) -> dict[str, Any]:
        extra = dict(self.network_kwargs or {})
        for key in TRAINING_KEYS:
            extra.pop(key, None)
        quantiles = self._training_quantiles()
        return {
            "context_length": self.context_length,
            "horizon": self.horizon,
            "n_targets": len(columns.targets),
            "n_outputs": len(quantiles) if quantiles else 1,
            "n_past_covariates": len(columns.past),
            "n_future_covariates": len(columns.future),
            "n_static": n_static,
            "patch_len": self.patch_len,
            "d_model": self.d_model,
            "n_heads": self.n_heads,
            "n_blocks": self.n_blocks,
            "window_size": self.window_size,
            "kernel_size": self.kernel_size,
            "fusion": self.fusion,
            "dropout": self.dropout,
            **extra,
        }

    def _validated_frame(self, df: Any, columns: Columns, where: str) -> pd.DataFrame:
        frame = group_series(frame_to_long(df, columns, where), columns)
        check_values(frame, columns, columns.dynamic, where)
        check_order(frame, columns, where)
        return frame

    def _check_lengths(self, frame: pd.DataFrame, columns: Columns, val_size: int) -> None:
        needed = self.context_length + self.horizon + val_size
        sizes = frame.groupby(columns.id, sort=False).size()
        short = sizes[sizes < needed]
        if len(short):
            first = short.index[0]
            raise ValueError(
                f"Series {first!r} has {short.iloc[0]} observations, fewer than "
                f"context_length + horizon{' + val_size' if val_size else ''} = {needed} "
                f"({len(short)} series are that short). Use a shorter context_length or "
                "horizon, a smaller val_size, or drop the short series."
            )

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
            picking the best epoch and (point losses) for the conformal intervals of
            ``predict(level=...)``. Defaults to a tenth of the shortest series (at least
            ``horizon``) when the series are long enough, else 0 (no validation). The
            scaler never sees it.
        static_df : pandas.DataFrame, optional
            One row per series with ``id_col`` and the static covariate columns.

        Returns
        -------
        ACMixForecaster
            The fitted estimator.
        """
        check_params(self)
        columns = self._columns()
        frame = self._validated_frame(df, columns, "df")
        val_size = resolve_val_size(frame, columns, val_size, self.horizon, self.context_length)
        self._check_lengths(frame, columns, val_size)
        freq = infer_freq(frame, columns, self.freq, "df")
        statics = static_table(frame, columns, static_df, "df")
        blocks = series_blocks(frame, columns)
        train_blocks, val_blocks = train_val_blocks(blocks, val_size, self.context_length)
        scaler = Scaler.fit(train_blocks, enabled=self.scaler == "standard")
        static_scaler = StaticScaler.fit(statics)
        static = static_scaler.transform(statics)
        config = self._network_config(columns, statics.shape[1])
        train_set, val_set = (
            WindowDataset(
                to_series_arrays(part, scaler, static, columns),
                self.context_length,
                self.horizon,
            )
            if part
            else None
            for part in (train_blocks, val_blocks)
        )
        module = train_network(self, config, train_set, val_set)

        self.columns_ = columns
        self.freq_ = freq
        self.network_config_ = config
        self.quantiles_ = self._training_quantiles()
        self.network_ = module.network.cpu().eval()
        self.best_val_loss_ = module.best_val_loss if val_blocks else None
        self.conformal_scores_ = None
        if val_set is not None and self.quantiles_ is None:
            self.conformal_scores_ = conformity_scores(self.network_, val_set)
        self.ids_ = pd.Index(pd.unique(frame[columns.id]), name=columns.id)
        self.last_ds_ = frame.groupby(columns.id, sort=False)[columns.time].last().to_numpy()
        self.scaler_ = scaler
        self.static_scaler_ = static_scaler
        self.static_ = static
        self.context_ = np.stack([b[-self.context_length :] for b in blocks])
        self.n_features_in_ = len(columns.dynamic)
        return self

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
        steps apart and the last window ends with each series. A fresh clone of this
        estimator is fitted on the data up to the first cutoff, and again every ``refit``
        windows (``True`` = every window, ``False`` = never). No window reads data after
        its cutoff except the future covariates of its horizon; this estimator is left as
        it was. ``level`` adds interval columns as in :meth:`predict` (score them with
        :func:`acmix_ts.metrics.coverage`); ``val_size`` is passed to every ``fit``.

        Returns
        -------
        pandas.DataFrame
            ``id_col``, ``time_col``, ``cutoff``, the target column(s) and the forecast
            column(s), one row per series, window and step.
        """
        from acmix_ts.estimator.backtest import cross_validation

        return cross_validation(
            self, df, n_windows, step_size, refit, h, static_df=static_df, val_size=val_size,
            level=level,
        )  # fmt: skip

    # ------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Save to a directory: JSON config and state, safetensors weights and arrays."""
        from acmix_ts.estimator.persistence import save

        save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> ACMixForecaster:
        """Load an estimator saved by :meth:`save` (no code is executed)."""
        from acmix_ts.estimator.persistence import load

        return load(cls, path)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def _device(self) -> torch.device:
        return next(iter(self.network_.parameters()), torch.empty(0)).device

    def _check_fitted(self) -> None:
        check_is_fitted(self)
