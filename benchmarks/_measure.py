"""Measurement helpers shared by the benchmark scripts (no torch import at module level).

- Provenance: machine (CPU model or GPU name), versions, git commit, load average.
- CPU memory: resident set size and its peak. The peak (``VmHWM``) is reset through
  ``/proc/self/clear_refs`` so that a measurement sees only its own steps; where that
  is not possible, ``ru_maxrss`` is used and the result is flagged.
- Activation memory: :class:`SavedTensorBytes` counts the bytes autograd saves for the
  backward pass (each storage once) with ``torch.autograd.graph.saved_tensors_hooks``.
- Fresh processes: :func:`run_child` runs a script's ``--child`` mode and parses the
  JSON object it prints last, so that each measurement starts from a clean process.
- Growth exponents: :func:`loglog_slope`, the least-squares slope of log y on log x.
- Output: :func:`write_results` writes the Markdown and JSON files of a benchmark.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MIB = 2**20


# --------------------------------------------------------------------- provenance
def cpu_model() -> str:
    """CPU model name from ``/proc/cpuinfo`` (or what ``platform`` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str:
    """HEAD commit of the repository, with ``-dirty`` when the tree has changes."""
    try:
        run = dict(cwd=ROOT, capture_output=True, text=True, check=True)
        commit = subprocess.run(["git", "rev-parse", "HEAD"], **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], **run).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages (empty where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def environment(device: str = "cpu") -> dict[str, Any]:
    """Machine, versions, commit and date of a benchmark run.

    Versions come from the installed distributions, so that nothing heavy is imported;
    torch is imported only to name the GPU when ``device`` is ``"cuda"``.
    """
    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpu": None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": _version("torch"),
        "pytorch_lightning": _version("pytorch-lightning"),
        "acmix_ts": _version("acmix_ts"),
        "git_commit": git_commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if device == "cuda":
        import torch

        info["gpu"] = torch.cuda.get_device_name(0)
        info["float32_matmul_precision"] = torch.get_float32_matmul_precision()
    return info


# ------------------------------------------------------------------- CPU memory
def _status_kib(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def current_rss_mib() -> float:
    """Resident set size of this process now, in MiB."""
    kib = _status_kib("VmRSS")
    if kib is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return kib / 1024


def reset_peak_rss() -> bool:
    """Reset the peak resident set size to the current one; False if unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float:
    """Peak resident set size of this process (since the last reset), in MiB."""
    kib = _status_kib("VmHWM")
    if kib is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return kib / 1024


class SavedTensorBytes:
    """Count the bytes of the tensors autograd saves for backward inside the block.

    Each storage is counted once (views of one storage share it). Parameters saved by
    layers (e.g. the weight of a linear map) are included: they are what backward reads.

    Examples
    --------
    >>> import torch
    >>> w = torch.ones(3, requires_grad=True)
    >>> with SavedTensorBytes() as saved:
    ...     loss = (w * torch.ones(3)).sum()
    >>> saved.nbytes
    24
    """

    def __init__(self) -> None:
        self._sizes: dict[int, int] = {}
        self._hooks: Any = None

    def _pack(self, tensor: Any) -> Any:
        storage = tensor.untyped_storage()
        self._sizes[storage.data_ptr()] = storage.nbytes()
        return tensor

    def __enter__(self) -> SavedTensorBytes:
        import torch

        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._hooks.__exit__(*exc)

    @property
    def nbytes(self) -> int:
        """Bytes counted so far."""
        return sum(self._sizes.values())


# ----------------------------------------------------------------- processes
def run_child(module: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run ``python -m module --child JSON`` in a fresh interpreter; return its last JSON line.

    A crash or a time-out is returned as ``{"status": "failed: ..."}`` instead of
    raising, so that one bad configuration does not stop a whole benchmark.
    """
    command = [sys.executable, "-m", module, "--child", json.dumps(spec)]
    try:
        out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": f"failed: time-out after {timeout:.0f} s"}
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": f"failed: exit {out.returncode}: {tail[:200]}"}
    return json.loads(lines[-1])


# ------------------------------------------------------------------------ fits
def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Least-squares slope of ``log y`` on ``log x``: the growth exponent of y in x.

    Points with a non-finite or non-positive value are dropped; fewer than two distinct
    x left gives None.
    """
    pairs = [
        (math.log(x), math.log(y))
        for x, y in zip(xs, ys, strict=True)
        if y is not None and math.isfinite(y) and x > 0 and y > 0
    ]
    if len({p[0] for p in pairs}) < 2:
        return None
    mx = sum(p[0] for p in pairs) / len(pairs)
    my = sum(p[1] for p in pairs) / len(pairs)
    sxx = sum((a - mx) ** 2 for a, _ in pairs)
    return sum((a - mx) * (b - my) for a, b in pairs) / sxx


# ---------------------------------------------------------------------- output
def write_results(out_dir: Path, name: str, lines: list[str], payload: dict[str, Any]) -> None:
    """Write ``name.md`` (the lines) and ``name.json`` (the payload) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out_dir / f"{name}.md").write_text("\n".join(lines) + "\n")
