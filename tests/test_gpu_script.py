"""``benchmarks/gpu.sh --smoke`` runs every step of the GPU script on CPU and sums it up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_smoke_run_writes_every_table(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh"), "--smoke", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("efficiency_gpu_fp32.md", "efficiency_gpu_bf16.md", "gpu.md"):
        assert (tmp_path / name).is_file(), name
    summary = json.loads((tmp_path / "gpu.json").read_text())
    precisions = sorted(run["precision"] for run in summary["runs"])
    assert precisions == ["32-true", "bf16-mixed"]
    assert all(run["val_mse"] > 0 and run["mse"] > 0 for run in summary["runs"])
    assert "bf16 against fp32 validation MSE at H=96" in (tmp_path / "gpu.md").read_text()


def test_without_an_output_folder_it_says_what_to_give(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OUT"}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh")], env=env,
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "output folder" in done.stderr
