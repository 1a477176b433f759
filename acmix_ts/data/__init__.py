"""Data layer: dataset loaders (standard LTSF files, stock prices) with a local cache."""

from acmix_ts.data.files import ChecksumError, DataNotFoundError, user_cache_dir
from acmix_ts.data.ltsf import LTSF_DATASETS, Split, load_ltsf, ltsf_split
from acmix_ts.data.prices import PriceDataError, load_price_dir, load_prices, read_price_csv
from acmix_ts.data.sessions import session_calendar

__all__ = [
    "LTSF_DATASETS",
    "ChecksumError",
    "DataNotFoundError",
    "PriceDataError",
    "Split",
    "load_ltsf",
    "load_price_dir",
    "load_prices",
    "ltsf_split",
    "read_price_csv",
    "session_calendar",
    "user_cache_dir",
]
