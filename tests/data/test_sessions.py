"""Session calendars: intraday series with night and weekend gaps, forecast step by step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster
from acmix_ts.data.sessions import Sessions, session_calendar

TINY = dict(horizon=6, context_length=24, patch_len=8, d_model=16, n_heads=2, n_blocks=1,
            n_models=1, seasonal=True, trend=True, max_steps=20, random_state=0)  # fmt: skip


def exchange_hours(days: int = 40) -> pd.DatetimeIndex:
    """30-minute bars from 09:30 to 16:00 on business days (13 a day)."""
    opens = pd.bdate_range("2024-01-01", periods=days) + pd.Timedelta("9h30min")
    return pd.DatetimeIndex([d + k * pd.Timedelta("30min") for d in opens for k in range(13)])


def fx_hours(weeks: int = 6) -> pd.DatetimeIndex:
    """Hourly FX: Sunday 22:00 to Friday 21:00 UTC each week, weekends closed."""
    hours = pd.date_range("2024-01-07 22:00", periods=weeks * 168, freq="h", tz="UTC")
    week_hour = (hours.day_of_week * 24 + hours.hour + 2) % 168  # 0 at Sunday 22:00
    return hours[week_hour < 120]


def frame(times: pd.DatetimeIndex, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = 100 + np.cumsum(rng.normal(0, 0.2, len(times))) + np.sin(np.arange(len(times)) / 2)
    return pd.DataFrame({"unique_id": "X", "ds": times, "y": y})


def test_the_calendar_round_trips_through_its_name() -> None:
    calendar = Sessions.observe([exchange_hours(5)], "df")
    assert calendar.name == session_calendar("30min", "09:30", "16:00")
    again = Sessions.parse(calendar.name)
    assert again.step == calendar.step and np.array_equal(again.slots, calendar.slots)
    assert calendar.season() == 13  # every session day has 13 bars


def test_forecast_dates_continue_on_the_next_sessions() -> None:
    calendar = Sessions.parse(session_calendar("30min", "09:30", "16:00"))
    friday_close = pd.Timestamp("2024-01-05 15:30")
    dates = calendar.after(friday_close, 14)
    assert dates[0] == pd.Timestamp("2024-01-08 09:30")  # Monday's open
    assert dates[12] == pd.Timestamp("2024-01-08 15:30")
    assert dates[13] == pd.Timestamp("2024-01-09 09:30")
    ordinals = calendar.ordinals(pd.DatetimeIndex([friday_close]).append(dates))
    assert (np.diff(ordinals) == 1).all()  # consecutive observations, consecutive steps


def test_gapped_intraday_data_is_refused_with_the_way_out() -> None:
    with pytest.raises(ValueError, match='freq="sessions"'):
        ACMixForecaster(**TINY).fit(frame(exchange_hours()))


def test_exchange_hours_forecast_the_next_bars() -> None:
    df = frame(exchange_hours())
    model = ACMixForecaster(**TINY, freq="sessions").fit(df)
    assert model.freq_ == session_calendar("30min", "09:30", "16:00")
    forecast = model.predict()
    last = df["ds"].iloc[-1]  # a Friday 15:30
    assert forecast["ds"].iloc[0] == last + pd.Timedelta(days=3, hours=-6)  # Monday 09:30
    assert np.isfinite(forecast["ACMix"]).all()
    future = model.make_future_dataframe()
    assert future["ds"].tolist() == forecast["ds"].tolist()


def test_fx_weekends_are_skipped_and_the_time_zone_kept(tmp_path) -> None:
    df = frame(fx_hours())
    model = ACMixForecaster(**TINY, freq="sessions").fit(df)
    forecast = model.predict(h=6)
    last = df["ds"].iloc[-1]  # Friday 21:00 UTC
    assert str(forecast["ds"].dt.tz) == "UTC"
    assert forecast["ds"].iloc[0] == last + pd.Timedelta(hours=49)  # Sunday 22:00
    model.save(tmp_path / "fx")
    loaded = ACMixForecaster.load(tmp_path / "fx")
    pd.testing.assert_frame_equal(loaded.predict(h=6), forecast)


def test_a_given_calendar_refuses_bars_outside_it() -> None:
    calendar = session_calendar("30min", "10:00", "16:00")
    with pytest.raises(ValueError, match="outside the sessions"):
        ACMixForecaster(**TINY, freq=calendar).fit(frame(exchange_hours()))
    with pytest.raises(ValueError, match="divides a week"):
        session_calendar("7min", "09:30", "16:00")


def test_cross_validation_by_sessions() -> None:
    df = frame(exchange_hours())
    model = ACMixForecaster(**TINY, freq="sessions")
    cv = model.cross_validation(df, n_windows=4, step_size=6)
    assert len(cv) == 4 * 6
    assert set(cv["ds"]) <= set(df["ds"])  # dated on real bars
    assert (cv["ds"] > cv["cutoff"]).all()
