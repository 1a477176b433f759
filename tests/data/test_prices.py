"""Tests of acmix_ts.data.prices, fully offline.

The download tests run the real ``yfinance.download`` code; only its HTTP layer
(``YfData.get`` / ``YfData.cache_get``) is replaced by canned Yahoo
``v8/finance/chart`` responses (tests/data/fixtures/yahoo_chart_1d.json).
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from acmix_ts.data.prices import (
    PriceDataError,
    default_cache_dir,
    load_price_dir,
    load_prices,
    read_price_csv,
)

yf = pytest.importorskip("yfinance")
yf_cache = pytest.importorskip("yfinance.cache")
from yfinance.data import YfData  # noqa: E402

CHARTS = json.loads((Path(__file__).parent / "fixtures" / "yahoo_chart_1d.json").read_text())
NOT_FOUND = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}
_DATA = os.environ.get("ACMIX_TS_DATA")
STOCKS = Path(_DATA) / "stocks" if _DATA else None
needs_shared_data = pytest.mark.skipif(
    STOCKS is None or not STOCKS.is_dir(),
    reason="ACMIX_TS_DATA is unset or has no stocks/ folder: set it to shared/datasets "
    "(the Makefile does) to run the CSV-reader tests",
)


def quote(symbol: str, key: str) -> list[float]:
    return CHARTS[symbol]["chart"]["result"][0]["indicators"]["quote"][0][key]


class _Response:
    """The parts of a curl_cffi/requests response that yfinance reads."""

    def __init__(self, payload: dict, status_code: int, url: str) -> None:
        self.status_code, self.url, self.text = status_code, url, json.dumps(payload)

    def json(self) -> dict:
        return json.loads(self.text)  # fresh objects: yfinance mutates what it gets

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code} for {self.url}")


class FakeYahoo:
    """Serves the canned charts like Yahoo: rows with period1 <= timestamp < period2."""

    def __init__(self) -> None:
        self.offline = False
        self.requests: list[tuple[str, dict]] = []

    def get(self, url: str, params: dict | None = None) -> _Response:
        params = dict(params or {})
        self.requests.append((url, params))
        if self.offline:
            raise ConnectionError("no network in tests")
        symbol = url.rsplit("/", 1)[-1]
        if "/v8/finance/chart/" not in url or symbol not in CHARTS:
            return _Response(NOT_FOUND, 404, url)
        payload = copy.deepcopy(CHARTS[symbol])
        result = payload["chart"]["result"][0]
        lo, hi = params.get("period1", -math.inf), params.get("period2", math.inf)
        keep = [i for i, t in enumerate(result["timestamp"]) if lo <= t < hi]
        result["timestamp"] = [result["timestamp"][i] for i in keep]
        for block in (result["indicators"]["quote"][0], result["indicators"]["adjclose"][0]):
            for key, values in block.items():
                block[key] = [values[i] for i in keep]
        return _Response(payload, 200, url)


@pytest.fixture
def yahoo(monkeypatch, tmp_path):
    """Route yfinance's HTTP calls to FakeYahoo; any other network access fails the test."""
    server, leaks = FakeYahoo(), []

    def fake_get(_self, url, params=None, timeout=30):
        return server.get(url, params)

    def no_network(_self, *args, **kwargs):
        leaks.append(args[:1])
        raise AssertionError("yfinance tried to reach the network")

    monkeypatch.setattr(YfData, "get", fake_get)
    monkeypatch.setattr(YfData, "cache_get", fake_get)
    monkeypatch.setattr(YfData, "_make_request", no_network)  # the only caller of the session
    monkeypatch.setattr(YfData, "_get_cookie_and_crumb", no_network)
    # set_tz_cache_location alone does not move a tz cache that is already open, so also
    # reset the singletons; monkeypatch restores every attribute afterwards.
    for manager in (yf_cache._TzDBManager, yf_cache._CookieDBManager, yf_cache._ISINDBManager):
        monkeypatch.setattr(manager, "_cache_dir", manager._cache_dir)
        monkeypatch.setattr(manager, "_db", None)
    monkeypatch.setattr(yf_cache._TzCacheManager, "_tz_cache", None)
    yf.set_tz_cache_location(str(tmp_path / "yfinance"))
    yield server
    assert not leaks, f"network access attempted: {leaks}"


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "prices"


