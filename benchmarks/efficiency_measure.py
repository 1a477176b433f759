"""Measurements of the efficiency benchmark, each run in one (often fresh) process.

Everything here imports torch lazily, so that ``efficiency.py --help`` and the parent
process of an isolated run stay light. :func:`run_spec` is the entry point: the parent
calls it directly, or ``efficiency.py --child JSON`` calls it in a fresh interpreter
(``_measure.run_child``: ``python -m benchmarks.efficiency --child``).

- Training step (:func:`measure_training`, :func:`run_training`): forward + backward +
  AdamW step of a bare network of :data:`MODELS` on random data; throughput, peak memory
  and the bytes autograd saves for backward; OOM and compile failures become a status.
- ``predict`` latency (:func:`measure_predict`) of a fitted ``ACMixForecaster``.
- Profile (:func:`measure_profile`): :data:`PROFILE_VARIANTS` timed side by side and
  torch.profiler operator tables of ACMix and PatchTST.
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any

from benchmarks._measure import MIB, SavedTensorBytes, current_rss_mib, peak_rss_mib, reset_peak_rss

# name -> (class in acmix_ts.nn, ACMixConfig overrides, label)
MODELS: dict[str, tuple[str, dict[str, Any], str]] = {
    "acmix": ("ACMixNetwork", {}, "ACMix, windowed (default)"),
    "acmix_full": ("ACMixNetwork", {"window_size": None}, "ACMix, full attention"),
    "acmix_ms": ("ACMixNetwork", {"n_stages": 2, "n_blocks": 1}, "ACMix, 2 stages (multi-scale)"),
    "patchtst": ("PatchTSTNetwork", {}, "PatchTST-style, full attention"),
    "dlinear": ("DLinear", {}, "DLinear"),
}
# Network variants of ``--profile``: which part of ACMix costs what, next to PatchTST.
PROFILE_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "PatchTST-style": ("PatchTSTNetwork", {}),
    "ACMix (default)": ("ACMixNetwork", {}),
    "ACMix, attention path only": ("ACMixNetwork", {"fusion": "attention"}),
    "ACMix, conv path only": ("ACMixNetwork", {"fusion": "conv"}),
    "ACMix, full attention": ("ACMixNetwork", {"window_size": None}),
    "PatchTST-style, dropout 0": ("PatchTSTNetwork", {"dropout": 0.0}),
    "ACMix (default), dropout 0": ("ACMixNetwork", {"dropout": 0.0}),
}


# ------------------------------------------------------------- measurements
def _sync_and_oom(device: str) -> tuple[Any, type[BaseException]]:
    """(synchronise, out-of-memory exception) for ``device``."""
    import torch

    if device == "cuda":
        return torch.cuda.synchronize, torch.OutOfMemoryError
    return (lambda: None), MemoryError


def _timed(step: Any, n: int, sync: Any) -> list[float]:
    """Wall seconds of ``n`` calls of ``step``, synchronised before and after each."""
    times = []
    for _ in range(n):
        sync()
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    return times


def _setup(spec: dict[str, Any], model: str) -> tuple[Any, Any, Any, Any]:
    """Network, AdamW, input batch (B, L, 1) and target (B, H, 1) of ``spec`` on its device.

    ``model`` is a key of :data:`MODELS` or of :data:`PROFILE_VARIANTS`.
    """
    import torch

    import acmix_ts.nn as networks
    from acmix_ts.training.module import fused_supported

    torch.manual_seed(spec["seed"])
    class_name, overrides = {**MODELS, **PROFILE_VARIANTS}[model][:2]
    config = networks.ACMixConfig(spec["lookback"], spec["horizon"], **overrides)
    network = getattr(networks, class_name)(config).to(spec["device"])
    params = list(network.parameters())
    fused = spec.get("fused_adamw", False) and fused_supported(params)  # older runs: loop
    optimizer = torch.optim.AdamW(params, lr=1e-3, fused=fused)
    y = torch.randn(spec["batch_size"], spec["lookback"], 1, device=spec["device"])
    target = torch.randn(spec["batch_size"], spec["horizon"], 1, device=spec["device"])
    return network, optimizer, y, target


def _step_fn(run: Any, optimizer: Any, y: Any, target: Any, bf16: bool) -> Any:
    """A closure running one training step: forecast, MSE, backward, AdamW step."""
    import torch

    def step() -> None:
        with torch.autocast(y.device.type, dtype=torch.bfloat16, enabled=bf16):
            forecast = run(y)  # (B, H, 1, 1)
        loss = torch.nn.functional.mse_loss(forecast[..., 0].float(), target)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def _saved_mib(network: Any, y: Any, bf16: bool) -> float:
    """MiB that autograd saves for backward in one forward pass of the eager network."""
    import torch

    with SavedTensorBytes() as saved, torch.autocast(y.device.type, torch.bfloat16, bf16):
        forecast = network(y)
    forecast.float().sum().backward()
    network.zero_grad(set_to_none=True)
    return saved.nbytes / MIB


def measure_training(spec: dict[str, Any]) -> dict[str, Any]:
    """Throughput and memory of one (model, L); see the module docstring."""
    import torch

    device, bf16 = spec["device"], spec["precision"] == "bf16"
    sync, _ = _sync_and_oom(device)
    network, optimizer, y, target = _setup(spec, spec["model"])
    if spec["compile"]:
        import torch._inductor.config as inductor_config

        torch._dynamo.reset()  # a fresh cache, so no earlier model forces an eager fallback
        inductor_config.force_disable_caches = True  # the first step is a cold compile
    step = _step_fn(
        torch.compile(network) if spec["compile"] else network, optimizer, y, target, bf16
    )
    rss_before, peak_reset = current_rss_mib(), reset_peak_rss()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    first = _timed(step, spec["warmup"], sync)
    median = statistics.median(_timed(step, spec["steps"], sync))
    row: dict[str, Any] = {
        "status": "ok",
        "n_parameters": sum(p.numel() for p in network.parameters()),
        "n_tokens": None if spec["model"] == "dlinear" else network.config.n_tokens,
        "step_seconds": median,
        "first_step_seconds": first[0] if first else None,
        "throughput": spec["batch_size"] / median,
    }
    if device == "cuda":
        row["memory_mib"] = torch.cuda.max_memory_allocated() / MIB
    elif spec["isolate"]:  # the RSS of a process that ran other models is not comparable
        row.update(memory_mib=peak_rss_mib() - rss_before, peak_reset=peak_reset)
    else:
        row["memory_mib"] = None
    if not spec["compile"]:
        row["saved_mib"] = _saved_mib(network, y, bf16)
    return row


def run_training(spec: dict[str, Any]) -> dict[str, Any]:
    """:func:`measure_training`, with out-of-memory and compile failures as a status."""
    import torch

    _, oom = _sync_and_oom(spec["device"])
    try:
        row = measure_training(spec)
    except oom:
        row = {"status": "OOM"}
    except Exception as e:  # a failing torch.compile is a result, not a crash
        if "out of memory" in str(e).lower():  # e.g. wrapped by the compiler
            row = {"status": "OOM"}
        elif spec["compile"]:
            row = {"status": f"compile failed: {type(e).__name__}: {str(e)[:160]}"}
        else:
            raise
    gc.collect()
    if spec["device"] == "cuda":
        torch.cuda.empty_cache()
    return row


def synthetic_panel(n_series: int, n_steps: int, seed: int) -> Any:
    """Long frame of noisy daily sinusoids: ``unique_id``, ``ds`` (hourly), ``y``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, (n_series, 1))
    y = 10 + 3 * np.sin(2 * np.pi * np.arange(n_steps) / 24 + phase)
    y = y + rng.normal(0, 0.3, (n_series, n_steps))
    ds = pd.date_range("2024-01-01", periods=n_steps, freq="h")
    ids = np.repeat([f"s{i}" for i in range(n_series)], n_steps)
    return pd.DataFrame({"unique_id": ids, "ds": np.tile(ds, n_series), "y": y.reshape(-1)})


