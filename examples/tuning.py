"""Tune ACMix on ETTh1's oil temperature with Optuna, then compare with the defaults.

The search (``acmix_ts.tuning.AutoACMixForecaster``) scores every trial on the two days
before a held-out test day and never sees that day; the tuned and the default model are
then scored on it (MASE against the in-sample seasonal naive, via ``score``).
The study's optimisation history and parameter importances are saved as PNGs.

Run: ``python examples/tuning.py [--quick] [--trials 20] [--storage sqlite:///t.db]``;
needs ``pip install acmix_ts[tuning]`` (Optuna) and matplotlib for the plots.
"""

from __future__ import annotations

import argparse
import time

from acmix_ts import ACMixForecaster, load_ltsf
from acmix_ts.tuning import AutoACMixForecaster, save_plots


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 trials of 20 steps each")
    parser.add_argument("--trials", type=int, default=20, help="Optuna trials")
    parser.add_argument("--storage", help="Optuna storage URL (several workers share it)")
    parser.add_argument("--plots", default="tuning_plots", help="folder for the PNGs")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    wide = load_ltsf("ETTh1").iloc[:14400]
    df = wide[["date", "OT"]].rename(columns={"date": "ds", "OT": "y"}).assign(unique_id="OT")
    train = df.iloc[:-24]  # the last day is the test day
    fixed = {"max_steps": 20} if args.quick else {}
    auto = AutoACMixForecaster(
        horizon=24, n_trials=2 if args.quick else args.trials, storage=args.storage,
        study_name="etth1_ot" if args.storage else None, fixed=fixed,
    ).fit(train)  # fmt: skip
    default = ACMixForecaster(horizon=24, **fixed).fit(train)
    print(f"{len(auto.study_.trials)} trials; best validation MASE {auto.study_.best_value:.3f}")
    print("best setting:", ", ".join(f"{k}={v}" for k, v in auto.best_params_.items()))
    for name, model in (("tuned", auto), ("default", default)):
        print(f"  {name:7s} test-day MASE {-model.score(df):.3f}")  # the last 24 h of df
    for path in save_plots(auto.study_, args.plots):
        print(f"Wrote {path}")
    print(f"Done in {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