def test_one_ticker_gives_long_frame(yahoo, cache_dir, tmp_path):
    df = load_prices("AAPL", start="2019-01-01", end="2019-01-10", cache_dir=cache_dir)
    assert list(df.columns) == ["unique_id", "ds", "y"]
    assert (df["unique_id"] == "AAPL").all()
    expected_days = ["2019-01-02", "2019-01-03", "2019-01-04", "2019-01-07", "2019-01-08"]
    assert list(df["ds"]) == list(pd.to_datetime([*expected_days, "2019-01-09"]))  # end exclusive
    assert df["ds"].dt.tz is None
    np.testing.assert_allclose(df["y"], quote("AAPL", "close")[:6])
    assert (tmp_path / "yfinance" / "tkr-tz.db").exists()  # yfinance's own cache isolated


def test_two_tickers_sorted_by_id_then_date(yahoo, cache_dir):
    tickers = ["msft", "AAPL"]
    df = load_prices(tickers, start="2019-01-01", end="2019-01-10", cache_dir=cache_dir)
    assert tickers == ["msft", "AAPL"]  # input untouched
    assert df["unique_id"].tolist() == ["AAPL"] * 6 + ["MSFT"] * 6
    assert df.groupby("unique_id")["ds"].apply(lambda s: s.is_monotonic_increasing).all()
    np.testing.assert_allclose(df.loc[df.unique_id == "MSFT", "y"], quote("MSFT", "close")[:6])


def test_covariates_true_adds_ohlcv(yahoo, cache_dir):
    df = load_prices("AAPL", "2019-01-01", "2019-01-10", covariates=True, cache_dir=cache_dir)
    assert list(df.columns) == ["unique_id", "ds", "y", "open", "high", "low", "close", "volume"]
    for name in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(df[name], quote("AAPL", name)[:6])
    some = load_prices(
        "AAPL", "2019-01-01", "2019-01-10", covariates=["Volume"], cache_dir=cache_dir
    )
    assert list(some.columns) == ["unique_id", "ds", "y", "volume"]


def test_cache_written_then_read_when_offline(yahoo, cache_dir):
    online = load_prices(
        ["AAPL", "MSFT"], start="2019-01-01", end="2019-01-12", cache_dir=cache_dir
    )
    path = cache_dir / "AAPL_1d_adjusted.csv"
    assert path.exists() and (cache_dir / "MSFT_1d_adjusted.csv").exists()
    assert path.read_text().splitlines()[0] == "Date,Open,High,Low,Close,Volume"
    yahoo.offline = True
    offline = load_prices(
        ["AAPL", "MSFT"], start="2019-01-01", end="2019-01-12", cache_dir=cache_dir
    )
    pd.testing.assert_frame_equal(offline, online)
    narrow = load_prices("MSFT", start="2019-01-03", end="2019-01-05", cache_dir=cache_dir)
    assert narrow["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2019-01-03", "2019-01-04"]
    with pytest.raises(PriceDataError, match="no rows in the requested dates"):
        load_prices("MSFT", start="2020-01-01", end="2020-02-01", cache_dir=cache_dir)


def test_cache_merges_successive_downloads(yahoo, cache_dir):
    load_prices("AAPL", start="2019-01-01", end="2019-01-05", cache_dir=cache_dir)
    load_prices("AAPL", start="2019-01-08", end="2019-01-15", cache_dir=cache_dir)
    yahoo.offline = True
    assert len(load_prices("AAPL", cache_dir=cache_dir)) == 3 + 5


def test_no_dates_asks_for_all_history(yahoo, cache_dir):
    df = load_prices("AAPL", cache_dir=cache_dir)
    assert len(df) == 9
    history_calls = [p for url, p in yahoo.requests if "period2" in p]
    assert history_calls and all("range" not in p for p in history_calls)  # not yfinance's 1mo


def test_unknown_ticker_error_names_ticker_and_cache(yahoo, cache_dir):
    with pytest.raises(PriceDataError) as info:
        load_prices(["AAPL", "ZZZZ"], start="2019-01-01", end="2019-01-10", cache_dir=cache_dir)
    message = str(info.value)
    assert "['ZZZZ']" in message and "AAPL" not in message
    assert f"{cache_dir / 'ZZZZ_1d_adjusted.csv'} (not found)" in message
    assert "ticker symbol" in message
    assert isinstance(info.value, ValueError)
    assert (cache_dir / "AAPL_1d_adjusted.csv").exists()  # the good ticker was still cached


def test_offline_without_cache_explains_what_to_do(yahoo, cache_dir):
    yahoo.offline = True
    with pytest.raises(ValueError, match="connect to the internet") as info:
        load_prices("AAPL", start="2019-01-01", end="2019-01-10", cache_dir=cache_dir)
    assert "AAPL" in str(info.value)
    assert str(cache_dir / "AAPL_1d_adjusted.csv") in str(info.value)


