"""Rewrite every committed report from the committed JSON and JSON-lines files, no run.

``python -m benchmarks.regenerate --out-dir DIR`` renders each suite's Markdown report
from what ``benchmarks/results/`` holds (the runs files, and the JSON for the machine
and wall time of the last invocation) into ``DIR``; without ``--out-dir`` it rewrites
them in place. A test checks that the result equals the committed Markdown, so that a
report is always what its recorded numbers say.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

from benchmarks._measure import RESULTS, write_results
from benchmarks.ltsf_report import read_runs


def realworld(source: Path, out: Path) -> None:
    from benchmarks.realworld_report import render

    saved = json.loads((source / "realworld.json").read_text())
    runs = read_runs(source / "realworld_runs.jsonl")
    lines, payload = render(runs, saved["machine"], saved["last_invocation_wall_seconds"])
    write_results(out, "realworld", lines, payload)


def ltsf(source: Path, out: Path) -> None:
    from benchmarks.ltsf import report

    saved = json.loads((source / "ltsf.json").read_text())
    report(source / "ltsf_runs.jsonl", out, saved["last_invocation_wall_seconds"], saved["machine"])


def peers(source: Path, out: Path) -> None:
    from benchmarks.peers import report

    saved = json.loads((source / "peers.json").read_text())
    report(source / "peers_runs.jsonl", out, saved["last_invocation_wall_seconds"],
           saved["machine"], source / "ltsf_runs.jsonl")  # fmt: skip


def stocks(source: Path, out: Path) -> None:
    from benchmarks.stocks_report import rerender

    if out != source:
        shutil.copy(source / "stocks.json", out / "stocks.json")
    rerender(out)


def efficiency(source: Path, out: Path, name: str = "efficiency") -> None:
    from benchmarks.efficiency_report import build_report

    saved = json.loads((source / f"{name}.json").read_text())
    results = {k: saved.pop(k) for k in ("rows", "predict", "profile")}
    for derived in ("summary", "exponents", "compile"):
        saved.pop(derived)
    build_report(out, name, results, saved, echo=False)


def backtest_speed(source: Path, out: Path) -> None:
    from benchmarks.backtest_speed import render

    saved = json.loads((source / "backtest_speed.json").read_text())
    write_results(out, "backtest_speed", render(saved), saved)


def tuning(source: Path, out: Path) -> None:
    from benchmarks.tuning import report

    report(source, out)


def ltsf_tuning(source: Path, out: Path) -> None:
    from benchmarks.ltsf_tune import write_report

    write_report(source / "ltsf_tuning.jsonl", out)


REPORTS: dict[str, Callable[[Path, Path], None]] = {
    "realworld": realworld, "ltsf": ltsf, "peers": peers, "stocks": stocks,
    "efficiency": efficiency, "backtest_speed": backtest_speed, "tuning": tuning,
    "efficiency_multiscale": partial(efficiency, name="efficiency_multiscale"),
    "efficiency_before": partial(efficiency, name="efficiency_before"),
    "ltsf_tuning": ltsf_tuning,
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument("--reports", nargs="+", default=list(REPORTS), choices=REPORTS)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name in args.reports:
        REPORTS[name](RESULTS, args.out_dir)
        print(f"wrote {args.out_dir / (name + '.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
