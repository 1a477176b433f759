"""The LTSF loaders on the real files, the split borders, and the failure paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from acmix_ts.data import (
    LTSF_DATASETS,
    ChecksumError,
    DataNotFoundError,
    load_ltsf,
    ltsf_split,
)
from acmix_ts.data.files import RemoteFile, fetch, locate, sha256_of

EXPECTED_SHAPES = {
    "ETTh1": (17420, 7),
    "ETTh2": (17420, 7),
    "ETTm1": (69680, 7),
    "ETTm2": (69680, 7),
    "weather": (52696, 21),
    "exchange_rate": (7588, 8),
    "national_illness": (966, 7),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SHAPES))
def test_loader_reads_real_file(name: str, data_root: Path) -> None:
    frame = load_ltsf(name, data_dir=data_root)
    n_rows, n_vars = EXPECTED_SHAPES[name]
    assert frame.shape == (n_rows, n_vars + 1)
    assert frame.columns[0] == "date" and frame.columns[-1] == "OT"
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert frame["date"].is_monotonic_increasing
    assert not frame.drop(columns="date").isna().any().any()
    assert all(str(col).isascii() for col in frame.columns)


def test_checksums_of_shared_files(data_root: Path) -> None:
    for name, spec in LTSF_DATASETS.items():
        path = data_root / spec.remote.relpath
        if path.is_file():
            assert sha256_of(path) == spec.remote.sha256, name


def test_exchange_rate_dates_parsed(data_root: Path) -> None:
    frame = load_ltsf("exchange_rate", data_dir=data_root)
    assert frame["date"].iloc[0] == pd.Timestamp("1990-01-01")
    assert frame["date"].iloc[1] == pd.Timestamp("1990-01-02")


def test_weather_quirks(data_root: Path) -> None:
    frame = load_ltsf("weather", data_dir=data_root)
    assert frame["date"].duplicated().sum() == 1
    assert "SWDR (W/m2)" in frame.columns and "PAR (umol/m2/s)" in frame.columns
    deduped = load_ltsf("weather", data_dir=data_root, drop_duplicate_dates=True)
    assert len(deduped) == len(frame) - 1
    assert not deduped["date"].duplicated().any()


def test_builtin_etth1_needs_no_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACMIX_TS_DATA", raising=False)
    frame = load_ltsf("ETTh1", download=False)
    assert frame.shape == (17420, 8)


def test_split_borders_etth1() -> None:
    split = ltsf_split("ETTh1", 96)
    assert split.train == (0, 8640)
    assert split.val == (8544, 11520)
    assert split.test == (11424, 14400)


def test_split_borders_ettm_and_ratio() -> None:
    assert ltsf_split("ETTm1", 96) == ((0, 34560), (34464, 46080), (45984, 57600))
    # 7588 rows: int(0.7 n) = 5311 train, int(0.2 n) = 1517 test, 760 val.
    assert ltsf_split("exchange_rate", 96) == ((0, 5311), (5215, 6071), (5975, 7588))
    assert ltsf_split("national_illness", 36).test == (966 - 193 - 36, 966)


def test_unknown_name_and_bad_context() -> None:
    with pytest.raises(ValueError, match="Unknown LTSF dataset 'ETTh3'"):
        ltsf_split("ETTh3", 96)
    with pytest.raises(ValueError, match="context_length must be an int >= 1"):
        ltsf_split("ETTh1", 0)


def test_missing_file_offline_names_file_and_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACMIX_TS_DATA", str(tmp_path / "env_dir"))
    with pytest.raises(DataNotFoundError) as info:
        load_ltsf("ETTm2", data_dir=tmp_path / "explicit", download=False)
    message = str(info.value)
    assert "ltsf/ETTm2.csv" in message
    assert str(tmp_path / "explicit") in message
    assert str(tmp_path / "env_dir") in message
    assert "ACMIX_TS_DATA" in message


def test_failed_download_names_url(tmp_path: Path) -> None:
    remote = RemoteFile("ltsf/none.csv", "0" * 64, url=(tmp_path / "absent.csv").as_uri())
    with pytest.raises(DataNotFoundError, match="download from file://"):
        locate(remote, data_dir=tmp_path)


def test_download_verifies_checksum(tmp_path: Path, data_root: Path) -> None:
    source = tmp_path / "served" / "ETTh2.csv"
    source.parent.mkdir()
    shutil.copy(data_root / "ltsf" / "ETTh2.csv", source)
    spec = LTSF_DATASETS["ETTh2"].remote
    good = RemoteFile(spec.relpath, spec.sha256, url=source.as_uri())
    fetched = locate(good, data_dir=tmp_path / "empty")
    assert sha256_of(fetched) == spec.sha256

    with open(source, "r+b") as handle:  # corrupt one byte of the served copy
        handle.seek(100)
        handle.write(b"#")
    target = tmp_path / "cache" / "ETTh2.csv"
    with pytest.raises(ChecksumError, match="sha256"):
        fetch(good, target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_zip_member_and_crlf(tmp_path: Path) -> None:
    import hashlib
    import zipfile

    content = b"date,a\n2020-01-01 00:00:00,1\n"
    archive = tmp_path / "w.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("w/w.csv", content.replace(b"\n", b"\r\n"))
    remote = RemoteFile(
        "x/w.csv",
        hashlib.sha256(content).hexdigest(),
        url=archive.as_uri(),
        member="w/w.csv",
        crlf_to_lf=True,
    )
    target = tmp_path / "out" / "w.csv"
    fetch(remote, target)
    assert target.read_bytes() == content
