"""Data-parallel training (DDP) on several GPUs, several nodes, or two CPU processes.

``ACMixForecaster`` passes ``trainer_kwargs`` to PyTorch Lightning, which runs
DistributedDataParallel: every process holds a copy of the network, reads its share of
each epoch's windows and averages the gradients. The fitted estimator then predicts on
one device, in the process that called ``fit``.

One machine::

    python examples/multi_gpu.py --accelerator gpu --devices 4 --strategy ddp
    python examples/multi_gpu.py --accelerator gpu --devices 1            # one GPU
    python examples/multi_gpu.py --accelerator cpu --devices 2 --strategy ddp_spawn

``ddp`` re-launches this script once per extra device (keep the
``if __name__ == "__main__"`` guard); ``ddp_spawn`` starts the workers with
multiprocessing instead, which also works from notebooks and on CPU (gloo backend).

Several machines (Lightning reads the cluster's environment variables itself):

- SLURM, 2 nodes x 4 GPUs, one task per GPU (``#SBATCH --nodes=2
  --ntasks-per-node=4 --gpus-per-node=4``)::

      srun python examples/multi_gpu.py --accelerator gpu --num-nodes 2 --devices 4

- torchrun, run on every node with its own ``--node-rank``::

      torchrun --nnodes 2 --nproc-per-node 4 --node-rank 0 \\
          --rdzv-backend c10d --rdzv-endpoint HOST0:29400 \\
          examples/multi_gpu.py --accelerator gpu --num-nodes 2 --devices 4

With torchrun or SLURM use ``--strategy ddp`` (the default here when ``--devices`` > 1
on GPU): the launcher already started one process per device. Every process runs this
whole script, so only rank 0 prints. The effective batch is ``batch_size`` x the number
of processes; raise ``learning_rate`` with it if training gets slower per epoch.
"""

from __future__ import annotations

import argparse
import time

from acmix_ts import ACMixForecaster, load_ltsf


def is_rank_zero() -> bool:
    """True in the process that should print (global rank 0, or no distributed run)."""
    from pytorch_lightning.utilities.rank_zero import rank_zero_only

    return getattr(rank_zero_only, "rank", 0) == 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accelerator", default="cpu", choices=("cpu", "gpu", "auto"))
    parser.add_argument("--devices", type=int, default=2, help="processes per node (2)")
    parser.add_argument("--num-nodes", type=int, default=1, help="machines (1)")
    parser.add_argument(
        "--strategy",
        choices=("ddp", "ddp_spawn", "auto"),
        help="default: ddp_spawn on CPU, ddp on GPU, auto for one device",
    )
    parser.add_argument("--max-epochs", type=int, default=2, help="training epochs (2)")
    parser.add_argument("--rows", type=int, default=8640, help="first rows of ETTh1 (8640)")
    parser.add_argument("--precision", default=None, help="e.g. bf16-mixed on recent GPUs")
    parser.add_argument("--quick", action="store_true", help="tiny model, 1 epoch (tests)")
    return parser.parse_args(argv)


def trainer_options(args: argparse.Namespace) -> dict:
    """The ``trainer_kwargs`` for Lightning from the command line."""
    strategy = args.strategy
    if strategy is None:
        several = args.devices * args.num_nodes > 1
        strategy = ("ddp_spawn" if args.accelerator == "cpu" else "ddp") if several else "auto"
    options = {
        "accelerator": args.accelerator,
        "devices": args.devices,
        "num_nodes": args.num_nodes,
        "strategy": strategy,
    }
    if args.precision:
        options["precision"] = args.precision
    return options


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    wide = load_ltsf("ETTh1").iloc[: 400 if args.quick else args.rows]
    df = wide.melt(id_vars="date", var_name="unique_id", value_name="y")
    df = df.rename(columns={"date": "ds"})
    size = dict(d_model=16, n_blocks=1) if args.quick else {}
    options = trainer_options(args)
    model = ACMixForecaster(
        horizon=24,
        context_length=96,
        batch_size=128,
        max_epochs=1 if args.quick else args.max_epochs,
        trainer_kwargs=options,
        **size,
    )
    start = time.perf_counter()
    model.fit(df)
    if not is_rank_zero():
        return
    seconds = time.perf_counter() - start
    print(f"Trained with {options} on {df['unique_id'].nunique()} series in {seconds:.1f} s")
    forecast = model.predict()  # one device, in this process
    print(forecast[forecast["unique_id"] == "OT"].head(6).round({"ACMix": 3}).to_string())


if __name__ == "__main__":
    main()
