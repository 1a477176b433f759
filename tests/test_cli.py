"""The ``acmix-ts`` command, run in-process through ``main([...])`` on tiny inputs."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import acmix_ts
from acmix_ts import ACMixForecaster
from acmix_ts.cli import main

TINY = [
    "--horizon", "6", "--context-length", "24", "--patch-len", "8", "--d-model", "16",
    "--n-heads", "2", "--n-blocks", "1", "--window-size", "2", "--max-epochs", "1",
]  # fmt: skip


def make_long(n_series: int = 2, n_steps: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frames = []
    for i in range(n_series):
        t = np.arange(n_steps)
        y = 5 + i + np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.1, n_steps)
        ds = pd.date_range("2024-01-01", periods=n_steps, freq="h")
        frames.append(pd.DataFrame({"store": f"s{i}", "date": ds, "sales": y}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def long_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    make_long().to_csv(path, index=False)
    return path


def test_forecast_from_long_csv_writes_forecast_and_model(tmp_path, long_csv, capsys) -> None:
    out, model_dir = tmp_path / "fc.csv", tmp_path / "model"
    names = ["--id-col", "store", "--time-col", "date", "--target-col", "sales"]
    argv = [
        "forecast",
        str(long_csv),
        *names,
        *TINY,
        "-o",
        str(out),
        "--save-model",
        str(model_dir),
    ]
    assert main(argv) == 0
    forecast = pd.read_csv(out, parse_dates=["date"])
    assert list(forecast.columns) == ["store", "date", "ACMix"]
    assert len(forecast) == 2 * 6 and forecast["ACMix"].notna().all()
    assert forecast.groupby("store")["date"].min().eq(pd.Timestamp("2024-01-06")).all()
    assert "Wrote" in capsys.readouterr().err
    loaded = acmix_ts.ACMixForecaster.load(model_dir)
    np.testing.assert_allclose(loaded.predict()["ACMix"], forecast["ACMix"], rtol=1e-5)


def test_forecast_wide_file_with_levels_plot_and_quiet(tmp_path, capsys) -> None:
    wide = make_long().pivot(index="date", columns="store", values="sales").reset_index()
    path, out, png = tmp_path / "wide.csv", tmp_path / "fc.csv", tmp_path / "fc.png"
    wide.to_csv(path, index=False)
    argv = ["forecast", str(path), "--target", "s1", "--level", "80", *TINY, "-o", str(out)]
    assert main([*argv, "--plot", str(png), "--quiet"]) == 0
    forecast = pd.read_csv(out)
    assert set(forecast["unique_id"]) == {"s1"}
    assert {"ACMix-lo-80", "ACMix-hi-80"} <= set(forecast.columns)
    assert (forecast["ACMix-lo-80"] <= forecast["ACMix-hi-80"]).all()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out == ""


def test_forecast_builtin_dataset(tmp_path) -> None:
    out = tmp_path / "fc.csv"
    argv = ["forecast", "--dataset", "ETTh1", "--target", "OT", "HUFL", "--tail", "150"]
    assert main([*argv, *TINY, "-o", str(out), "-q"]) == 0
    forecast = pd.read_csv(out, parse_dates=["ds"])
    assert sorted(forecast["unique_id"].unique()) == ["HUFL", "OT"]
    assert forecast["ds"].min() == pd.Timestamp("2018-06-26 20:00")  # after ETTh1's last row


def test_forecast_tickers_go_through_load_prices(tmp_path, monkeypatch) -> None:
    calls = {}

    def fake_load_prices(tickers, start=None, end=None, cache_dir=None):
        calls.update(tickers=tickers, start=start, cache_dir=cache_dir)
        days = pd.bdate_range("2024-01-01", periods=80)
        close = 100 + np.cumsum(np.random.default_rng(1).normal(0, 1, 80))
        return pd.DataFrame({"unique_id": "AAPL", "ds": days, "y": close})

    monkeypatch.setattr("acmix_ts.data.load_prices", fake_load_prices)
    out = tmp_path / "fc.csv"
    argv = ["forecast", "--tickers", "AAPL", "--start", "2024-01-01", "--cache-dir", "c"]
    assert main([*argv, *TINY, "-o", str(out), "-q"]) == 0
    assert calls == {"tickers": ["AAPL"], "start": "2024-01-01", "cache_dir": "c"}
    forecast = pd.read_csv(out, parse_dates=["ds"])
    assert (forecast["ds"].dt.day_of_week < 5).all()  # business days


def test_backtest_writes_cv_frame_and_prints_metrics(tmp_path, long_csv, capsys) -> None:
    out = tmp_path / "cv.csv"
    names = ["--id-col", "store", "--time-col", "date", "--target-col", "sales"]
    argv = ["backtest", str(long_csv), *names, *TINY, "--n-windows", "2", "-o", str(out)]
    assert main(argv) == 0
    cv = pd.read_csv(out, parse_dates=["date", "cutoff"])
    assert {"store", "date", "cutoff", "sales", "ACMix", "Naive"} <= set(cv.columns)
    assert cv["cutoff"].nunique() == 2 and len(cv) == 2 * 2 * 6
    # The naive forecast is the last observed value at the window's cutoff.
    data = make_long()
    row = cv.iloc[0]
    at_cutoff = data[(data["store"] == row["store"]) & (data["date"] == row["cutoff"])]
    assert row["Naive"] == pytest.approx(at_cutoff["sales"].iloc[0])
    printed = capsys.readouterr().err
    assert "MAE / naive" in printed and "Naive" in printed and "ACMix" in printed


@pytest.fixture
def bench_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    script = (
        "import sys\n"
        'if __name__ == "__main__":\n'
        "    print('ARGS', sys.argv[1:]); sys.exit(int(sys.argv[-1]) % 7)\n"
    )
    (folder / "stocks.py").write_text(script)
    (folder / "stocks_report.py").write_text("TABLE = 1\n")  # imported, not runnable
    return folder


def test_benchmark_names_match_runnable_scripts_only(bench_dir, capfd) -> None:
    assert main(["benchmark", "stock", "--bench-dir", str(bench_dir), "--", "5"]) == 5
    assert main(["benchmark", "stocks_report", "--bench-dir", str(bench_dir)]) == 2
    assert "Scripts there: ['stocks']" in capfd.readouterr().err


def test_benchmark_passes_arguments_and_exit_code(bench_dir, capfd) -> None:
    code = main(["benchmark", "stocks", "--bench-dir", str(bench_dir), "--smoke", "--h", "3"])
    assert code == 3
    assert "ARGS ['--smoke', '--h', '3']" in capfd.readouterr().out
    # After "--" everything goes to the script, even options acmix-ts knows.
    code = main(["benchmark", "stocks", "--bench-dir", str(bench_dir), "-q", "--", "-q", "8"])
    assert code == 1
    assert "ARGS ['-q', '8']" in capfd.readouterr().out


def test_benchmark_missing_script_or_folder_is_a_clear_error(bench_dir, tmp_path, capsys) -> None:
    assert main(["benchmark", "ltsf", "--bench-dir", str(bench_dir)]) == 2
    err = capsys.readouterr().err
    assert "'ltsf'" in err and "stocks" in err and "Traceback" not in err
    assert main(["benchmark", "ltsf", "--bench-dir", str(tmp_path / "nowhere")]) == 2
    assert "--bench-dir" in capsys.readouterr().err


def test_benchmark_default_folder_is_beside_the_package(monkeypatch) -> None:
    called = {}
    monkeypatch.setattr("subprocess.call", lambda cmd, cwd: called.update(cmd=cmd) or 0)
    folder = Path(acmix_ts.__file__).resolve().parents[1] / "benchmarks"
    if not (folder / "efficiency.py").is_file():
        pytest.skip("not a source checkout")
    assert main(["benchmark", "efficiency", "--smoke", "-q"]) == 0
    assert called["cmd"] == [sys.executable, "-m", "benchmarks.efficiency", "--smoke"]


@pytest.mark.parametrize("argv", [["--help"], ["forecast", "--help"], ["--version"]])
def test_help_and_version_exit_zero(argv, capsys) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "acmix-ts" in out
    if argv == ["--help"]:
        assert "examples:" in out and "forecast" in out and "benchmark" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["forecast", "missing.csv"], "does not exist"),
        (["forecast", "{csv}", "--target-col", "sales"], "--id-col"),
        (["forecast", "{csv}", "--id-col", "store", "--target-col", "sale"], "--target-col"),
        (["forecast", "--dataset", "ETTh9"], "ETTh1"),
        (["forecast", "--dataset", "ETTh1", "--target", "NOPE"], "--target"),
        (["forecast", "--dataset", "ETTh1", "--level", "150"], "level"),
        (["forecast"], "No input"),
    ],
)
def test_bad_input_exits_2_with_a_message(argv, message, long_csv, capsys) -> None:
    argv = [a.replace("{csv}", str(long_csv)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_nan_in_data_reports_the_series(tmp_path, capsys) -> None:
    frame = make_long()
    frame.loc[5, "sales"] = np.nan
    path = tmp_path / "nan.csv"
    frame.to_csv(path, index=False)
    argv = ["forecast", str(path), "--id-col", "store", "--time-col", "date"]
    assert main([*argv, "--target-col", "sales", *TINY]) == 2
    assert "s0" in capsys.readouterr().err


def test_unknown_option_is_a_usage_error(capsys) -> None:
    assert main(["forecast", "--dataset", "ETTh1", "--bogus"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err


CLI_SIZES = ("context_length", "max_epochs", "max_steps", "patch_len", "d_model", "n_heads",
             "n_blocks", "window_size", "batch_size")  # fmt: skip


def test_model_options_reach_the_estimator() -> None:
    from acmix_ts.cli import Names, build_parser, make_model

    args = build_parser().parse_args(
        ["forecast", "--dataset", "ETTh1", "--progress", "--level", "80", "--fusion", "gate"]
    )
    model = make_model(args, Names())
    assert model.progress_bar is True and model.fusion == "gate"
    assert model.loss == "mse"  # --level: conformal intervals, as predict(level=...)
    trained = ["forecast", "x.csv", "--level", "80", "--quantile-loss", "--window-size", "0"]
    quantile = make_model(build_parser().parse_args(trained), Names())
    assert quantile.loss == "quantile" and quantile.quantiles == (0.1, 0.9)
    assert quantile.window_size is None  # 0 = full attention
    quiet = make_model(build_parser().parse_args(["forecast", "x.csv", "-q"]), Names())
    assert quiet.progress_bar is False and quiet.loss == "mse"
    defaults = {k: v for k, v in ACMixForecaster().get_params().items() if k in CLI_SIZES}
    assert {k: quiet.get_params()[k] for k in CLI_SIZES} == defaults  # the estimator's own


def test_output_in_missing_folder_fails_before_training(tmp_path, long_csv, capsys) -> None:
    argv = ["forecast", str(long_csv), "--id-col", "store", "--time-col", "date"]
    argv += ["--target-col", "sales", *TINY, "-o", str(tmp_path / "nowhere" / "f.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the folder" in err[0] and "does not exist" in err[0]


def test_output_to_stdout_and_parquet(tmp_path, long_csv, capsys) -> None:
    argv = ["forecast", str(long_csv), "--id-col", "store", "--time-col", "date"]
    argv += ["--target-col", "sales", *TINY]
    assert main([*argv, "-o", "-"]) == 0
    out, err = capsys.readouterr()
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns) == ["store", "date", "ACMix"] and len(table) == 12
    assert "Trained on 2 series" in err and not (Path.cwd() / "-").exists()
    parquet = str(tmp_path / "f.parquet")
    if importlib.util.find_spec("pyarrow") is None:  # refused before training, in one line
        assert main([*argv, "-o", parquet]) == 2
        assert "needs pyarrow" in capsys.readouterr().err
        return
    assert main([*argv, "-o", parquet, "-q"]) == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "f.parquet")[["ACMix"]], table[["ACMix"]], check_exact=False
    )


def test_wide_file_says_which_columns_it_forecasts(tmp_path, capsys) -> None:
    wide = make_long(3).pivot(index="date", columns="store", values="sales").reset_index()
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    assert main(["forecast", str(path), *TINY, "-o", str(tmp_path / "f.csv")]) == 0
    assert "Forecasting all 3 columns" in capsys.readouterr().err


def test_tune_searches_then_forecasts_with_the_best(tmp_path, long_csv, capsys) -> None:
    pytest.importorskip("optuna")
    url = f"sqlite:///{tmp_path / 's.db'}"
    argv = ["tune", str(long_csv), "--id-col", "store", "--time-col", "date"]
    argv += ["--target-col", "sales", "--horizon", "6", "--n-trials", "2"]
    argv += ["--storage", url, "--study-name", "s", "-o", str(tmp_path / "f.csv")]
    argv += ["--plots", str(tmp_path / "plots")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "2 trials; best validation MASE" in err and "fusion=" in err
    assert len(pd.read_csv(tmp_path / "f.csv")) == 2 * 6
    assert (tmp_path / "plots" / "optimization_history.png").is_file()
    assert main(argv) == 0  # the study resumes: 2 more trials
    assert "4 trials" in capsys.readouterr().err
