"""Data layer: dataset loaders (standard LTSF files, stock prices) with a local cache."""

from acmix_ts.data.files import ChecksumError, DataNotFoundError, user_cache_dir
from acmix_ts.data.ltsf import LTSF_DATASETS, Split, load_ltsf, ltsf_split

__all__ = [
    "LTSF_DATASETS",
    "ChecksumError",
    "DataNotFoundError",
    "Split",
    "load_ltsf",
    "ltsf_split",
    "user_cache_dir",
]
