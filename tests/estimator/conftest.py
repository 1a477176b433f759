"""Small synthetic panels and a tiny, fast estimator configuration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster

TINY = dict(
    horizon=6,
    context_length=24,
    patch_len=8,
    d_model=16,
    n_heads=2,
    n_blocks=1,
    window_size=2,
    seasonal=True,  # one fit per fit() ("auto" would score with and without the cycle)
    n_models=1,
    trend=True,  # likewise: "auto" would also fit without the trend path
    max_epochs=2,
    batch_size=32,
    random_state=0,
)


def make_panel(n_series: int = 3, n_steps: int = 160, seed: int = 0) -> pd.DataFrame:
    """Long frame of noisy daily-cycle sinusoids, hourly, ids 's0', 's1', ..."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        t = np.arange(n_steps)
        y = 10 + i + 3 * np.sin(2 * np.pi * t / 24 + i) + rng.normal(0, 0.2, n_steps)
        ds = pd.date_range("2024-01-01", periods=n_steps, freq="h")
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def panel() -> pd.DataFrame:
    return make_panel()


@pytest.fixture
def tiny() -> dict:
    return dict(TINY)


@pytest.fixture(scope="module")
def fitted() -> ACMixForecaster:
    """One fitted tiny model shared by the read-only tests of a module."""
    return ACMixForecaster(**TINY).fit(make_panel())
