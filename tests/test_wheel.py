"""The wheel a stranger installs: built with ``pip wheel --no-deps .``, used from a fresh venv.

The fresh environment gets the wheel alone (``--no-deps``); the already installed
dependencies (torch, Lightning, pandas ...) are made visible to it through a ``.pth``
file, so that the test needs no network and no second torch. The editable install of
the development environment is *not* visible there (a plain path entry does not run
its finder), and the commands run outside the repository, so ``acmix_ts`` can only come
from the wheel.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         str(ROOT), "-w", str(out)],
        check=True, capture_output=True, cwd=out,
    )  # fmt: skip
    (path,) = out.glob("acmix_ts-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel; returns its bin folder."""
    env = tmp_path_factory.mktemp("env")
    venv.EnvBuilder(with_pip=False).create(env)
    bin_dir = env / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    (Path(purelib) / "parent_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", purelib,
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    # pip --target installs no console scripts: write the one the wheel declares.
    (bin_dir / "acmix-ts").write_text(
        f"#!{python}\nimport sys\nfrom acmix_ts.cli import main\nsys.exit(main())\n"
    )
    (bin_dir / "acmix-ts").chmod(0o755)
    return bin_dir


def run_in(bin_dir: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ACMIX_TS_DATA")}
    environment["PATH"] = f"{bin_dir}{os.pathsep}{environment.get('PATH', '')}"
    return subprocess.run(args, cwd=cwd, env=environment, capture_output=True, text=True)


def test_wheel_holds_the_dataset_the_typing_marker_and_the_cli(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "acmix_ts/data/builtin/ETTh1.csv" in names
    assert "acmix_ts/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "acmix-ts = acmix_ts.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(n.startswith(("tests/", "benchmarks/", "examples/")) for n in names)


# The command; a step budget keeps it to seconds (the full default budget, about
# 80 s here, is `make demo`'s).
FORECAST = ["acmix-ts", "forecast", "--dataset", "ETTh1", "--horizon", "24"]


def test_installed_wheel_forecasts_from_the_command_line(installed: Path, tmp_path: Path) -> None:
    where = run_in(installed, ["python", "-c", "import acmix_ts; print(acmix_ts.__file__)"],
                   tmp_path)  # fmt: skip
    assert where.returncode == 0, where.stderr
    assert str(ROOT) not in where.stdout  # the wheel's copy, not the source tree
    done = run_in(installed, [*FORECAST, "--max-steps", "30", "--output", "forecast.csv"],
                  tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "forecast.csv").read_text().splitlines()
    assert len(lines) == 1 + 24 * 7  # a header, then 24 steps of each of ETTh1's 7 series


def test_installed_wheel_runs_an_example(installed: Path, tmp_path: Path) -> None:
    done = run_in(installed, ["python", str(ROOT / "examples" / "quickstart.py"), "--quick"],
                  tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "MAE" in done.stdout