def test_auto_adjust_false_keeps_adj_close(yahoo, cache_dir):
    df = load_prices("AAPL", "2019-01-01", "2019-01-10", field="Adj Close", auto_adjust=False,
                     cache_dir=cache_dir)  # fmt: skip
    np.testing.assert_allclose(df["y"], quote("AAPL", "close")[:6])  # fixture: adjclose == close
    assert (cache_dir / "AAPL_1d_raw.csv").exists()
    with pytest.raises(ValueError, match="'Close' is the adjusted close"):
        load_prices("AAPL", "2019-01-01", "2019-01-10", field="Adj Close", cache_dir=cache_dir)


@pytest.mark.filterwarnings("ignore::DeprecationWarning:yfinance")
def test_real_download_to_csv_three_line_header_roundtrip(yahoo, tmp_path):
    raw = yf.download("AAPL", start="2019-01-01", end="2019-01-10", progress=False, threads=False)
    path = tmp_path / "dl.csv"
    raw.to_csv(path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("Price,") and lines[1].startswith("Ticker,")
    assert lines[2].startswith("Date,,")
    df = read_price_csv(path)
    assert df["unique_id"].unique().tolist() == ["AAPL"]
    np.testing.assert_allclose(df["y"], quote("AAPL", "close")[:6])


# --- the shapes yfinance returned across versions (datasets README section 3) -------------

DATES = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"], name="Date")
FIELDS = ["Open", "High", "Low", "Close", "Volume"]


def frame_for(ticker: str, offset: float = 0.0) -> pd.DataFrame:
    base = np.arange(3.0) + offset
    return pd.DataFrame(
        {"Open": base + 1, "High": base + 2, "Low": base, "Close": base + 1.5, "Volume": 100.0},
        index=DATES,
    )


def patch_download(monkeypatch, data: pd.DataFrame) -> list[dict]:
    calls: list[dict] = []

    def download(tickers, **kwargs):
        calls.append({"tickers": tickers, **kwargs})
        return data.copy()

    monkeypatch.setattr(yf, "download", download)
    return calls


def two_tickers(group_by: str) -> pd.DataFrame:
    data = pd.concat({"AAPL": frame_for("AAPL"), "MSFT": frame_for("MSFT", 10)}, axis=1,
                     names=["Ticker", "Price"])  # fmt: skip
    if group_by == "column":
        data.columns = data.columns.swaplevel(0, 1)
        data = data.sort_index(axis=1, level=0)
    return data


@pytest.mark.parametrize("group_by", ["column", "ticker"])
def test_multiindex_layouts(monkeypatch, cache_dir, group_by):
    calls = patch_download(monkeypatch, two_tickers(group_by))
    df = load_prices(["AAPL", "MSFT"], "2024-01-01", "2024-01-05", cache_dir=cache_dir)
    assert calls[0]["group_by"] == "column" and calls[0]["progress"] is False
    assert df["y"].tolist() == [1.5, 2.5, 3.5, 11.5, 12.5, 13.5]


def test_flat_columns_for_one_ticker(monkeypatch, cache_dir):
    patch_download(monkeypatch, frame_for("AAPL"))
    df = load_prices("AAPL", covariates=["high"], cache_dir=cache_dir)
    assert df["high"].tolist() == [2.0, 3.0, 4.0]


def test_adj_close_present_and_tz_aware_intraday_index(monkeypatch, cache_dir):
    data = frame_for("AAPL").assign(**{"Adj Close": [9.0, 9.5, 10.0]})
    data.index = pd.DatetimeIndex(
        ["2024-01-10 09:30", "2024-01-10 10:30", "2024-01-10 11:30"], name="Datetime"
    ).tz_localize("America/New_York")  # yfinance >= 1.4 intraday: exchange tz
    patch_download(monkeypatch, pd.concat({"AAPL": data}, axis=1, names=["Ticker", "Price"]))
    df = load_prices(
        "AAPL", interval="1h", field="adj close", auto_adjust=False, cache_dir=cache_dir
    )
    assert df["y"].tolist() == [9.0, 9.5, 10.0]
    assert df["ds"].tolist() == list(pd.to_datetime(["2024-01-10 14:30", "2024-01-10 15:30",
                                                     "2024-01-10 16:30"]))  # UTC  # fmt: skip


def test_all_nan_ticker_falls_back_to_cache(monkeypatch, cache_dir):
    patch_download(monkeypatch, two_tickers("column"))
    load_prices(["AAPL", "MSFT"], cache_dir=cache_dir)  # fills the cache
    failed = two_tickers("column")
    failed.loc[:, (slice(None), "MSFT")] = np.nan  # how yfinance reports a failed ticker
    patch_download(monkeypatch, failed)
    df = load_prices(["AAPL", "MSFT"], cache_dir=cache_dir)
    assert df.loc[df.unique_id == "MSFT", "y"].tolist() == [11.5, 12.5, 13.5]


def test_download_exception_and_empty_result(monkeypatch, cache_dir):
    def broken(tickers, **kwargs):
        raise OSError("DNS failure")

    monkeypatch.setattr(yf, "download", broken)
    with pytest.raises(PriceDataError, match="DNS failure"):
        load_prices("AAPL", cache_dir=cache_dir)
    patch_download(monkeypatch, pd.DataFrame())
    with pytest.raises(PriceDataError, match="no rows"):
        load_prices("AAPL", cache_dir=cache_dir)


def test_bad_arguments(cache_dir):
    with pytest.raises(ValueError, match="'field' must be one of"):
        load_prices("AAPL", field="Price", cache_dir=cache_dir)
    with pytest.raises(ValueError, match="at least one symbol"):
        load_prices(" ", cache_dir=cache_dir)


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("ACMIX_TS_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("ACMIX_TS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "acmix_ts" / "prices"


# --- CSV files of shared/datasets/stocks -------------------------------------------------


@needs_shared_data
@pytest.mark.parametrize(
    ("relative", "ticker", "rows", "first_day", "first_close"),
    [
        ("yf_adjusted_2019_2025/AAPL.csv", "AAPL", 1638, "2019-01-02", 37.61784744262695),
        ("yahoo_csv/AAPL.csv", "AAPL", 3379, "2004-08-19", 2.193571),
        ("backtesting_py/GOOG.csv", "GOOG", 2148, "2004-08-19", 100.34),
        ("yf_history_raw/AAPL_history_repair_2022-2023.csv", "AAPL_history_repair_2022-2023",
         501, "2022-01-03", 178.6456298828125),
    ],
)  # fmt: skip
def test_read_shared_csv_shapes(relative, ticker, rows, first_day, first_close):
    df = read_price_csv(STOCKS / relative, covariates=True)
    assert len(df) == rows
    assert df["unique_id"].unique().tolist() == [ticker]
    assert df["ds"].iloc[0] == pd.Timestamp(first_day)  # local date, tz dropped
    assert df["ds"].dt.tz is None and df["ds"].is_monotonic_increasing
    assert df["y"].iloc[0] == pytest.approx(first_close)
    assert list(df.columns[3:]) == ["open", "high", "low", "close", "volume"]
    assert not df.isna().any().any()


@needs_shared_data
def test_read_yahoo_adj_close_and_ticker_override():
    df = read_price_csv(STOCKS / "yahoo_csv" / "AAPL.csv", ticker="apple", field="Adj Close")
    assert df["y"].iloc[0] == pytest.approx(1.966391)
    assert df["unique_id"].iloc[0] == "apple"
    with pytest.raises(ValueError, match="adjusted close"):
        read_price_csv(STOCKS / "yf_adjusted_2019_2025" / "AAPL.csv", field="Adj Close")


@needs_shared_data
def test_load_price_dir_panel():
    df = load_price_dir(STOCKS / "yf_adjusted_2019_2025")
    assert df["unique_id"].nunique() == 9 and len(df) == 9 * 1638
    assert df.groupby("unique_id")["ds"].apply(lambda s: s.is_monotonic_increasing).all()


def test_three_line_header_multi_ticker(tmp_path):
    for group_by in ("column", "ticker"):
        path = tmp_path / f"download_{group_by}.csv"
        two_tickers(group_by).to_csv(path)
        df = read_price_csv(path)
        assert df["unique_id"].tolist() == ["AAPL"] * 3 + ["MSFT"] * 3
        assert df["y"].tolist() == [1.5, 2.5, 3.5, 11.5, 12.5, 13.5]
        only = read_price_csv(path, ticker="MSFT", covariates=["low"])
        assert only["low"].tolist() == [10.0, 11.0, 12.0]


def test_history_csv_with_dst_offsets_and_intraday(tmp_path):
    path = tmp_path / "X.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2024-03-08 00:00:00-05:00,1,1,1,1,1\n"
        "2024-03-11 00:00:00-04:00,2,2,2,2,2\n"
    )
    assert read_price_csv(path)["ds"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-08", "2024-03-11"
    ]  # fmt: skip
    path.write_text("Datetime,Close\n2024-01-10 09:30:00-05:00,1\n2024-01-10 10:30:00-05:00,2\n")
    assert read_price_csv(path)["ds"].dt.hour.tolist() == [14, 15]  # intraday -> UTC
