"""A long look-back: 2,048 hours of ETTh1 read through windowed attention.

Full self-attention costs O(T^2) in the number of tokens T; ACMix's attention path looks
only inside windows of ``window_size`` tokens (alternately shifted), so time and memory
grow linearly with the look-back. With ``context_length=2048`` and patches of 16 steps
(stride 8) each series becomes 255 tokens; windows of 8 tokens keep every attention
matrix 8 x 8.

The script trains on the oil temperature (OT) of the built-in ETTh1 (offline), holds
out the last ``horizon`` hours, and prints the training time, the peak memory, and the
test error next to the naive (last value) forecast. ``--window-size 0`` switches to
full attention for comparison.

Usage::

    python examples/long_lookback.py                          # ~1 min on a laptop CPU
    python examples/long_lookback.py --context-length 4096 --accelerator gpu
    python examples/long_lookback.py --window-size 0          # full attention, slower
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import torch

from acmix_ts import ACMixForecaster, load_ltsf
from acmix_ts.metrics import mae


def peak_memory_mb(accelerator: str) -> str:
    """Peak memory so far: GPU memory allocated by torch, or the process's peak RSS."""
    if accelerator == "gpu" and torch.cuda.is_available():
        return f"{torch.cuda.max_memory_allocated() / 2**20:.0f} MB GPU (torch allocator)"
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss_kb / 2**20 if sys.platform == "darwin" else rss_kb / 2**10  # macOS: bytes
    return f"{rss_mb:.0f} MB peak RSS of the whole process (CPU)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context-length", type=int, default=2048, help="look-back (2048)")
    parser.add_argument("--horizon", type=int, default=96, help="hours forecast (96)")
    parser.add_argument("--window-size", type=int, default=8, help="tokens; 0 = full (8)")
    parser.add_argument("--rows", type=int, default=6000, help="last rows of ETTh1 used (6000)")
    parser.add_argument("--max-epochs", type=int, default=3, help="training epochs (3)")
    parser.add_argument("--accelerator", default="cpu", choices=("cpu", "gpu", "auto"))
    parser.add_argument("--quick", action="store_true", help="tiny model, 1 epoch (tests)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    wide = load_ltsf("ETTh1").iloc[:14400]  # the rows of the standard splits
    rows = args.context_length + 2 * args.horizon + 200 if args.quick else args.rows
    wide = wide.tail(max(rows, args.context_length + 3 * args.horizon))
    df = wide[["date", "OT"]].rename(columns={"date": "ds", "OT": "y"}).assign(unique_id="OT")
    train, test = df.iloc[: -args.horizon], df.iloc[-args.horizon :]

    size = dict(d_model=16, n_blocks=1) if args.quick else dict(d_model=32)
    model = ACMixForecaster(
        horizon=args.horizon,
        context_length=args.context_length,
        patch_len=16,
        window_size=args.window_size or None,
        max_epochs=1 if args.quick else args.max_epochs,
        batch_size=32,
        trainer_kwargs={"accelerator": args.accelerator},
        **size,
    )
    start = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - start
    n_tokens = model.network_.n_tokens
    window = f"windows of {args.window_size}" if args.window_size else "full attention"
    print(f"Look-back {args.context_length} steps = {n_tokens} tokens, {window}, {len(train)} rows")
    print(f"Training: {seconds:.1f} s, memory: {peak_memory_mb(args.accelerator)}")

    start = time.perf_counter()
    forecast = model.predict()
    print(f"Prediction: {1000 * (time.perf_counter() - start):.0f} ms")
    actual = test["y"].to_numpy()
    naive = np.full_like(actual, train["y"].iloc[-1])
    print(f"Test MAE over the last {args.horizon} hours of OT:")
    print(f"  ACMix {mae(actual, forecast['ACMix'].to_numpy()):.3f}")
    print(f"  Naive {mae(actual, naive):.3f}")


if __name__ == "__main__":
    main()
