"""Rolling-origin windows and metrics of the real-world suite (docs/benchmarks.md §4).

Windows: the last ``W`` windows of every series, ``h`` steps each, back to back (step
size ``h``), the last one ending with the series. ``W`` is the largest number up to
``max_windows`` that keeps at least 75 % of the shortest series before the first origin
(at least 1). The validation split first drops each series' ``W_test * h`` test tail and
applies the same rule to what remains, so its windows end where the test windows begin
and nothing a model sees on validation comes from the test windows.

Metrics per series and window, then averaged over windows and series:

- MASE: MAE of the forecast / the in-sample seasonal-naive MAE of the series before the
  origin (lag 1 when the history is shorter than two seasons or that scale is 0);
- scaled quantile loss: mean pinball loss over the quantiles 0.025, 0.1, 0.9, 0.975 (the
  80 % and 95 % interval bounds) and 0.5 (the point forecast), / the same scale;
- coverage of the 80 % and 95 % intervals.

Shape: forecasts are long, one row per (``unique_id``, ``cutoff``, ``step``) with
``y_hat`` and optionally ``lo-80``, ``hi-80``, ``lo-95``, ``hi-95``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

KEYS = ["unique_id", "cutoff", "step"]
KEPT_SHARE_DENOMINATOR = 4  # W * h <= shortest / 4: at least 75 % before the first origin
LEVELS = (80, 95)
QUANTILE_COLUMNS = {0.025: "lo-95", 0.1: "lo-80", 0.5: "y_hat", 0.9: "hi-80", 0.975: "hi-95"}
INTERVAL_COLUMNS = ("lo-80", "hi-80", "lo-95", "hi-95")


# ----------------------------------------------------------------------- windows
def count_windows(shortest: int, h: int, max_windows: int) -> int:
    """Windows that keep >= 75 % of the shortest series before the first origin.

    ``min(max_windows, shortest // (4 h))``, at least 1; raises when one window leaves
    fewer than two observations before it.
    """
    if max_windows < 1:
        raise ValueError(f"max_windows must be an int >= 1. Got {max_windows!r} instead.")
    n = max(1, min(max_windows, shortest // (KEPT_SHARE_DENOMINATOR * h)))
    if shortest - n * h < 2:
        raise ValueError(
            f"The shortest series has {shortest} observations: too short for one window "
            f"of h={h} with history before it. Drop it or use a shorter horizon."
        )
    return n


@dataclass(frozen=True)
class Windows:
    """The windows of one dataset and split.

    ``frame`` is all a model may read (the test split: the whole data; validation: the
    data before the test windows). ``cutoffs`` has one row per (series, window):
    ``unique_id``, ``window`` (0 = first), ``origin`` (observations before the first
    forecast step) and ``cutoff`` (timestamp of the last observation before it).
    """

    frame: pd.DataFrame
    h: int
    n_windows: int
    test_windows: int
    split: str
    cutoffs: pd.DataFrame

    def history(self, window: int) -> pd.DataFrame:
        """Every series up to (excluding) the origin of ``window``."""
        origin = self.cutoffs.loc[self.cutoffs["window"] == window].set_index("unique_id")
        position = self.frame.groupby("unique_id", sort=False).cumcount()
        limit = self.frame["unique_id"].map(origin["origin"])
        return self.frame.loc[position < limit].reset_index(drop=True)

    def train(self) -> pd.DataFrame:
        """Every series up to the first origin: what fit-once models train on."""
        return self.history(0)


def _series_lengths(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("unique_id", sort=False).size()


def _cutoff_table(frame: pd.DataFrame, h: int, n_windows: int) -> pd.DataFrame:
    lengths = _series_lengths(frame)
    starts = np.concatenate([[0], np.cumsum(lengths.to_numpy())[:-1]])
    window = np.tile(np.arange(n_windows), len(lengths))
    length = np.repeat(lengths.to_numpy(), n_windows)
    origin = length - (n_windows - window) * h
    ds = frame["ds"].to_numpy()[np.repeat(starts, n_windows) + origin - 1]
    return pd.DataFrame({"unique_id": np.repeat(lengths.index.to_numpy(), n_windows),
                         "window": window, "origin": origin, "cutoff": ds})  # fmt: skip


def make_windows(frame: pd.DataFrame, h: int, split: str, max_windows: int) -> Windows:
    """The windows of ``frame`` (long, sorted by ``unique_id`` then ``ds``) for a split."""
    if split not in ("test", "val"):
        raise ValueError(f"split must be 'test' or 'val'. Got {split!r} instead.")
    frame = frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    test_windows = count_windows(int(_series_lengths(frame).min()), h, max_windows)
    n_windows = test_windows
    if split == "val":
        position = frame.groupby("unique_id", sort=False).cumcount()
        length = frame.groupby("unique_id", sort=False)["y"].transform("size")
        frame = frame.loc[position < length - test_windows * h].reset_index(drop=True)
        n_windows = count_windows(int(_series_lengths(frame).min()), h, max_windows)
    cutoffs = _cutoff_table(frame, h, n_windows)
    return Windows(frame, h, n_windows, test_windows, split, cutoffs)


def actuals(windows: Windows) -> pd.DataFrame:
    """The observed values of every window: ``unique_id``, ``cutoff``, ``step``, ``y``."""
    h, cut = windows.h, windows.cutoffs
    lengths = _series_lengths(windows.frame)
    starts = pd.Series(np.concatenate([[0], np.cumsum(lengths.to_numpy())[:-1]]),
                       index=lengths.index)  # fmt: skip
    rows = np.repeat(starts.loc[cut["unique_id"]].to_numpy() + cut["origin"].to_numpy(), h)
    rows = rows + np.tile(np.arange(h), len(cut))
    return pd.DataFrame({
        "unique_id": np.repeat(cut["unique_id"].to_numpy(), h),
        "cutoff": np.repeat(cut["cutoff"].to_numpy(), h),
        "step": np.tile(np.arange(1, h + 1), len(cut)),
        "y": windows.frame["y"].to_numpy()[rows],
    })  # fmt: skip


# ----------------------------------------------------------------------- metrics
def seasonal_scale(history: np.ndarray, season_length: int) -> tuple[float, int]:
    """In-sample MAE of the seasonal-naive forecast, and the lag it used.

    Lag ``season_length``; lag 1 when the history is shorter than two seasons or that
    MAE is 0. NaN when even lag 1 gives 0 (a constant history).
    """
    history = np.asarray(history, dtype=float)
    if season_length > 1 and len(history) >= 2 * season_length:
        scale = float(np.mean(np.abs(history[season_length:] - history[:-season_length])))
        if scale > 0:
            return scale, season_length
    if len(history) < 2:
        return float("nan"), 1
    scale = float(np.mean(np.abs(np.diff(history))))
    return (scale if scale > 0 else float("nan")), 1


def mase(y: np.ndarray, y_hat: np.ndarray, history: np.ndarray, season_length: int) -> float:
    """MASE of one window: MAE / :func:`seasonal_scale` of the history before it."""
    scale, _ = seasonal_scale(history, season_length)
    return float(np.mean(np.abs(np.asarray(y) - np.asarray(y_hat)))) / scale


def pinball(y: np.ndarray, prediction: np.ndarray, quantile: float) -> np.ndarray:
    """Pinball (quantile) loss of each point."""
    error = np.asarray(y, dtype=float) - np.asarray(prediction, dtype=float)
    return np.maximum(quantile * error, (quantile - 1) * error)


def scaled_quantile_loss(y: np.ndarray, predictions: dict[float, np.ndarray], scale) -> float:
    """Mean pinball loss over the quantiles and points, divided by ``scale``."""
    losses = [pinball(y, p, q).mean(axis=-1) for q, p in predictions.items()]
    return float(np.mean(np.mean(losses, axis=0) / np.asarray(scale)))


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of the points inside ``[lo, hi]``."""
    y = np.asarray(y)
    return float(np.mean((np.asarray(lo) <= y) & (y <= np.asarray(hi))))


def window_scales(windows: Windows, season_length: int) -> tuple[np.ndarray, int]:
    """:func:`seasonal_scale` of every (series, window) in ``cutoffs`` order; lag-1 count."""
    values = {sid: g["y"].to_numpy() for sid, g in windows.frame.groupby("unique_id")}
    scales, fallbacks = [], 0
    for sid, origin in zip(windows.cutoffs["unique_id"], windows.cutoffs["origin"], strict=True):
        scale, lag = seasonal_scale(values[sid][:origin], season_length)
        scales.append(scale)
        fallbacks += lag != season_length
    return np.array(scales), fallbacks


def score(forecast: pd.DataFrame, windows: Windows, season_length: int) -> dict:
    """Dataset metrics of one model's forecasts (every window must be forecast).

    Returns
    -------
    dict
        ``mase``, ``sql``, ``coverage_80``, ``coverage_95`` (None without intervals),
        ``pairs`` (series x windows scored), ``scale_lag1`` (pairs scaled with lag 1) and
        ``scale_nan`` (pairs left out: constant history).
    """
    truth = actuals(windows)
    merged = truth.merge(forecast, on=KEYS, how="left", validate="one_to_one")
    if len(forecast) != len(truth) or merged["y_hat"].isna().any():
        missing = int(merged["y_hat"].isna().sum())
        raise ValueError(f"forecasts: {len(forecast)} rows for {len(truth)} points, "
                         f"{missing} points without a finite forecast.")  # fmt: skip
    h = windows.h
    y = merged["y"].to_numpy().reshape(-1, h)  # (pairs, h) in cutoffs order
    scales, fallbacks = window_scales(windows, season_length)
    ok = np.isfinite(scales)
    mae = np.abs(y - merged["y_hat"].to_numpy().reshape(-1, h)).mean(axis=1)
    out = {"mase": float(np.mean(mae[ok] / scales[ok])), "sql": None, "coverage_80": None,
           "coverage_95": None, "pairs": int(ok.sum()), "scale_lag1": int(fallbacks),
           "scale_nan": int((~ok).sum())}  # fmt: skip
    if all(c in merged and merged[c].notna().all() for c in INTERVAL_COLUMNS):
        bounds = {q: merged[c].to_numpy().reshape(-1, h) for q, c in QUANTILE_COLUMNS.items()}
        out["sql"] = scaled_quantile_loss(y[ok], {q: b[ok] for q, b in bounds.items()},
                                          scales[ok])  # fmt: skip
    for level in LEVELS:  # each level on its own: a model may calibrate 80 % but not 95 %
        names = (f"lo-{level}", f"hi-{level}")
        if all(c in merged and merged[c].notna().all() for c in names):
            lo, hi = (merged[c].to_numpy().reshape(-1, h) for c in names)
            out[f"coverage_{level}"] = coverage(y[ok], lo[ok], hi[ok])
    return out
