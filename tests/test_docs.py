"""Every design document the code refers to is in the repository's docs/ folder."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    *ROOT.glob("acmix_ts/**/*.py"), *ROOT.glob("benchmarks/*.py"), *ROOT.glob("tests/**/*.py"),
    *ROOT.glob("examples/*.py"), *ROOT.glob("docs/*.md"), ROOT / "README.md",
]  # fmt: skip


def test_referenced_docs_exist() -> None:
    referenced = set()
    for path in SOURCES:
        referenced |= set(re.findall(r"docs/([a-z_]+\.md)", path.read_text()))
    assert referenced, "the code refers to its design documents"
    missing = sorted(name for name in referenced if not (ROOT / "docs" / name).is_file())
    assert not missing


def test_no_reference_leaves_the_repository() -> None:
    outside = [
        str(p.relative_to(ROOT))
        for p in SOURCES
        if p != Path(__file__).resolve()
        and re.search(r"shared/design|\b(ACMIX1D|ARCHITECTURE|BENCHMARKS|STYLE)\.md", p.read_text())
    ]
    assert not outside
