"""Shaping price data into long frames, and readers for saved price CSVs.

Shared by the yfinance loader (``prices.py``) and the CSV readers below: column names
are normalised to snake case (``open, high, low, close, adj_close, volume``), dates to
tz-naive timestamps, and every result is the long ``unique_id, ds, y`` frame (plus
OHLCV covariates on request), sorted by ``unique_id, ds``.

Shape: ``(n_tickers * n_dates, 3 + n_covariates)``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

COVARIATES = ("open", "high", "low", "close", "volume")
# Internal snake-case name -> the name yfinance / Yahoo CSVs use (and our cache files).
_YAHOO_NAMES = {
    "open": "Open",
    "high": "High",
    "low": "Low",
    "close": "Close",
    "adj_close": "Adj Close",
    "volume": "Volume",
}
_DATE_NAMES = {"date", "datetime", "ds", "timestamp", "time", ""}
_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})$")


def _snake(name: Any) -> str:
    return re.sub(r"[\s_]+", "_", str(name).strip().lower())


def _field_name(field: str) -> str:
    name = _snake(field).replace("adjclose", "adj_close")
    if name not in _YAHOO_NAMES:
        raise ValueError(f"'field' must be one of {list(_YAHOO_NAMES.values())}. Got {field!r}.")
    return name


def _covariate_names(covariates: bool | Sequence[str]) -> list[str]:
    if isinstance(covariates, bool):
        return list(COVARIATES) if covariates else []
    names = [_field_name(c) for c in ([covariates] if isinstance(covariates, str) else covariates)]
    return list(dict.fromkeys(names))


def _is_intraday(interval: str) -> bool:
    return interval.strip().lower()[-1:] in ("m", "h")


def _naive_index(index: pd.Index, intraday: bool) -> pd.DatetimeIndex:
    """Daily: keep the local wall date; intraday: convert to UTC. Then drop the tz."""
    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        index = index.tz_convert("UTC") if intraday else index
        index = index.tz_localize(None)
    return index.astype("datetime64[ns]").rename("ds")


def _parse_dates(values: pd.Series) -> pd.DatetimeIndex:
    """Parse date strings, including ones with UTC offsets such as ``-05:00``."""
    text = values.astype(str).str.strip()
    stripped = text.str.replace(_OFFSET, r"\1", regex=True)
    if (stripped == text).all():
        return _naive_index(pd.to_datetime(text, format="ISO8601"), intraday=False)
    wall = pd.DatetimeIndex(pd.to_datetime(stripped, format="ISO8601"))
    intraday = bool((wall != wall.normalize()).any())
    return _naive_index(pd.to_datetime(text, utc=True) if intraday else wall, intraday)


def _clean_ohlcv(frame: pd.DataFrame, intraday: bool) -> pd.DataFrame:
    """Snake-case price columns (others dropped), tz-naive sorted unique index."""
    renamed = frame.rename(columns=lambda c: _snake(c).replace("adjclose", "adj_close"))
    out = renamed.loc[:, [c for c in _YAHOO_NAMES if c in renamed.columns]].copy()
    out.index = _naive_index(frame.index, intraday)
    out = out[~out.index.duplicated(keep="last")].sort_index()
    return out.astype({c: "float64" for c in out.columns})


def _price_level(columns: pd.MultiIndex) -> int:
    known = {*_YAHOO_NAMES, "dividends", "stock_splits", "capital_gains", "repaired?"}
    for level in range(columns.nlevels):
        values = {_snake(v).replace("adjclose", "adj_close") for v in columns.unique(level)}
        if values and values <= known:
            return level
    raise ValueError(f"No column level holds price fields (Open, Close, ...): {columns[:6]}.")


def _split_tickers(data: pd.DataFrame, tickers: Sequence[str], intraday: bool) -> dict:
    """One cleaned OHLCV frame per ticker, whatever the column layout of ``data``."""
    if isinstance(data.columns, pd.MultiIndex):
        ticker_level = 1 - _price_level(data.columns)
        keys = data.columns.unique(ticker_level)
        return {
            str(t): _clean_ohlcv(data.xs(t, axis=1, level=ticker_level), intraday) for t in keys
        }
    if len(tickers) != 1:
        raise ValueError(f"Flat price columns but {len(tickers)} tickers {list(tickers)}.")
    return {tickers[0]: _clean_ohlcv(data, intraday)}


def _to_long(frames: dict, field: str, covariates: list[str]) -> pd.DataFrame:
    parts = []
    for ticker in sorted(frames):
        frame = frames[ticker]
        absent = [c for c in (field, *covariates) if c not in frame.columns]
        if absent:
            hint = (
                " (with auto_adjust=True, 'Close' is the adjusted close)"
                if "adj_close" in absent
                else ""
            )
            raise ValueError(
                f"{ticker}: no column {[_YAHOO_NAMES[c] for c in absent]} in the price data; "
                f"available: {[_YAHOO_NAMES[c] for c in frame.columns]}{hint}."
            )
        frame = frame[frame[field].notna()]
        part = pd.DataFrame({"unique_id": ticker, "ds": frame.index, "y": frame[field].to_numpy()})
        for name in covariates:
            part[name] = frame[name].to_numpy()
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _read_multiheader(path: Path) -> dict:
    data = pd.read_csv(path, header=[0, 1], index_col=0)
    data.index = _parse_dates(data.index.to_series())
    return _split_tickers(data, [], intraday=False)


def _read_ohlcv_csv(path: Path) -> pd.DataFrame:
    """Read a flat price CSV (yfinance history, Yahoo, backtesting.py, our cache)."""
    data = pd.read_csv(path)
    first = str(data.columns[0])
    if _snake(first) not in _DATE_NAMES and not first.startswith("Unnamed"):
        raise ValueError(f"{path}: expected a date column first, got columns {list(data.columns)}.")
    frame = data.drop(columns=first)
    frame.index = _parse_dates(data[first])
    return _clean_ohlcv(frame, intraday=False)


def _is_multiheader(path: Path) -> bool:
    with open(path, encoding="utf-8") as handle:
        heads = [handle.readline().split(",", 1)[0].strip() for _ in range(2)]
    return heads in (["Price", "Ticker"], ["Ticker", "Price"])


def read_price_csv(
    path: str | os.PathLike,
    ticker: str | None = None,
    field: str = "Close",
    covariates: bool | Sequence[str] = False,
) -> pd.DataFrame:
    """Read a saved price CSV into the long ``unique_id, ds, y`` frame.

    Understands ``Ticker.history().to_csv()`` (``Date,Open,...`` with tz-aware dates
    such as ``2019-01-02 00:00:00-05:00``, also lower-case ``date,open,...``), Yahoo
    CSVs (``Date,Open,High,Low,Close,Adj Close,Volume``), backtesting.py CSVs (unnamed
    date column) and ``yf.download().to_csv()`` with its 3-line header (one series
    per ticker in the file).

    Parameters
    ----------
    path : path
        CSV file.
    ticker : str, optional
        ``unique_id`` of a single-ticker file (default: the file stem); for a
        multi-ticker download file, the ticker to keep (default: all).
    field : str, default="Close"
        Column that becomes ``y`` (``"Adj Close"`` where the file has it).
    covariates : bool or sequence of str, default=False
        As in `load_prices`.

    Returns
    -------
    pandas.DataFrame
        Columns ``unique_id, ds, y`` (+ covariates) sorted by ``unique_id, ds``.
    """
    path = Path(path)
    if _is_multiheader(path):
        frames = _read_multiheader(path)
        if ticker is not None and len(frames) > 1:
            if ticker not in frames:
                raise ValueError(f"{path} holds tickers {sorted(frames)}, not {ticker!r}.")
            frames = {ticker: frames[ticker]}
        elif ticker is not None:
            frames = {ticker: next(iter(frames.values()))}
    else:
        frames = {ticker or path.stem: _read_ohlcv_csv(path)}
    return _to_long(frames, _field_name(field), _covariate_names(covariates))


def load_price_dir(
    directory: str | os.PathLike,
    field: str = "Close",
    covariates: bool | Sequence[str] = False,
    pattern: str = "*.csv",
) -> pd.DataFrame:
    """Read every price CSV in a folder (see `read_price_csv`) into one long frame.

    Parameters
    ----------
    directory : path
        Folder with one CSV per ticker, named after the ticker (e.g. ``AAPL.csv``).
    field, covariates
        As in `read_price_csv`.
    pattern : str, default="*.csv"
        Glob pattern of the files to read.

    Returns
    -------
    pandas.DataFrame
        Columns ``unique_id, ds, y`` (+ covariates) sorted by ``unique_id, ds``.
    """
    files = sorted(Path(directory).glob(pattern))
    if not files:
        raise ValueError(f"No files matching {pattern!r} in {directory}.")
    frames = [read_price_csv(f, field=field, covariates=covariates) for f in files]
    return pd.concat(frames, ignore_index=True).sort_values(["unique_id", "ds"], ignore_index=True)
