"""Finding, downloading and verifying data files.

A data file is looked up, in order, in an explicit ``data_dir``, in the directory named
by the ``ACMIX_TS_DATA`` environment variable and in a per-user cache directory. Each of
them is laid out like the shared ``datasets/`` folder (e.g. ``ltsf/ETTh1.csv``). When the
file is in none of them it is downloaded into the cache directory and its sha256 checked.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

ENV_DATA_DIR = "ACMIX_TS_DATA"


class ChecksumError(ValueError):
    """A data file's sha256 differs from the expected one."""


class DataNotFoundError(FileNotFoundError):
    """A data file is in none of the searched directories and could not be downloaded."""


@dataclass(frozen=True)
class RemoteFile:
    """Where a data file comes from and how to check it.

    Parameters
    ----------
    relpath : str
        Path relative to a data directory, e.g. ``"ltsf/ETTh1.csv"``.
    sha256 : str
        Expected sha256 of the file as stored (after ``member`` extraction and newline
        normalisation).
    url : str or None
        Canonical public location; None when there is no single downloadable copy.
    member : str or None
        For a zip archive at ``url``: the member to extract.
    crlf_to_lf : bool
        Convert Windows line ends to ``\\n`` before checking (the archived copy of some
        files uses CRLF while the canonical checksum is of the LF file).
    """

    relpath: str
    sha256: str
    url: str | None = None
    member: str | None = None
    crlf_to_lf: bool = False


def user_cache_dir() -> Path:
    """The per-user cache directory (``$XDG_CACHE_HOME/acmix_ts`` or ``~/.cache/acmix_ts``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "acmix_ts"


def search_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The directories searched for data files, in lookup order."""
    dirs = []
    if data_dir is not None:
        dirs.append(Path(data_dir))
    if os.environ.get(ENV_DATA_DIR):
        dirs.append(Path(os.environ[ENV_DATA_DIR]))
    dirs.append(user_cache_dir())
    return dirs


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> None:
    """Raise :class:`ChecksumError` when ``path`` does not have the sha256 ``expected``."""
    got = sha256_of(path)
    if got != expected:
        raise ChecksumError(
            f"The file {path} has sha256 {got}, expected {expected}. It is corrupt or a "
            "different version: delete it and place the canonical file there (see the "
            "datasets README for sources)."
        )


def locate(
    remote: RemoteFile,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    fallback: Path | None = None,
) -> Path:
    """Return the local path of ``remote``, downloading it into the cache if needed.

    Files found in a searched directory are trusted as they are (checksums are for
    downloads and for :func:`verify`); ``fallback`` is a copy shipped with the package.
    """
    dirs = search_dirs(data_dir)
    for directory in dirs:
        candidate = directory / remote.relpath
        if candidate.is_file():
            return candidate
    if fallback is not None and fallback.is_file():
        return fallback
    reason = "downloading is switched off (download=False)"
    if download and remote.url:
        target = user_cache_dir() / remote.relpath
        try:
            fetch(remote, target)
            return target
        except (urllib.error.URLError, OSError) as err:
            reason = f"the download from {remote.url} failed: {err}"
    elif download:
        reason = "there is no public download location for it"
    searched = ", ".join(str(d) for d in dirs)
    raise DataNotFoundError(
        f"The data file '{remote.relpath}' was not found in any of: {searched}; and "
        f"{reason}. Place the file at <dir>/{remote.relpath} for one of these directories "
        f"(or set {ENV_DATA_DIR}=<dir> or pass data_dir=<dir>)."
    )


def fetch(remote: RemoteFile, target: Path) -> None:
    """Download ``remote`` to ``target`` atomically, checking its sha256 on the way."""
    if remote.url is None:
        raise ValueError(f"'{remote.relpath}' has no download location.")
    with urllib.request.urlopen(remote.url, timeout=60) as response:
        payload = response.read()
    if remote.member is not None:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            payload = archive.read(remote.member)
    if remote.crlf_to_lf:
        payload = payload.replace(b"\r\n", b"\n")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(payload)
    tmp_path = Path(tmp.name)
    try:
        verify(tmp_path, remote.sha256)
    except ChecksumError:
        tmp_path.unlink(missing_ok=True)
        raise
    shutil.move(str(tmp_path), target)
