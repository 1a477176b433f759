"""``python -m benchmarks.backtest_speed --smoke`` runs and writes a sane table."""

from __future__ import annotations

import json
from pathlib import Path


def test_smoke_run(tmp_path: Path, run_smoke) -> None:
    done = run_smoke("backtest_speed", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    saved = json.loads((tmp_path / "backtest_speed.json").read_text())
    row = saved["acmix"]
    assert saved["windows"] == 50 and row["forecasts"] == 50 * 7
    assert 0 < row["fit_s"] < row["cross_validation_s"]
    assert row["predict_full_history_ms"] > 0 and row["one_predict_per_window_s"] > 0
