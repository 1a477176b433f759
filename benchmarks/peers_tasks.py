"""Data, windows, clocks and budgets of the peers benchmark (docs/benchmarks.md §5).

No neuralforecast or statsforecast here: everything in this file runs in the dev
environment and is unit-tested there.

- The quickstart task: ETTh1's first 14,400 rows as 7 long series (``unique_id``, ``ds``,
  ``y``), ``n_windows`` forecasts of ``horizon`` steps, ``step_size`` apart, the last one
  ending with the data, exactly as ``examples/quickstart.py`` backtests.
- The long-horizon task: ETTh1 scaled with training statistics (docs/benchmarks.md §1), as
  a long frame that peers' ``cross_validation`` can read.
- :class:`Clock`: wall and CPU seconds (this process and its waited-for children).
- :func:`matched_budget`: optimiser steps that show a peer as many training windows as
  ACMix sees in its epochs.
"""

from __future__ import annotations

import math
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from acmix_ts.data import load_ltsf, ltsf_split
from acmix_ts.metrics import mae, mse


@dataclass(frozen=True)
class Windows:
    """Backtest windows: ``n_windows`` cutoffs ``step_size`` apart, ``horizon`` steps each.

    The last window ends with the last of ``rows`` leading rows of the dataset.
    """

    rows: int
    horizon: int
    n_windows: int
    step_size: int

    @property
    def first_cut(self) -> int:
        """Rows of every series before the first cutoff (the data models are fitted on)."""
        return self.rows - self.horizon - (self.n_windows - 1) * self.step_size


QUICKSTART = Windows(rows=14400, horizon=24, n_windows=20, step_size=120)
SMOKE = Windows(rows=2000, horizon=24, n_windows=2, step_size=120)
# The quickstart's validation analog: the same 20 windows moved back to end where the
# quickstart's fitting rows end, so that settings are compared without its test windows.
QUICKSTART_VAL = replace(QUICKSTART, rows=QUICKSTART.first_cut)


# --------------------------------------------------------------------------- data
def quickstart_frame(rows: int = QUICKSTART.rows) -> pd.DataFrame:
    """ETTh1's first ``rows`` rows as a long frame of 7 series, as the quickstart builds it."""
    wide = load_ltsf("ETTh1").iloc[:rows]
    df = wide.melt(id_vars="date", var_name="unique_id", value_name="y")
    return df.rename(columns={"date": "ds"})


def history(df: pd.DataFrame, windows: Windows) -> pd.DataFrame:
    """The rows of every series before the first cutoff."""
    position = df.groupby("unique_id", sort=False).cumcount().to_numpy()
    return df.loc[position < windows.first_cut]


