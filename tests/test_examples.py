"""The examples run end to end (``--quick``: tiny model, one epoch), in-process."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart(capsys) -> None:
    load_example("quickstart").main(["--quick"])
    out = capsys.readouterr().out
    assert "7 series x 14400 hourly steps" in out
    assert "over 20 windows x 7 series x 24 hours" in out and "interval covered" in out
    assert "Warning" not in out


def test_multi_series_covariates(capsys) -> None:
    load_example("multi_series_covariates").main(["--quick", "--n-series", "3"])
    out = capsys.readouterr().out
    assert "store_0" in out and "Promotion effect" in out and "learned" in out


def test_stock_forecast_from_csv(tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    days = pd.bdate_range("2023-01-02", periods=260)
    close = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, len(days))))
    prices = pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Open": close, "High": close,
                           "Low": close, "Close": close, "Volume": 1000})  # fmt: skip
    csv, png = tmp_path / "XYZ.csv", tmp_path / "xyz.png"
    prices.to_csv(csv, index=False)
    load_example("stock_forecast").main(["--quick", "--csv", str(csv), "--plot", str(png)])
    out = capsys.readouterr().out
    assert "RandomWalk" in out and "direction hit rate" in out and "ACMix-lo-80" in out
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_long_lookback(capsys) -> None:
    load_example("long_lookback").main(["--quick"])
    out = capsys.readouterr().out
    assert "Look-back 2048 steps = 255 tokens, windows of 8" in out
    assert "memory" in out and "Naive" in out


def test_multi_gpu_one_process(capsys) -> None:
    load_example("multi_gpu").main(["--quick", "--devices", "1"])
    out = capsys.readouterr().out
    assert "'strategy': 'auto'" in out and "OT" in out


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_multi_gpu_two_cpu_processes(capsys) -> None:
    load_example("multi_gpu").main(["--quick", "--accelerator", "cpu", "--devices", "2"])
    out = capsys.readouterr().out
    assert "'strategy': 'ddp_spawn'" in out and "OT" in out


def test_every_example_has_docstring_main_and_quick() -> None:
    for path in sorted(EXAMPLES.glob("*.py")):
        text = path.read_text()
        assert text.startswith('"""'), path.name
        assert "def main(" in text and '__name__ == "__main__"' in text, path.name
        assert '"--quick"' in text, path.name


def test_tuning(tmp_path, capsys) -> None:
    pytest.importorskip("optuna")
    pytest.importorskip("matplotlib")
    load_example("tuning").main(["--quick", "--plots", str(tmp_path)])
    out = capsys.readouterr().out
    assert "2 trials; best validation MASE" in out and "test-day MASE" in out
    assert (tmp_path / "optimization_history.png").is_file()
