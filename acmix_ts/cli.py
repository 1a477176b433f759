"""The ``acmix-ts`` command: forecast, backtest and benchmark from the shell.

Every command reads one of three inputs: a CSV/Parquet file (long ``unique_id,ds,y`` or
wide with a date column), a built-in / LTSF dataset (``--dataset ETTh1``) or stock
tickers (``--tickers AAPL MSFT``). Bad input prints one line to stderr and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import acmix_ts
from acmix_ts.cli_commands import (
    BENCHMARKS,
    MODEL_OPTIONS,
    cmd_backtest,
    cmd_benchmark,
    cmd_forecast,
    cmd_tune,
    make_model,
)
from acmix_ts.cli_inputs import Names
from acmix_ts.nn import FUSION_MODES

__all__ = ["Names", "build_parser", "main", "make_model"]

EPILOG = """\
examples:
  acmix-ts forecast --dataset ETTh1 --target OT --horizon 24 --output forecast.csv --plot fc.png
  acmix-ts forecast sales.csv --id-col store --time-col date --target-col sales --level 80 95
  acmix-ts forecast wide.csv --time-col date --target OT   (wide file: one column per series)
  acmix-ts forecast --tickers AAPL MSFT --start 2020-01-01 --horizon 5 --save-model aapl_model
  acmix-ts backtest --dataset ETTh1 --n-windows 5 --refit --output cv.csv
  acmix-ts tune --dataset ETTh1 --target OT --n-trials 20 --storage sqlite:///s.db --study-name s
  acmix-ts benchmark ltsf --smoke --datasets ETTh1    (other arguments go to the script;
  acmix-ts benchmark ltsf -- --help                    after --, all of them do)
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the epilog's line breaks; show the default of options that have one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if action.option_strings and default is not None and default is not False:
            if default is not argparse.SUPPRESS and "%(default)" not in text:
                text += " (default: %(default)s)"
        return text


