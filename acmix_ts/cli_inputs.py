"""Reading the command line's inputs into the long frame the estimator takes.

A CSV/Parquet file (long ``unique_id,ds,y`` or wide with a date column), a built-in /
LTSF dataset (``--dataset ETTh1``) or stock tickers (``--tickers AAPL MSFT``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

import pandas as pd

import acmix_ts

_TIME_NAMES = ("ds", "date", "Date", "datetime", "timestamp", "time")


class Names(NamedTuple):
    """Column names of the long frame the commands work on."""

    id: str = "unique_id"
    time: str = "ds"
    target: str = "y"


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(f"Input file {str(path)!r} does not exist. Check the path.")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except ImportError as e:
            raise ValueError(
                f"Reading {path.name} needs a Parquet engine: pip install pyarrow, or save the "
                "data as CSV."
            ) from e
    return pd.read_csv(path)


def _time_column(table: pd.DataFrame, time_col: str | None, where: str) -> str:
    found = time_col or next((c for c in _TIME_NAMES if c in table.columns), None)
    if found is None or found not in table.columns:
        raise ValueError(
            f"{where} has no time column (looked for {found or list(_TIME_NAMES)}; it has "
            f"{list(table.columns)[:10]}). Pass --time-col NAME."
        )
    return found


def _wide_to_long(
    wide: pd.DataFrame, time_col: str | None, targets: list[str] | None, where: str
) -> tuple[pd.DataFrame, Names]:
    time_col = _time_column(wide, time_col, where)
    values = [c for c in wide.columns if c != time_col]
    text = [c for c in values if not pd.api.types.is_numeric_dtype(wide[c])]
    if text and not targets:
        raise ValueError(
            f"{where} has no id column 'unique_id' but text column(s) {text[:3]}: for a long "
            f"file pass --id-col {text[0]} (and --target-col); for a wide file pick the "
            "series with --target COL ..."
        )
    chosen = targets or values
    missing = [c for c in chosen if c not in values]
    if missing or not chosen:
        raise ValueError(
            f"{where} has no column(s) {missing or 'with numbers'} to forecast; its columns "
            f"are {values[:20]}. Pass --target with some of them."
        )
    if not targets and len(chosen) > 1:  # say it: a wide file may hold columns not meant
        shown = ", ".join(map(str, chosen[:10])) + (" ..." if len(chosen) > 10 else "")
        print(
            f"Forecasting all {len(chosen)} columns of {where} ({shown}); pick some with "
            "--target COL ...",
            file=sys.stderr,
        )
    long = wide.melt(id_vars=time_col, value_vars=chosen, var_name="unique_id", value_name="y")
    long = long.rename(columns={time_col: "ds"})
    return long[["unique_id", "ds", "y"]], Names()


def load_input(args: argparse.Namespace) -> tuple[pd.DataFrame, Names]:
    """The long frame and its column names for the input options of ``args``."""
    if args.dataset:
        wide = acmix_ts.load_ltsf(args.dataset)
        frame, names = _wide_to_long(wide, "date", args.target, f"dataset {args.dataset}")
    elif args.tickers:
        frame = acmix_ts.load_prices(
            args.tickers, start=args.start, end=args.end, cache_dir=args.cache_dir
        )
        names = Names()
    elif args.input:
        table = _read_table(Path(args.input))
        if args.id_col in table.columns:
            time_col = _time_column(table, args.time_col, args.input)
            names = Names(args.id_col, time_col, args.target_col)
            for column, flag in zip(names, ("--id-col", "--time-col", "--target-col"), strict=True):
                if column not in table.columns:
                    raise ValueError(
                        f"Column {column!r} is not in {args.input} (columns: "
                        f"{list(table.columns)}). Pass {flag} NAME."
                    )
            frame = table[list(names)]
        else:
            frame, names = _wide_to_long(table, args.time_col, args.target, args.input)
    else:
        raise ValueError("No input: give a CSV/Parquet file, --dataset NAME or --tickers SYMBOL.")
    frame = frame.copy()
    try:
        frame[names.time] = pd.to_datetime(frame[names.time])
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"Column {names.time!r} does not hold dates ({e}). Pass --time-col."
        ) from e
    if args.tail is not None:
        frame = frame.groupby(names.id, sort=False).tail(args.tail)
    return frame.reset_index(drop=True), names
