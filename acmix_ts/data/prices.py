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
from acmix_ts.data.price_frames import (
    _YAHOO_NAMES,
    _covariate_names,
    _field_name,
    _is_intraday,
    _read_ohlcv_csv,
    _split_tickers,
    _to_long,
    load_price_dir,
    read_price_csv,
)

__all__ = ["PriceDataError", "default_cache_dir", "load_price_dir", "load_prices", "read_price_csv"]


logger = logging.getLogger(__name__)


class PriceDataError(ValueError):
    """No price data could be obtained, neither from yfinance nor from the cache."""


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
