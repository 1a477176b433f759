"""Seasonal cycles: global phases, closed-form estimates, and the cycle in the forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster
from acmix_ts.estimator.predicting import History, network_context
from acmix_ts.estimator.seasonal import (
    RECENT_SEASONS,
    SeasonalCycles,
    estimate_cycle,
    first_phases,
    step_ordinals,
)


@pytest.mark.parametrize(
    ("freq", "start", "later", "steps"),
    [
        ("MS", "2020-01-01", "2021-03-01", 14),
        ("QS", "2020-01-01", "2021-01-01", 4),
        ("h", "2024-03-01 00:00", "2024-03-02 05:00", 29),
        ("30min", "2024-03-01 00:00", "2024-03-01 03:00", 6),
        ("D", "2024-02-27", "2024-03-02", 4),
        ("W-SUN", "2024-01-07", "2024-02-04", 4),
        ("B", "2024-03-01", "2024-03-05", 2),  # Friday -> Tuesday: two business days
    ],
)
def test_step_ordinals_count_steps_of_the_calendar(freq, start, later, steps) -> None:
    ordinals = step_ordinals(pd.DatetimeIndex([start, later]), freq)
    assert ordinals[1] - ordinals[0] == steps


def test_phases_are_global_so_any_history_lines_up() -> None:
    # Monthly, season 12: the phase is the month of the year, wherever a series starts.
    firsts = pd.DatetimeIndex(["2020-01-01", "2020-07-01", "1999-07-01"])
    np.testing.assert_array_equal(first_phases(firsts, "MS", 12) % 12, [0, 6, 6])
    assert first_phases(firsts, "MS", 12)[0] == (2020 * 12) % 12


def test_estimate_cycle_recovers_a_cycle_under_a_trend() -> None:
    season = 12
    truth = np.sin(2 * np.pi * np.arange(season) / season)
    t = np.arange(10 * season)
    block = (0.05 * t + truth[(t + 3) % season])[:, None]  # first step has phase 3
    cycle = estimate_cycle(block, phase0=3, season=season)
    np.testing.assert_allclose(cycle[:, 0], truth - truth.mean(), atol=0.02)
    assert abs(cycle.mean()) < 1e-12


def test_estimate_cycle_reads_only_the_recent_seasons() -> None:
    season = 4
    t = np.arange(20 * season)
    amplitude = np.where(t < len(t) - RECENT_SEASONS * season, 10.0, 1.0)  # old seasons big
    block = (amplitude * np.array([1.0, -1.0, 1.0, -1.0])[t % season])[:, None]
    cycle = estimate_cycle(block, phase0=0, season=season)
    np.testing.assert_allclose(cycle[:, 0], [1.0, -1.0, 1.0, -1.0], atol=0.3)


def test_too_short_or_no_season_gives_no_cycle() -> None:
    assert not estimate_cycle(np.ones((20, 1)), 0, season=12).any()  # < 3 seasons
    cycles = SeasonalCycles.fit([np.ones((50, 2))], np.zeros(1, int), season=1)
    assert cycles.season == 1 and not cycles.values(np.array([5]), 7).any()


def test_values_follow_the_phase() -> None:
    cycles = SeasonalCycles(4, np.arange(8.0).reshape(2, 4, 1))  # two series
    out = cycles.values(np.array([1, 3]), 6)[:, :, 0]
    np.testing.assert_array_equal(out, [[1, 2, 3, 0, 1, 2], [7, 4, 5, 6, 7, 4]])


def _seasonal_trend(n_steps: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    pattern = np.array([0, 2, 5, 3, 1, -1, -4, -6, -3, -1, 1, 3], dtype=float)
    y = 50 + 0.3 * t + 2 * pattern[t % 12] + rng.normal(0, 0.3, n_steps)
    ds = pd.date_range("2000-01-01", periods=n_steps, freq="MS")
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": y})


def test_short_monthly_series_gets_its_season_and_beats_seasonal_naive() -> None:
    df = _seasonal_trend(144 + 12)
    train, test = df.iloc[:144], df.iloc[144:]
    model = ACMixForecaster(horizon=12, random_state=0).fit(train)
    assert model.season_length_ == 12
    assert model.context_length_ in {24, 48}  # two or four seasons
    forecast = model.predict()["ACMix"].to_numpy()
    seasonal_naive = train["y"].to_numpy()[-12:]  # misses a year of trend (3.6)
    error = np.abs(forecast - test["y"].to_numpy()).mean()
    assert error < 0.5 * np.abs(seasonal_naive - test["y"].to_numpy()).mean(), error
    assert {c[:2] for c in model.candidate_scores_} == {
        (length, seasonal) for length in (24, 48) for seasonal in (True, False)
    }


def test_cycle_is_added_back_in_the_forecast(tiny) -> None:
    df = _seasonal_trend(200)
    with_cycle = ACMixForecaster(**{**tiny, "horizon": 12}).fit(df)
    assert with_cycle.seasonal_ and with_cycle.cycles_.cycles.std() > 0.1
    history = History.of(with_cycle.state_)
    _, cycle = network_context(with_cycle.state_, history, 12)
    phases = (history.next_phase + np.arange(12)) % 12
    np.testing.assert_allclose(cycle[0, :, 0], with_cycle.cycles_.cycles[0, phases, 0])
