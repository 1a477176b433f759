"""``predict`` of :class:`~acmix_ts.estimator.ACMixForecaster`: contexts in, long frame out.

Prediction is a plain ``torch.no_grad()`` pass on the device the network lives on, in
chunks of series; no Lightning Trainer is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from acmix_ts.data.calendar import future_dates, infer_freq
from acmix_ts.data.frames import Columns, static_table
from acmix_ts.estimator.conformal import context_scale, half_width
from acmix_ts.estimator.prepare import Scaler, series_blocks
from acmix_ts.estimator.seasonal import SeasonalCycles, first_phases

CHUNK = 1024  # series per forward pass


@dataclass
class History:
    """What a forecast starts from: one row per series."""

    ids: pd.Index
    last_ds: np.ndarray
    context: np.ndarray  # (n, L, D) raw values of the dynamic columns
    scaler: Scaler
    static: np.ndarray  # (n, S) scaled
    cycles: SeasonalCycles  # per-series seasonal cycles of the targets, scaled units
    next_phase: np.ndarray  # (n,) phase of the season at the first forecast step


def interval_quantiles(level: Sequence[float]) -> list[tuple[str, float]]:
    """Column suffixes and quantiles of central intervals, e.g. 80 -> lo 0.1, hi 0.9."""
    pairs = []
    for value in level:
        if not 0 < value < 100:
            raise ValueError(f"level must hold numbers in (0, 100). Got {value!r}.")
        lo = (100 - value) / 200
        pairs += [(f"-lo-{value:g}", lo), (f"-hi-{value:g}", 1 - lo)]
    return pairs


class PredictMixin:
    """The prediction half of the estimator (expects the attributes ``fit`` sets)."""

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
            Steps to forecast, at most ``horizon`` (the default).
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
            Adds ``ACMix-q-0.1``-style columns (trained quantiles only).

        Returns
        -------
        pandas.DataFrame
            ``id_col``, ``time_col`` and the model column(s): ``ACMix`` for one target,
            ``ACMix_<target>`` for several.
        """
        self._check_fitted()
        h = self._check_h(h)
        conformal = level is not None and self.quantiles_ is None
        extra = self._extra_quantiles(None if conformal else level, quantiles)
        widths = self._conformal_widths(level, h) if conformal else []
        history = self._history() if df is None else self._history_from(df, static_df)
        future = self._future_block(futr_df, history, h)
        forecast = self._forecast(history, future)  # (n, H, C, Q)
        frame = self._to_frame(history, forecast[:, :h], extra)
        return self._add_intervals(frame, history, widths)

    # ----------------------------------------------------------------- inputs
    def _check_h(self, h: int | None) -> int:
        if h is None:
            return self.horizon
        if not isinstance(h, (int, np.integer)) or not 1 <= h <= self.horizon:
            raise ValueError(
                f"h must be an int in [1, horizon={self.horizon}]. Got {h!r} instead. To "
                "forecast further, fit with a larger horizon."
            )
        return int(h)

    def _extra_quantiles(self, level, quantiles) -> list[tuple[str, float]]:
        wanted = interval_quantiles(level or ())
        wanted += [(f"-q-{q:g}", float(q)) for q in quantiles or ()]
        trained = self.quantiles_ or ()
        for _, q in wanted:
            if not any(abs(q - t) < 1e-9 for t in trained):
                raise ValueError(
                    f"Quantile {q:g} was not trained (trained: {list(trained) or 'none'}). "
                    "Fit with loss='quantile' and quantiles=(...) that include it, e.g. "
                    "quantiles=(0.1, 0.5, 0.9) for level=[80]."
                )
        return wanted

    def _conformal_widths(self, level: Sequence[float], h: int) -> list[tuple[float, np.ndarray]]:
        scores = getattr(self, "conformal_scores_", None)
        if scores is None:
            raise ValueError(
                "level needs interval information this model does not have: it was fitted "
                "with a point loss and no validation windows. Fit with val_size > 0 "
                "(conformal intervals) or with loss='quantile'."
            )
        interval_quantiles(level)  # validates the levels
        return [(float(value), half_width(scores, value)[:h]) for value in level]

    def _add_intervals(self, frame, history: History, widths) -> pd.DataFrame:
        """``-lo-`` / ``-hi-`` columns: point forecast -/+ half-width x window scale x std."""
        columns: Columns = self.columns_
        if not widths:
            return frame
        n_y = len(columns.targets)
        scale = context_scale(self._network_context(history)[0][:, :, :n_y])  # (n, C)
        for c, target in enumerate(columns.targets):
            name = self._column_name(target)
            point = frame[name].to_numpy()  # (n*h,)
            std = history.scaler.std[:, c] * scale[:, c]  # (n,)
            for value, width in widths:
                spread = (std[:, None] * width[None, :, c]).reshape(-1)  # (n * h,)
                frame[f"{name}-lo-{value:g}"] = point - spread
                frame[f"{name}-hi-{value:g}"] = point + spread
        return frame

    def _column_name(self, target: str) -> str:
        """``ACMix`` for one target, ``ACMix_<target>`` for several."""
        if len(self.columns_.targets) == 1:
            return self.model_name
        return f"{self.model_name}_{target}"

    def _history(self) -> History:
        return History(
            self.ids_,
            self.last_ds_,
            self.context_,
            self.scaler_,
            self.static_,
            self.cycles_,
            self.next_phase_,
        )

    def _history_from(self, df, static_df) -> History:
        columns: Columns = self.columns_
        frame = self._validated_frame(df, columns, "df")
        sizes = frame.groupby(columns.id, sort=False).size()
        length = self.context_length_
        if (sizes < length).any():
            sid = sizes.index[np.argmax(sizes.to_numpy() < length)]
            raise ValueError(
                f"Series {sid!r} of df has {sizes[sid]} observations; predict needs the "
                f"last context_length={length} of each series (the fitted context_length_)."
            )
        infer_freq(frame, columns, self.freq_, "df")
        ids = pd.Index(pd.unique(frame[columns.id]), name=columns.id)
        blocks = series_blocks(frame, columns)
        known = self.ids_.get_indexer(ids)
        own = Scaler.fit(blocks, enabled=self.scaler == "standard")
        mean = np.where(known[:, None] >= 0, self.scaler_.mean[known], own.mean)
        std = np.where(known[:, None] >= 0, self.scaler_.std[known], own.std)
        season = self.cycles_.season
        firsts = pd.DatetimeIndex(frame.groupby(columns.id, sort=False)[columns.time].first())
        phases = first_phases(firsts, self.freq_, season)
        scaler = Scaler(mean, std)
        # Cycles for series fit never saw; the known ones keep theirs.
        cycles = SeasonalCycles.fit_targets(blocks, scaler, len(columns.targets), phases, season)
        seen = known >= 0
        cycles.cycles[seen] = self.cycles_.cycles[known[seen]]
        return History(
            ids=ids,
            last_ds=frame.groupby(columns.id, sort=False)[columns.time].last().to_numpy(),
            context=np.stack([b[-length:] for b in blocks]),
            scaler=scaler,
            static=self._static_for(frame, ids, known, static_df),
            cycles=cycles,
            next_phase=np.mod(phases + sizes.to_numpy(), season),
        )

    def _static_for(self, frame, ids, known, static_df) -> np.ndarray:
        columns: Columns = self.columns_
        if not columns.static:
            return np.zeros((len(ids), 0))
        if static_df is None and (known >= 0).all() and not set(columns.static) & set(frame):
            return self.static_[known]
        table = static_table(frame, columns, static_df, "df")
        return self.static_scaler_.transform(table)

    def _future_block(self, futr_df, history: History, h: int) -> np.ndarray | None:
        columns: Columns = self.columns_
        if not columns.future:
            return None
        if futr_df is None:
            raise ValueError(
                f"This model uses future covariates {list(columns.future)}: pass futr_df "
                f"with {columns.id!r}, {columns.time!r} and those columns for the {h} "
                "timestamps after each series' end."
            )
        for column in (columns.id, columns.time, *columns.future):
            if column not in futr_df.columns:
                raise ValueError(
                    f"futr_df lacks the column {column!r}; it has {list(futr_df.columns)}."
                )
        grouped = {sid: g for sid, g in futr_df.groupby(columns.id, sort=False)}
        blocks = []
        for sid, last in zip(history.ids, history.last_ds, strict=True):
            expected = future_dates(pd.Timestamp(last), h, self.freq_)
            rows = grouped.get(sid)
            times = None if rows is None else pd.DatetimeIndex(pd.to_datetime(rows[columns.time]))
            if times is None or len(times) < h or not times[:h].equals(expected):
                got = 0 if times is None else len(times)
                raise ValueError(
                    f"futr_df must hold the {h} timestamps after the end of series {sid!r} "
                    f"({expected[0]} .. {expected[-1]}), in order; it has {got} rows for "
                    "it. Pass exactly those future dates (more rows after them are ignored)."
                )
            values = rows[list(columns.future)].to_numpy(dtype=np.float64)[:h]
            if not np.isfinite(values).all():
                raise ValueError(f"futr_df holds NaN/inf for series {sid!r}.")
            pad = np.repeat(values[-1:], self.horizon - h, axis=0)
            blocks.append(np.concatenate([values, pad]))
        return np.stack(blocks)  # (n, H, Cf)

    # ---------------------------------------------------------------- forward
    def _network_context(self, history: History) -> tuple[np.ndarray, np.ndarray]:
        """What the network reads: the scaled context, the targets' cycle removed.

        Returns the context (n, L, D) and the cycle of the horizon (n, H, C), both in
        standardised units.
        """
        n_y = len(self.columns_.targets)
        mean, std = history.scaler.mean[:, None, :], history.scaler.std[:, None, :]
        context = (history.context - mean) / std  # (n, L, D)
        length = context.shape[1]
        cycle = history.cycles.values(history.next_phase - length, length + self.horizon)
        context[:, :, :n_y] -= cycle[:, :length]  # (n, L, C): the network reads the residual
        return context, cycle[:, length:]

    def _forecast(self, history: History, future: np.ndarray | None) -> np.ndarray:
        columns: Columns = self.columns_
        n_y, n_past = len(columns.targets), len(columns.past)
        mean, std = history.scaler.mean[:, None, :], history.scaler.std[:, None, :]
        context, cycle = self._network_context(history)  # (n, L, D), (n, H, C)
        device = self._device()

        def tensor(values: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(values, dtype=torch.float32, device=device)

        outputs = []
        with torch.no_grad():
            for start in range(0, len(context), CHUNK):
                part = slice(start, start + CHUNK)
                past = fut = static = None
                if n_past:
                    past = tensor(context[part, :, n_y : n_y + n_past])
                if future is not None:
                    horizon = (future[part] - mean[part, :, n_y + n_past :]) / std[
                        part, :, n_y + n_past :
                    ]
                    fut = tensor(np.concatenate([context[part, :, n_y + n_past :], horizon], 1))
                if history.static.shape[1]:
                    static = tensor(history.static[part])
                out = self.network_(tensor(context[part, :, :n_y]), past, fut, static)
                outputs.append(out.float().cpu().numpy())
        forecast = np.concatenate(outputs).astype(np.float64)  # (n, H, C, Q)
        forecast = np.sort(forecast, axis=-1)  # quantiles never cross
        forecast += cycle[:, :, :, None]  # (n, H, C, 1): the cycle of the horizon
        return forecast * std[:, :, :n_y, None] + mean[:, :, :n_y, None]

    def _to_frame(self, history: History, forecast: np.ndarray, extra) -> pd.DataFrame:
        columns: Columns = self.columns_
        h = forecast.shape[1]
        dates = [future_dates(pd.Timestamp(last), h, self.freq_) for last in history.last_ds]
        frame = pd.DataFrame(
            {
                columns.id: np.repeat(history.ids.to_numpy(), h),
                columns.time: np.concatenate([d.to_numpy() for d in dates]),
            }
        )
        trained = list(self.quantiles_ or (0.5,))
        median = trained.index(0.5) if 0.5 in trained else 0
        for c, target in enumerate(columns.targets):
            name = self._column_name(target)
            frame[name] = forecast[:, :, c, median].reshape(-1)
            for suffix, q in extra:
                index = int(np.argmin([abs(q - t) for t in trained]))
                frame[name + suffix] = forecast[:, :, c, index].reshape(-1)
        return frame
