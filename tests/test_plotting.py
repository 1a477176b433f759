"""Plots: each function returns a Figure that saves to a real PNG (Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from acmix_ts import ACMixForecaster  # noqa: E402
from acmix_ts.nn import ACMixConfig, ACMixNetwork  # noqa: E402
from acmix_ts.plotting import (  # noqa: E402
    fusion_weights_of,
    plot_backtest,
    plot_forecast,
    plot_fusion_weights,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY = dict(
    horizon=6, context_length=24, patch_len=8, d_model=16, n_heads=2, n_blocks=2,
    window_size=2, max_epochs=1, batch_size=64, random_state=0,
)  # fmt: skip


def make_panel(n_series: int = 2, n_steps: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ds = pd.date_range("2024-01-01", periods=n_steps, freq="h")
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": f"s{i}",
                    "ds": ds,
                    "y": i + np.sin(np.arange(n_steps) / 4) + rng.normal(0, 0.1, n_steps),
                }
            )
            for i in range(n_series)
        ],
        ignore_index=True,
    )


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted() -> ACMixForecaster:
    """Quantile loss (for bands) and token_gate fusion (for the heat map)."""
    model = ACMixForecaster(**TINY, fusion="token_gate", loss="quantile", quantiles=(0.1, 0.9))
    return model.fit(make_panel())


def assert_png(fig: Figure, path: Path) -> None:
    assert isinstance(fig, Figure)
    fig.savefig(path)
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 1024


def test_plot_forecast_with_bands(fitted, tmp_path) -> None:
    forecast = fitted.predict(level=[80])
    fig = plot_forecast(make_panel(), forecast, level=[80])
    assert len(fig.axes) == 2  # one panel per series
    assert len(fig.axes[0].collections) == 1  # the 80% band
    assert_png(fig, tmp_path / "forecast.png")


def test_plot_forecast_on_given_axes_and_ids(fitted, tmp_path) -> None:
    fig, ax = plt.subplots()
    out = plot_forecast(make_panel(), fitted.predict(), ids=["s1"], ax=ax)
    assert out is fig and len(fig.axes) == 1
    assert_png(out, tmp_path / "one.png")


def test_plot_forecast_errors_name_the_problem(fitted) -> None:
    with pytest.raises(ValueError, match="lo-95"):
        plot_forecast(make_panel(), fitted.predict(level=[80]), level=[95])
    with pytest.raises(ValueError, match="nope"):
        plot_forecast(make_panel(), fitted.predict(), ids=["nope"])


def test_plot_backtest_marks_cutoffs(tmp_path) -> None:
    rows = []
    for sid in ("a", "b"):
        for cutoff in pd.date_range("2024-01-05", periods=3, freq="6h"):
            ds = pd.date_range(cutoff, periods=7, freq="h")[1:]
            y = np.arange(6.0)
            rows.append(pd.DataFrame({"unique_id": sid, "ds": ds, "cutoff": cutoff, "y": y}))
    cv = pd.concat(rows, ignore_index=True).assign(ACMix=lambda f: f["y"] + 0.5)
    fig = plot_backtest(cv)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 1 + 3 + 3  # actual, 3 cutoff markers, 3 windows
    assert_png(fig, tmp_path / "backtest.png")
    with pytest.raises(ValueError, match="cutoff"):
        plot_backtest(cv.drop(columns="cutoff"))


def test_plot_fusion_weights_of_estimator_has_token_heat_map(fitted, tmp_path) -> None:
    weights = fusion_weights_of(fitted)
    n_tokens = fitted.network_.n_tokens
    assert len(weights) == 2 and weights[0]["attention"].shape == (2, n_tokens)  # (B*, T)
    fig = plot_fusion_weights(fitted)
    assert len(fig.axes) == 3  # bars, heat map, colour bar
    assert fig.axes[1].images[0].get_array().shape == (2, n_tokens)  # (blocks, tokens)
    assert_png(fig, tmp_path / "fusion.png")


def test_plot_fusion_weights_of_estimator_on_new_history(fitted) -> None:
    history = make_panel(n_series=3)
    assert fusion_weights_of(fitted, history)[0]["attention"].shape[0] == 3


@pytest.mark.parametrize("fusion", ["scalar", "gate", "conv"])
def test_plot_fusion_weights_of_network(fusion, tmp_path) -> None:
    config = ACMixConfig(context_length=24, horizon=6, patch_len=8, d_model=16, n_heads=2,
                         n_blocks=3, window_size=2, fusion=fusion)  # fmt: skip
    network = ACMixNetwork(config).train()
    with pytest.raises(ValueError, match="forward pass"):
        plot_fusion_weights(network)
    fig = plot_fusion_weights(network, torch.randn(4, 24, 1))
    assert network.training  # the mode is restored
    bars = fig.axes[0].patches
    assert len(bars) == 2 * 3  # attention and conv for each block
    assert_png(fig, tmp_path / f"{fusion}.png")
    # Without a batch, the weights of the last forward pass are used.
    assert isinstance(plot_fusion_weights(network), Figure)


def test_plot_fusion_weights_rejects_other_objects() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(TypeError, match="ACMixForecaster"):
        plot_fusion_weights(object())
    with pytest.raises(NotFittedError):
        plot_fusion_weights(ACMixForecaster(**TINY))