# --------------------------------------------------------------------------- parser
def _add_input_args(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("input (one of)")
    one = source.add_mutually_exclusive_group()
    one.add_argument("input", nargs="?", help="CSV or Parquet file, long or wide")
    one.add_argument("--dataset", metavar="NAME", help="built-in / LTSF dataset, e.g. ETTh1")
    one.add_argument("--tickers", nargs="+", metavar="SYMBOL", help="stock tickers (yfinance)")
    columns = parser.add_argument_group("columns and selection")
    columns.add_argument("--id-col", default="unique_id", help="series id column of a long file")
    columns.add_argument("--time-col", help="time column (default: ds, date, Date, ...)")
    columns.add_argument("--target-col", default="y", help="value column of a long file")
    columns.add_argument(
        "--target", nargs="+", metavar="COL", help="columns to forecast in a wide file / dataset"
    )
    columns.add_argument(
        "--tail", type=int, metavar="N", help="use only the last N steps of each series"
    )
    columns.add_argument("--start", help="first date of the ticker prices (YYYY-MM-DD)")
    columns.add_argument("--end", help="end date of the ticker prices (exclusive)")
    columns.add_argument("--cache-dir", help="price cache folder (default: user cache)")


def _add_model_args(parser: argparse.ArgumentParser) -> None:
    model = parser.add_argument_group("model and training")
    for flag, kind, default, text in MODEL_OPTIONS:
        model.add_argument(flag, type=kind, default=default, help=text)
    model.add_argument("--fusion", default="scalar", choices=FUSION_MODES, help="path mixing")
    model.add_argument("--seed", type=int, default=0, help="random seed")
    model.add_argument(
        "--level", type=float, nargs="+", metavar="PCT",
        help="interval levels, e.g. 80 95: conformal intervals, as predict(level=...)",
    )  # fmt: skip
    model.add_argument(
        "--quantile-loss", action="store_true",
        help="train quantiles for the --level intervals instead (loss='quantile')",
    )  # fmt: skip


def _add_output_args(parser: argparse.ArgumentParser, default: str) -> argparse._ArgumentGroup:
    out = parser.add_argument_group("output")
    out.add_argument(
        "--output", "-o", default=default,
        help="file to write: CSV, or Parquet for a .parquet name; - for stdout (CSV)",
    )  # fmt: skip
    out.add_argument("--plot", metavar="PNG", help="also save a plot")
    talk = out.add_mutually_exclusive_group()
    talk.add_argument("--progress", action="store_true", help="show training progress bars")
    talk.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    return out


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``acmix-ts`` (subcommands forecast, backtest, benchmark)."""
    versions = f"acmix-ts {acmix_ts.__version__} (Python {sys.version.split()[0]})"
    parser = argparse.ArgumentParser(
        prog="acmix-ts",
        description="Forecast time series with ACMix networks (attention + convolution).",
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=versions)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    kinds: dict[str, Any] = {"formatter_class": _Formatter, "epilog": EPILOG}

    forecast = commands.add_parser(
        "forecast", help="train on all the data and forecast what comes next", **kinds
    )
    _add_input_args(forecast)
    _add_model_args(forecast)
    output = _add_output_args(forecast, "forecast.csv")
    output.add_argument("--save-model", metavar="DIR", help="save the fitted model there")
    forecast.set_defaults(func=cmd_forecast)

    tune = commands.add_parser(
        "tune", help="search the ACMix settings with Optuna, then forecast with the best",
        **kinds,
    )  # fmt: skip
    _add_input_args(tune)
    search = tune.add_argument_group("search (pip install acmix_ts[tuning])")
    search.add_argument("--horizon", type=int, default=24, help="steps to forecast")
    search.add_argument("--n-trials", type=int, default=20, help="trials of this run")
    search.add_argument("--timeout", type=float, help="seconds for the search")
    search.add_argument("--val-windows", type=int, default=2, help="validation windows")
    search.add_argument("--storage", help="Optuna storage, e.g. sqlite:///acmix.db")
    search.add_argument("--study-name", help="study name: resumes, or is shared by workers")
    search.add_argument("--seed", type=int, default=0, help="random seed")
    output = _add_output_args(tune, "forecast.csv")
    output.add_argument("--save-model", metavar="DIR", help="save the best model there")
    output.add_argument("--plots", metavar="DIR", help="save the study's plots there")
    tune.set_defaults(func=cmd_tune, level=None)

    backtest = commands.add_parser(
        "backtest", help="rolling-origin backtest against the naive forecast", **kinds
    )
    _add_input_args(backtest)
    _add_model_args(backtest)
    _add_output_args(backtest, "backtest.csv")
    windows = backtest.add_argument_group("windows")
    windows.add_argument("--n-windows", type=int, default=3, help="forecast windows")
    windows.add_argument("--step-size", type=int, help="steps between cutoffs (default: horizon)")
    windows.add_argument(
        "--refit",
        type=int,
        nargs="?",
        const=1,
        default=0,
        metavar="K",
        help="refit every K windows; --refit alone: every window; 0: fit once",
    )
    backtest.set_defaults(func=cmd_backtest)

    bench = commands.add_parser(
        "benchmark",
        help="run a script of the repository's benchmarks/ folder",
        description="Run python -m benchmarks.<NAME>; other arguments are passed on.",
        epilog="example:\n  acmix-ts benchmark efficiency --smoke --devices 1",
        formatter_class=_Formatter,
        allow_abbrev=False,  # "--h" must reach the script, not become --help
    )
    bench.add_argument("name", metavar="NAME", help=f"benchmark: {', '.join(BENCHMARKS)}")
    bench.add_argument("--smoke", action="store_true", help="a tiny run to check it works")
    bench.add_argument("--bench-dir", help="benchmarks folder (default: beside the package)")
    bench.add_argument("--quiet", "-q", action="store_true", help="do not echo the command")
    bench.set_defaults(func=cmd_benchmark, extra=[])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``acmix-ts`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "benchmark":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as e:  # --help, --version and usage errors
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    args.extra = extra
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"acmix-ts {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
