"""The data-adaptive settings: season, context candidates, patches, network size, budget."""

from __future__ import annotations

import pytest

from acmix_ts.estimator.auto import (
    MAX_CONTEXT,
    MIN_WINDOWS,
    STEPS_PER_EPOCH,
    context_candidates,
    infer_season_length,
    network_size,
    patch_for,
    training_budget,
)


@pytest.mark.parametrize(
    ("freq", "season"),
    [("MS", 12), ("ME", 12), ("QS-OCT", 4), ("W-SUN", 52), ("D", 7), ("B", 5), ("h", 24),
     ("30min", 48), ("5min", 288), ("YS", 1), ("2h", 12), ("7min", 1)],
)  # fmt: skip
def test_season_follows_the_frequency(freq: str, season: int) -> None:
    assert infer_season_length(freq) == season


def test_candidates_are_two_and_four_seasons_on_short_series() -> None:
    assert context_candidates(available=200, horizon=18, season=12) == [36, 72]
    assert context_candidates(available=2000, horizon=24, season=24) == [96]  # long: one
    assert context_candidates(available=50_000, horizon=48, season=288) == [MAX_CONTEXT]


def test_candidates_leave_training_windows() -> None:
    # 60 steps, h = 18: the longest context leaving MIN_WINDOWS windows is 60 - 18 - 15.
    room = 60 - 18 - MIN_WINDOWS + 1
    assert context_candidates(available=60, horizon=18, season=12) == [room]
    assert context_candidates(available=20, horizon=18, season=12) == [2]  # one window


def test_patches_keep_at_least_a_handful_of_tokens() -> None:
    assert patch_for(96) == (16, 8) and patch_for(512) == (16, 8)
    assert patch_for(36) == (6, 3) and patch_for(4) == (1, 1)


def test_budget_counts_steps_not_epochs() -> None:
    small = training_budget(n_windows=100, batch_size=64, max_steps=None)
    assert small.batch_size == 12 and small.max_steps == 300  # the floor: 300 steps
    assert small.samples_per_epoch == STEPS_PER_EPOCH * 12  # drawn with replacement
    big = training_budget(n_windows=1_000_000, batch_size=64, max_steps=None)
    assert big.batch_size == 64 and big.max_steps == 2_000  # the cap
    given = training_budget(n_windows=5_000, batch_size=64, max_steps=120)
    assert given.max_steps == 120 and given.max_epochs == 3


def test_small_data_gets_a_small_regularised_network() -> None:
    assert network_size(1_000) == {"d_model": 32, "dropout": 0.0, "weight_decay": 0.05}
    assert network_size(100_000)["d_model"] == 64
