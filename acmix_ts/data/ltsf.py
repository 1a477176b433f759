"""The standard long-horizon forecasting (LTSF) datasets and their splits.

The files are byte-identical to the ones used by Autoformer / Time-Series-Library and
the LTSF literature. Splits follow Time-Series-Library's ``data_provider/data_loader.py``
(see docs/benchmarks.md §1): ETTh rows [0, 8640) / [8640-L, 11520) / [11520-L, 14400), ETTm the
same x4, all other files 70 % / 10 % / 20 % in time order with val/test starting L rows
early.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from acmix_ts.data.files import RemoteFile, locate

_ETT_URL = "https://raw.githubusercontent.com/zhouhaoyi/ETDataset/main/ETT-small/{}.csv"
_SSCF_URL = (
    "https://raw.githubusercontent.com/junwoopark92/Self-Supervised-Contrastive-Forecsating/"
    "e20c108114cf68d451c938712ad28dac5f83ef6e/dataset/{}"
)
_WEATHER_URL = (
    "https://raw.githubusercontent.com/Kyushu-U-AI/CME-Mamba/"
    "7764d3da132a3b7b28f9fed79dd60ae7f6556034/dataset/weather.zip"
)
BUILTIN_DIR = Path(__file__).parent / "builtin"


@dataclass(frozen=True)
class LtsfSpec:
    """One LTSF dataset: its file, its size and how it is split."""

    remote: RemoteFile
    n_rows: int
    split: str  # "ett_hour", "ett_minute" or "ratio"
    freq: str


def _ett(name: str, sha: str, n_rows: int, split: str, freq: str) -> LtsfSpec:
    return LtsfSpec(RemoteFile(f"ltsf/{name}.csv", sha, _ETT_URL.format(name)), n_rows, split, freq)


LTSF_DATASETS: dict[str, LtsfSpec] = {
    "ETTh1": _ett(
        "ETTh1",
        "f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066",
        17420,
        "ett_hour",
        "h",
    ),
    "ETTh2": _ett(
        "ETTh2",
        "a3dc2c597b9218c7ce1cd55eb77b283fd459a1d09d753063f944967dd6b9218b",
        17420,
        "ett_hour",
        "h",
    ),
    "ETTm1": _ett(
        "ETTm1",
        "6ce1759b1a18e3328421d5d75fadcb316c449fcd7cec32820c8dafda71986c9e",
        69680,
        "ett_minute",
        "15min",
    ),
    "ETTm2": _ett(
        "ETTm2",
        "db973ca252c6410a30d0469b13d696cf919648d0f3fd588c60f03fdbdbadd1fd",
        69680,
        "ett_minute",
        "15min",
    ),
    "weather": LtsfSpec(
        RemoteFile(
            "ltsf/weather.csv",
            "9b2b19b13e342d9c9b9c51620d42b4be232df7fba30e7f5c4968b7c79ab138ad",
            _WEATHER_URL,
            member="weather/weather.csv",
            crlf_to_lf=True,
        ),
        52696,
        "ratio",
        "10min",
    ),
    "exchange_rate": LtsfSpec(
        RemoteFile(
            "ltsf/exchange_rate.csv",
            "d55e7aa2641009814a18ba3279431b13f6d413b0eab195b9ff21988d8cf94e97",
            _SSCF_URL.format("exchange_rate/exchange_rate.csv"),
        ),
        7588,
        "ratio",
        "D",
    ),
    "national_illness": LtsfSpec(
        RemoteFile(
            "ltsf/national_illness.csv",
            "8594cecb98c6f2f9dc014eca11c4d5d1e38ad5ce6ed0592d4abe65b146fce395",
            _SSCF_URL.format("illness/national_illness.csv"),
        ),
        966,
        "ratio",
        "7D",
    ),
    # Only large blobs of these exist publicly; place a copy by hand (see the error text).
    "electricity": LtsfSpec(
        RemoteFile(
            "ltsf/electricity.csv",
            "7e45845d54c5219bad0ae6bc1b5316cf8ff9cead5d33fa998a5a51c2e4a497ad",
        ),
        26304,
        "ratio",
        "h",
    ),
    "traffic": LtsfSpec(
        RemoteFile(
            "ltsf/traffic.csv",
            "cb06463d56fa17d87f47027cd9389ceae82a69eddee51cdb61480e120dab0b16",
        ),
        17544,
        "ratio",
        "h",
    ),
}

# The canonical weather header has U+FFFD where the source had '²' and 'µ'.
_ASCII_FIXES = (("\ufffdmol", "umol"), ("m\ufffd", "m2"), ("\ufffd", "?"))


class Split(NamedTuple):
    """Row ranges ``[start, end)`` of the train, validation and test parts."""

    train: tuple[int, int]
    val: tuple[int, int]
    test: tuple[int, int]


def _spec(name: str) -> LtsfSpec:
    if name not in LTSF_DATASETS:
        known = ", ".join(LTSF_DATASETS)
        raise ValueError(f"Unknown LTSF dataset {name!r}. Choose one of: {known}.")
    return LTSF_DATASETS[name]


def ltsf_split(name: str, context_length: int, n_rows: int | None = None) -> Split:
    """Standard train/val/test row borders of an LTSF dataset for a look-back.

    Parameters
    ----------
    name : str
        Dataset name, e.g. ``"ETTh1"``.
    context_length : int
        Look-back L; validation and test windows start L rows before their first target.
    n_rows : int, optional
        Number of rows of the file (only for ratio splits); defaults to the canonical size.

    Returns
    -------
    Split
        ``Split(train=(0, 8640), val=(8544, 11520), test=(11424, 14400))`` for ETTh1, L=96.

    Examples
    --------
    >>> ltsf_split("ETTh1", 96)
    Split(train=(0, 8640), val=(8544, 11520), test=(11424, 14400))
    """
    spec = _spec(name)
    if not isinstance(context_length, int) or context_length < 1:
        raise ValueError(f"context_length must be an int >= 1. Got {context_length!r} instead.")
    n = spec.n_rows if n_rows is None else n_rows
    if spec.split in ("ett_hour", "ett_minute"):
        unit = 30 * 24 * (4 if spec.split == "ett_minute" else 1)
        n_train, n_val, n_test = 12 * unit, 4 * unit, 4 * unit
    else:
        n_train, n_test = int(n * 0.7), int(n * 0.2)
        n_val = n - n_train - n_test
    val_end = n_train + n_val
    test_end = val_end + n_test
    if n_train - context_length < 0:
        raise ValueError(
            f"context_length={context_length} is longer than the {n_train} training rows "
            f"of {name}. Use a shorter context_length."
        )
    return Split(
        train=(0, n_train),
        val=(n_train - context_length, val_end),
        test=(val_end - context_length, test_end),
    )


def load_ltsf(
    name: str,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    drop_duplicate_dates: bool = False,
) -> pd.DataFrame:
    """Load an LTSF dataset as a frame with a parsed ``date`` column and one column per variable.

    Parameters
    ----------
    name : str
        One of ETTh1, ETTh2, ETTm1, ETTm2, weather, exchange_rate, national_illness,
        electricity, traffic.
    data_dir : path-like, optional
        Directory laid out like the shared ``datasets/`` folder (files under ``ltsf/``).
        Searched before ``$ACMIX_TS_DATA`` and the user cache directory.
    download : bool
        Download (and verify) the file when it is not found locally.
    drop_duplicate_dates : bool
        weather has one duplicated timestamp (2020-05-12 06:00, two identical rows). The
        benchmark protocol keeps every row, so the default keeps it; pass True to drop the
        second copy (e.g. before handing the frame to the estimator).

    Returns
    -------
    pandas.DataFrame
        ``date`` (datetime64) followed by the variables in file order; the last one is
        the usual target ``OT``. Non-ASCII characters of weather's header are replaced
        (``SWDR (W/m2)``, ``PAR (umol/m2/s)``).
    """
    spec = _spec(name)
    builtin = BUILTIN_DIR / Path(spec.remote.relpath).name
    path = locate(spec.remote, data_dir, download, fallback=builtin)
    frame = pd.read_csv(path)
    # exchange_rate writes its dates like "1990/1/1 0:00"; every other file is ISO.
    date_format = "%Y/%m/%d %H:%M" if name == "exchange_rate" else "%Y-%m-%d %H:%M:%S"
    frame["date"] = pd.to_datetime(frame["date"], format=date_format)
    frame.columns = [_ascii(str(col)) for col in frame.columns]
    if drop_duplicate_dates:
        frame = frame.drop_duplicates(subset="date", keep="first").reset_index(drop=True)
    return frame


def _ascii(column: str) -> str:
    for old, new in _ASCII_FIXES:
        column = column.replace(old, new)
    return column
