"""Stock prices from yfinance with an on-disk cache, and readers for saved price CSVs.

Every loader returns the long frame the estimator takes: ``unique_id`` (ticker),
``ds`` (tz-naive ``datetime64[ns]``), ``y`` (the chosen price field), sorted by
``unique_id, ds``, optionally with the OHLCV columns as past covariates.

Timestamps: daily and longer bars keep their exchange-local date (midnight,
tz dropped); intraday bars are converted to UTC, then the tz is dropped, because
yfinance returned UTC up to 1.3 and the exchange tz from 1.4 on.

Shape: ``(n_tickers * n_dates, 3 + n_covariates)``.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from acmix_ts.data.files import user_cache_dir

__all__ = ["PriceDataError", "default_cache_dir", "load_price_dir", "load_prices", "read_price_csv"]

logger = logging.getLogger(__name__)

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


class PriceDataError(ValueError):
    """No price data could be obtained, neither from yfinance nor from the cache."""


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


def default_cache_dir() -> Path:
    """The price cache folder.

    ``$ACMIX_TS_CACHE`` if set, else ``$XDG_CACHE_HOME/acmix_ts/prices``, else
    ``~/.cache/acmix_ts/prices``.
    """
    if os.environ.get("ACMIX_TS_CACHE"):
        return Path(os.environ["ACMIX_TS_CACHE"]).expanduser()
    return user_cache_dir() / "prices"


def _cache_path(cache_dir: Path, ticker: str, interval: str, auto_adjust: bool) -> Path:
    safe = re.sub(r"[^A-Za-z0-9.\-]", "_", ticker)
    return cache_dir / f"{safe}_{interval}_{'adjusted' if auto_adjust else 'raw'}.csv"


def _write_cache(path: Path, frame: pd.DataFrame) -> None:
    """Merge ``frame`` into the cache file (new rows win) and write it atomically."""
    if path.exists():
        try:
            old = _read_ohlcv_csv(path)
            frame = pd.concat([old[~old.index.isin(frame.index)], frame]).sort_index()
        except (ValueError, OSError) as e:
            logger.warning("Overwriting unreadable price cache %s (%s).", path, e)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.rename(columns=_YAHOO_NAMES).rename_axis("Date").to_csv(tmp)
        os.replace(tmp, path)
    except OSError as e:  # a read-only cache must not break a successful download
        logger.warning("Could not write the price cache %s: %s", path, e)


def _between(frame: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """Rows with ``start <= ds < end`` (yfinance's ``end`` is exclusive too)."""
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= frame.index >= pd.Timestamp(start).tz_localize(None)
    if end is not None:
        keep &= frame.index < pd.Timestamp(end).tz_localize(None)
    return frame[keep]


def _download(
    tickers: list[str], start: Any, end: Any, interval: str, auto_adjust: bool
) -> tuple[dict[str, pd.DataFrame], Exception | None]:
    """Call ``yfinance.download``; return ``({ticker: ohlcv}, error or None)``."""
    try:
        import yfinance
    except ImportError as e:
        return {}, e
    kwargs: dict[str, Any] = dict(
        start=start, end=end, interval=interval, auto_adjust=auto_adjust, progress=False,
        actions=False, group_by="column", threads=False,
    )  # fmt: skip
    if start is None and end is None:
        kwargs["period"] = "max"  # yfinance >= 0.2.64 would default to one month
    try:
        with warnings.catch_warnings():
            # pandas deprecations raised inside yfinance are not the caller's to fix
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="yfinance")
            warnings.filterwarnings("ignore", category=FutureWarning, module="yfinance")
            data = yfinance.download(tickers, **kwargs)
    except Exception as e:  # network, rate limit, parsing: the cache is the fallback
        logger.warning("yfinance.download(%s) failed: %r", tickers, e)
        return {}, e
    if data is None or data.empty:
        return {}, None
    return _split_tickers(data, tickers, _is_intraday(interval)), None


