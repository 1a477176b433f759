"""Daily prices on trading days: business days with exchange holidays missing ("B")."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster
from acmix_ts.data.calendar import TRADING_DAY_MAX_RUN
from acmix_ts.data.prices import read_price_csv

# NYSE full-day closures of 2023 (the exchange's published holiday list).
NYSE_2023 = pd.DatetimeIndex(
    [
        "2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19",
        "2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25",
    ]
)  # fmt: skip


def trading_days(start: str = "2023-01-02", end: str = "2023-12-29") -> pd.DatetimeIndex:
    return pd.bdate_range(start, end).difference(NYSE_2023)


def price_frame(dates: pd.DatetimeIndex, ids: tuple[str, ...] = ("A", "B")) -> pd.DataFrame:
    """Geometric random walks on the given dates, one per id."""
    rng = np.random.default_rng(0)
    parts = []
    for sid in ids:
        y = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(dates))))
        parts.append(pd.DataFrame({"unique_id": sid, "ds": dates, "y": y}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def aapl() -> pd.DataFrame:
    """The last 300 real trading days of AAPL (2019-2025 file), holidays missing."""
    root = Path(os.environ.get("ACMIX_TS_DATA", "../shared/datasets"))
    path = root / "stocks" / "yf_adjusted_2019_2025" / "AAPL.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found; set ACMIX_TS_DATA")
    return read_price_csv(path).tail(300).reset_index(drop=True)


def check_next_business_days(forecast: pd.DataFrame, last: dict, h: int) -> None:
    for sid, rows in forecast.groupby("unique_id"):
        expected = pd.bdate_range(last[sid] + pd.offsets.BDay(1), periods=h)
        assert pd.DatetimeIndex(rows["ds"]).equals(expected)


def test_fit_on_real_trading_days(aapl, tiny) -> None:
    dates = pd.DatetimeIndex(aapl["ds"])
    assert len(pd.bdate_range(dates[0], dates[-1]).difference(dates)) > 5  # holidays missing
    model = ACMixForecaster(**tiny).fit(aapl)
    assert model.freq_ == "B"
    forecast = model.predict()
    assert len(forecast) == tiny["horizon"] and np.isfinite(forecast["ACMix"]).all()
    check_next_business_days(forecast, {"AAPL": dates[-1]}, tiny["horizon"])


def test_forecast_dates_skip_weekends_not_holidays(tiny) -> None:
    # Documented approximation: next business days, no exchange calendar.
    df = price_frame(trading_days(end="2023-12-22"))
    forecast = ACMixForecaster(**tiny).fit(df).predict()
    last = pd.Timestamp("2023-12-22")  # a Friday; 2023-12-25 is a NYSE holiday
    check_next_business_days(forecast, {"A": last, "B": last}, tiny["horizon"])
    assert pd.Timestamp("2023-12-25") in set(forecast["ds"])
    assert (pd.DatetimeIndex(forecast["ds"]).day_of_week < 5).all()


@pytest.mark.parametrize("freq", [None, "B"])
def test_a_missing_month_is_rejected(tiny, freq) -> None:
    dates = trading_days()
    gap = dates[(dates >= "2023-03-01") & (dates < "2023-04-01")]
    df = price_frame(dates.difference(gap))
    with pytest.raises(ValueError, match=r"weekdays in a row are missing between 2023-02-28"):
        ACMixForecaster(**tiny, freq=freq).fit(df)


def test_longest_exchange_closure_is_accepted(tiny) -> None:
    # NYSE was closed 11-14 September 2001 (4 weekdays); one week more is a data gap.
    dates = pd.bdate_range("2001-01-02", "2001-12-31")
    closed = pd.bdate_range("2001-09-11", "2001-09-14")
    assert ACMixForecaster(**tiny).fit(price_frame(dates.difference(closed))).freq_ == "B"
    too_long = pd.bdate_range("2001-09-11", periods=TRADING_DAY_MAX_RUN + 1)
    with pytest.raises(ValueError, match=rf"but {TRADING_DAY_MAX_RUN + 1} weekdays in a row"):
        ACMixForecaster(**tiny).fit(price_frame(dates.difference(too_long)))


def test_cross_validation_on_trading_days(tiny) -> None:
    df = price_frame(trading_days())
    h, n_windows = tiny["horizon"], 4
    cv = ACMixForecaster(**tiny).cross_validation(df, n_windows=n_windows, step_size=5, refit=2)
    assert len(cv) == 2 * n_windows * h and np.isfinite(cv["ACMix"]).all()
    real = set(trading_days())
    assert set(cv["cutoff"]) <= real  # cutoffs are real trading days
    # Step k of a window is scored against the k-th next OBSERVED row (the next trading
    # day), never against a holiday that has no price: every y is known.
    trading = pd.DatetimeIndex(sorted(real))
    for (_, cutoff), rows in cv.groupby(["unique_id", "cutoff"]):
        start = trading.get_loc(cutoff) + 1
        assert pd.DatetimeIndex(rows["ds"]).equals(trading[start : start + h].rename("ds"))
    assert cv["y"].notna().all()


def test_future_covariates_on_trading_days(tiny) -> None:
    df = price_frame(trading_days())
    df["weekday"] = df["ds"].dt.day_of_week.astype(float)
    model = ACMixForecaster(**tiny, future_covariates=("weekday",))
    cv = model.cross_validation(df, n_windows=3, step_size=7)
    assert len(cv) == 2 * 3 * tiny["horizon"] and np.isfinite(cv["ACMix"]).all()


def test_mixed_eras_in_one_panel(tiny) -> None:
    old = price_frame(pd.bdate_range("2001-01-02", "2001-12-31"), ids=("old",))
    new = price_frame(trading_days(), ids=("new",))
    model = ACMixForecaster(**tiny).fit(pd.concat([old, new], ignore_index=True))
    last = {"old": pd.Timestamp("2001-12-31"), "new": pd.Timestamp("2023-12-29")}
    check_next_business_days(model.predict(), last, tiny["horizon"])