def default_val_size(n_rows: int, horizon: int) -> int:
    """The validation tail ACMix's ``fit`` takes by default: a tenth, at least a horizon.

    Written out here (not read from the estimator) so that the peers' validation rows
    stay fixed while the estimator changes; 1,209 rows on the quickstart task.
    """
    return max(horizon, n_rows // 10)


def naive_backtest(df: pd.DataFrame, windows: Windows) -> pd.DataFrame:
    """Every window's target rows with the last value at its cutoff as forecast (``Naive``).

    Returns ``unique_id``, ``ds``, ``cutoff``, ``y`` and ``Naive``, the layout of the
    peers' ``cross_validation`` frames (the quickstart's merge, without a model).
    """
    position = df.groupby("unique_id", sort=False).cumcount().to_numpy()
    parts = []
    for i in range(windows.n_windows):
        cut = windows.first_cut + i * windows.step_size
        last = df.loc[position == cut - 1, ["unique_id", "ds", "y"]]
        last = last.rename(columns={"ds": "cutoff", "y": "Naive"})
        target = df.loc[(position >= cut) & (position < cut + windows.horizon)]
        parts.append(target.merge(last, on="unique_id"))
    frame = pd.concat(parts, ignore_index=True)
    return frame.loc[:, ["unique_id", "ds", "cutoff", "y", "Naive"]]


def ltsf_frame(dataset: str = "ETTh1", context_length: int = 96) -> tuple[pd.DataFrame, dict]:
    """The rows up to the end of the test split, scaled with training statistics, long.

    Scaled as ``ltsf_protocol.load_splits`` scales them (StandardScaler on the training
    rows, float32). Returns the frame and the split's row borders, the validation and
    test lengths (targets only) and the first and last test target dates.
    """
    frame = load_ltsf(dataset)
    values = frame.drop(columns="date").to_numpy(dtype=np.float64)
    split = ltsf_split(dataset, context_length, n_rows=len(values))
    scaler = StandardScaler().fit(values[slice(*split.train)])
    scaled = scaler.transform(values).astype(np.float32)[: split.test[1]]
    wide = pd.DataFrame(scaled, columns=frame.columns.drop("date"))
    wide.insert(0, "date", frame["date"].iloc[: split.test[1]].to_numpy())
    long = wide.melt(id_vars="date", var_name="unique_id", value_name="y")
    long = long.rename(columns={"date": "ds"})
    info = {
        "split": split._asdict(),
        "val_size": split.val[1] - split.val[0] - context_length,
        "test_size": split.test[1] - split.test[0] - context_length,
        "first_target": str(frame["date"].iloc[split.test[0] + context_length]),
        "last_target": str(frame["date"].iloc[split.test[1] - 1]),
    }
    return long, info


def check_ltsf_windows(cv: pd.DataFrame, info: dict, horizon: int) -> dict:
    """Raise unless ``cv`` holds every stride-1 test window of the protocol; return its extent.

    The protocol's count is ``test_size - horizon + 1`` windows (2,785 for ETTh1 at
    L=96, H=96), each of every series, from the first test target to the last.
    """
    expected = info["test_size"] - horizon + 1
    n_series = cv["unique_id"].nunique()
    cutoffs = cv["cutoff"].nunique()
    first, last = str(pd.to_datetime(cv["ds"]).min()), str(pd.to_datetime(cv["ds"]).max())
    found = (cutoffs, len(cv), first, last)
    wanted = (expected, expected * horizon * n_series, info["first_target"], info["last_target"])
    if found != wanted:
        raise AssertionError(f"ltsf windows (count, rows, first, last): {found} != {wanted}")
    return {"protocol_windows": expected, "first_target": first}


# ------------------------------------------------------------------------ scoring
def score(cv: pd.DataFrame, column: str) -> dict:
    """MAE and MSE of ``column`` over every row of ``cv``, with the windows' extent."""
    cutoffs = pd.to_datetime(cv["cutoff"])
    return {
        "mae": mae(cv["y"], cv[column]),
        "mse": mse(cv["y"], cv[column]),
        "rows": len(cv),
        "windows": int(cutoffs.nunique()),
        "series": int(cv["unique_id"].nunique()),
        "first_cutoff": str(cutoffs.min()),
        "last_target": str(pd.to_datetime(cv["ds"]).max()),
    }


def check_same_windows(cv: pd.DataFrame, reference: pd.DataFrame) -> None:
    """Raise unless ``cv`` forecasts exactly the (series, time, cutoff) rows of ``reference``."""
    keys = ["unique_id", "ds", "cutoff"]

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.loc[:, keys].astype({"unique_id": str})
        out["ds"] = pd.to_datetime(out["ds"])
        out["cutoff"] = pd.to_datetime(out["cutoff"])
        return out.sort_values(keys, ignore_index=True)

    got, expected = rows(cv), rows(reference)
    if len(got) != len(expected) or not got.equals(expected):
        raise AssertionError(
            f"backtest rows differ from the reference windows: {len(got)} rows vs "
            f"{len(expected)}; cutoffs {got['cutoff'].nunique()} vs {expected['cutoff'].nunique()}"
        )


# ------------------------------------------------------------------------- clocks
def cpu_seconds() -> float:
    """CPU seconds of this process plus those of its terminated, waited-for children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@dataclass
class Clock:
    """Wall and CPU seconds of a ``with`` block (:func:`cpu_seconds` for CPU)."""

    wall: float = 0.0
    cpu: float = 0.0
    _start: tuple[float, float] = field(default=(0.0, 0.0), repr=False)

    def __enter__(self) -> Clock:
        self._start = (time.perf_counter(), cpu_seconds())
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._start[0]
        self.cpu = cpu_seconds() - self._start[1]


def median_latency(
    call: Callable[[], object], repeats: int = 5, budget_s: float = 30.0
) -> tuple[float, int]:
    """Median wall seconds of ``call`` over up to ``repeats`` calls; returns it and the count.

    Calls stop early once ``budget_s`` seconds are spent (a slow model gets fewer
    calls, at least one).
    """
    times: list[float] = []
    while len(times) < repeats and (not times or sum(times) < budget_s):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(times)


# ------------------------------------------------------------------------ budgets
def matched_budget(
    train_windows: int, batch_size: int, max_epochs: int, patience: int, channels: int = 1
) -> dict:
    """A step budget that shows a peer the training windows ACMix sees.

    ACMix draws ``batch_size`` windows of ``channels`` variables per step and runs
    ``ceil(train_windows / batch_size)`` steps per epoch; a univariate peer then draws
    ``batch_size * channels`` one-variable windows per step (``windows_batch_size``),
    validates once per ACMix epoch (``val_check_steps``), stops after ``patience`` checks
    without improvement and runs at most ``max_epochs`` epochs' steps (``max_steps``).

    Examples
    --------
    >>> matched_budget(75376, 256, 4, 3)["max_steps"]
    1180
    """
    steps_per_epoch = math.ceil(train_windows / batch_size)
    return {
        "max_steps": max_epochs * steps_per_epoch,
        "val_check_steps": steps_per_epoch,
        "windows_batch_size": batch_size * channels,
        "early_stop_patience_steps": patience,
    }