def _failure_message(
    failed: list[str], paths: dict, interval: str, auto_adjust: bool, error: Exception | None
) -> str:
    searched = "; ".join(
        f"{paths[t]} ({'no rows in the requested dates' if paths[t].exists() else 'not found'})"
        for t in failed
    )
    cause = f"the download raised {error!r}" if error else "yfinance returned no rows"
    return (
        f"No price data for {failed} (interval={interval!r}, auto_adjust={auto_adjust}): "
        f"{cause}, and the cache has none either. Cache searched: {searched}. "
        "Check the ticker symbol (as on finance.yahoo.com), connect to the internet and "
        "retry, or place a CSV with columns Date,Open,High,Low,Close,Volume at that path "
        "(or pass cache_dir=... pointing to a folder of such files)."
    )


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


def load_prices(
    tickers: str | Sequence[str],
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    interval: str = "1d",
    field: str = "Close",
    covariates: bool | Sequence[str] = False,
    cache_dir: str | os.PathLike | None = None,
    auto_adjust: bool = True,
) -> pd.DataFrame:
    """Download prices with yfinance, falling back to an on-disk cache.

    Every successful download is merged into one CSV per (ticker, interval,
    auto_adjust) in ``cache_dir``; a ticker the download does not deliver (offline,
    rate-limited, unknown) is read from that file instead, filtered to the dates.

    Parameters
    ----------
    tickers : str or sequence of str
        Yahoo symbols, e.g. ``"AAPL"``, ``"AAPL MSFT"`` or ``["SPY", "^GSPC"]``;
        upper-cased, as yfinance does.
    start, end : str or Timestamp, optional
        First date (inclusive) and end date (exclusive). Both None: all history.
    interval : str, default="1d"
        yfinance interval (``"1d"``, ``"1wk"``, ``"1h"``, ``"5m"``, ...).
    field : str, default="Close"
        Column that becomes ``y``: Open, High, Low, Close, Adj Close (only with
        ``auto_adjust=False``) or Volume.
    covariates : bool or sequence of str, default=False
        True adds ``open, high, low, close, volume`` columns; or a list of those names
        (and ``adj_close``).
    cache_dir : path, optional
        Cache folder; default `default_cache_dir()`.
    auto_adjust : bool, default=True
        Split- and dividend-adjust OHLC (yfinance's ``auto_adjust``). Cached rows
        from an older download keep that download's adjustment.

    Returns
    -------
    pandas.DataFrame
        Columns ``unique_id, ds, y`` (+ covariates), sorted by ``unique_id, ds``;
        rows where ``field`` is missing are dropped. ``ds`` is tz-naive: the
        exchange-local date for daily and longer bars, UTC time for intraday bars.

    Raises
    ------
    PriceDataError
        If neither the download nor the cache has rows for some ticker; the message
        names the tickers and the cache files searched.

    Examples
    --------
    >>> df = load_prices(["SPY", "QQQ"], start="2020-01-01", covariates=True)  # doctest: +SKIP
    """
    symbols = [tickers] if isinstance(tickers, str) else list(tickers)
    symbols = list(dict.fromkeys(t.upper() for s in symbols for t in s.replace(",", " ").split()))
    if not symbols:
        raise ValueError(f"'tickers' must name at least one symbol. Got {tickers!r}.")
    field_name, covariate_names = _field_name(field), _covariate_names(covariates)
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    paths = {t: _cache_path(folder, t, interval, auto_adjust) for t in symbols}

    downloaded, error = _download(symbols, start, end, interval, auto_adjust)
    frames = {}
    for ticker in symbols:
        frame = downloaded.get(ticker, pd.DataFrame()).dropna(how="all")
        if not frame.empty:
            _write_cache(paths[ticker], frame)
        elif paths[ticker].exists():
            frame = _between(_read_ohlcv_csv(paths[ticker]), start, end).dropna(how="all")
            logger.info("%s: download empty, using the cache %s", ticker, paths[ticker])
        if not frame.empty:
            frames[ticker] = frame
    failed = [t for t in symbols if t not in frames]
    if failed:
        raise PriceDataError(_failure_message(failed, paths, interval, auto_adjust, error))
    return _to_long(frames, field_name, covariate_names)


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
