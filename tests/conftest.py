"""Shared fixtures: the shared datasets folder and an isolated user cache."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
SHARED_DATA = REPO.parent / "shared" / "datasets"

# Tests read the shared datasets through ACMIX_TS_DATA, as the Makefile sets it.
if not os.environ.get("ACMIX_TS_DATA") and SHARED_DATA.is_dir():
    os.environ["ACMIX_TS_DATA"] = str(SHARED_DATA)


@pytest.fixture
def data_root() -> Path:
    """The shared datasets folder; skips the test when it is not beside the repository."""
    root = Path(os.environ.get("ACMIX_TS_DATA", SHARED_DATA))
    if not (root / "ltsf").is_dir():
        pytest.skip(f"shared datasets not found at {root}; set ACMIX_TS_DATA")
    return root


@pytest.fixture
def run_smoke() -> Callable[..., subprocess.CompletedProcess]:
    """Run ``python -m benchmarks.<name> --smoke --out-dir OUT [extra]`` in a fresh interpreter.

    The child reads the datasets through ``ACMIX_TS_DATA``, inherited from this process.
    """

    def run(name: str, out_dir: Path, *extra: str, timeout: int = 300):
        module = f"benchmarks.{name}"
        command = [sys.executable, "-m", module, "--smoke", "--out-dir", str(out_dir), *extra]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO)

    return run


@pytest.fixture(autouse=True, scope="session")
def _one_intra_op_thread():
    """One torch thread: the tensors in tests are tiny, and on a busy 2-core machine
    OpenMP wake-ups of a second thread cost more (10 ms+ per op) than they save."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point the per-user cache at a temporary folder so tests never touch ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg_cache")))
