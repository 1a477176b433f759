"""Package metadata: one version number, the licence file, the typing marker."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

import acmix_ts

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]


def test_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert acmix_ts.__version__ == importlib.metadata.version("acmix_ts") == project["version"]
    assert f"## [{project['version']}]" in (ROOT / "CHANGELOG.md").read_text()


def test_licence_and_typing_marker_ship() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert (ROOT / "acmix_ts" / "py.typed").is_file()


def test_importing_the_estimator_leaves_lightning_for_fit() -> None:
    """``from acmix_ts import ACMixForecaster`` does not load Lightning or matplotlib."""
    import subprocess
    import sys

    code = (
        "import sys; from acmix_ts import ACMixForecaster; "
        "print(sorted(m for m in ('pytorch_lightning', 'lightning', 'matplotlib', "
        "'torchmetrics') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