def measure_predict(spec: dict[str, Any]) -> dict[str, Any]:
    """Fit ACMixForecaster for one epoch, then time ``predict(df=...)`` (median of calls)."""
    import torch

    from acmix_ts import ACMixForecaster

    device, context, horizon = spec["device"], spec["predict_context"], spec["predict_horizon"]
    trainer_kwargs: dict[str, Any] = {"accelerator": "gpu" if device == "cuda" else "cpu"}
    if spec["precision"] == "bf16":
        trainer_kwargs["precision"] = "bf16-mixed"
    model = ACMixForecaster(
        horizon=horizon,
        context_length=context,
        max_epochs=1,
        batch_size=32,
        random_state=spec["seed"],
        trainer_kwargs=trainer_kwargs,
    )
    start = time.perf_counter()
    model.fit(synthetic_panel(8, context + 3 * horizon + 64, spec["seed"]))
    result: dict[str, Any] = {"fit_seconds": time.perf_counter() - start, "latency": []}
    model.network_.to(device)  # fit returns it on the CPU; predict runs where it lives
    sync, _ = _sync_and_oom(device)
    for n_series in spec["predict_series"]:
        history = synthetic_panel(n_series, context, spec["seed"] + 1)
        model.predict(df=history)  # warm-up
        calls = _timed(lambda h=history: model.predict(df=h), spec["predict_calls"], sync)
        x = torch.randn(n_series, context, 1, device=device)
        with torch.no_grad():
            forward = _timed(lambda x=x: model.network_(x), spec["predict_calls"], sync)
        result["latency"].append(
            {
                "n_series": n_series,
                "predict_ms": 1e3 * statistics.median(calls),
                "forward_ms": 1e3 * statistics.median(forward),
            }
        )
    return result


def measure_profile(spec: dict[str, Any]) -> dict[str, Any]:
    """Where the step time goes: network variants timed side by side, operator tables."""
    from torch.profiler import ProfilerActivity, profile

    cuda, bf16 = spec["device"] == "cuda", spec["precision"] == "bf16"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    tables = {}
    for model in ("acmix", "patchtst"):
        step = _step_fn(*_setup(spec, model), bf16=bf16)
        for _ in range(3):
            step()
        with profile(activities=activities) as prof:
            for _ in range(5):
                step()
        sort = "self_device_time_total" if cuda else "self_cpu_time_total"
        tables[model] = prof.key_averages().table(sort_by=sort, row_limit=14)
    return {"tables": tables, "variants_ms": _variant_times(spec, rounds=20)}


def _variant_times(spec: dict[str, Any], rounds: int) -> dict[str, float]:
    """Median step ms of each of :data:`PROFILE_VARIANTS`, interleaved round by round."""
    sync, _ = _sync_and_oom(spec["device"])
    bf16 = spec["precision"] == "bf16"
    steps = {name: _step_fn(*_setup(spec, name), bf16=bf16) for name in PROFILE_VARIANTS}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(3 + rounds):
        for name, step in steps.items():
            times[name] += _timed(step, 1, sync)
    return {name: 1e3 * statistics.median(t[3:]) for name, t in times.items()}


# -------------------------------------------------------------- entry point
def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement (``spec['kind']``) in this process: the child entry point."""
    import torch

    if spec["device"] == "cpu":
        torch.set_num_threads(spec["threads"])
    kinds = {"train": run_training, "predict": measure_predict, "profile": measure_profile}
    return kinds[spec["kind"]](spec)
