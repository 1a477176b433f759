"""Every committed benchmark report is what its committed JSON / JSON-lines files say."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks._measure import RESULTS
from benchmarks.regenerate import REPORTS


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_regenerates_unchanged(name: str, tmp_path: Path) -> None:
    REPORTS[name](RESULTS, tmp_path)
    committed = (RESULTS / f"{name}.md").read_text()
    assert (tmp_path / f"{name}.md").read_text() == committed, (
        f"benchmarks/results/{name}.md differs from its recorded runs: "
        f"run `python -m benchmarks.regenerate --reports {name}` and commit the result"
    )
