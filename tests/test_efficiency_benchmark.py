"""The efficiency benchmark (issue 7) and the GPU-path training options it measures.

- ``python -m benchmarks.efficiency --smoke`` runs end to end and writes finite results; the
  growth-exponent fit and the saved-tensor counter are right on known inputs.
- bf16 autocast trains end to end (Lightning's ``bf16-mixed`` also runs on CPU), with
  and without the fp32 convolution path; pinned host memory when training on CUDA; no
  host-device synchronisation inside ``training_step``; ``torch.compile`` of the network
  behind ``compile=True``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

import acmix_ts.estimator.fitting as fitting_module
import acmix_ts.training.run as run_module
from acmix_ts import ACMixForecaster
from acmix_ts.nn import ACMixConfig, ACMixNetwork
from acmix_ts.training import (
    ForecastingModule,
    SeriesArrays,
    TrainingConfig,
    WindowDataset,
    make_loader,
)
from acmix_ts.training.trainer import make_trainer
from benchmarks._measure import SavedTensorBytes, loglog_slope

from .estimator.conftest import TINY, make_panel

REPO = Path(__file__).resolve().parents[1]

MODELS = ("acmix", "acmix_full", "acmix_ms", "patchtst", "dlinear")


def _run_benchmark(out_dir: Path, *extra: str) -> dict:
    command = [sys.executable, "-m", "benchmarks.efficiency", "--smoke"]
    command += ["--out-dir", str(out_dir), *extra]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=300, cwd=REPO)
    return json.loads((out_dir / "efficiency.json").read_text())


# ------------------------------------------------------------------ benchmark
def test_smoke_run_writes_a_finite_row_for_every_model_and_lookback(tmp_path: Path) -> None:
    result = _run_benchmark(tmp_path)
    markdown = (tmp_path / "efficiency.md").read_text()
    assert "## Growth exponents" in markdown and "Pending" in markdown
    lookbacks = result["settings"]["lookbacks"]
    assert {(e["model"], e["lookback"]) for e in result["summary"]} == {
        (m, lookback) for m in MODELS for lookback in lookbacks
    }
    for entry in result["summary"]:
        assert entry["status"] == "ok", entry
        assert math.isfinite(entry["throughput"]) and entry["throughput"] > 0
        assert math.isfinite(entry["saved_mib"]) and entry["saved_mib"] > 0
    assert result["git_commit"] and result["wall_seconds"] > 0
    assert len(result["load_average_start"]) == 3
    latency = result["predict"]["latency"]
    assert [r["n_series"] for r in latency] == [1, 20]
    assert all(math.isfinite(r["predict_ms"]) for r in latency)


def test_isolated_measurement_records_resident_memory(tmp_path: Path) -> None:
    result = _run_benchmark(
        tmp_path, "--isolate", "--models", "dlinear", "--lookbacks", "96", "--no-predict"
    )
    (row,) = result["rows"]
    assert row["status"] == "ok" and row["peak_reset"] is True
    assert math.isfinite(row["memory_mib"]) and row["memory_mib"] >= 0


def test_smoke_refuses_to_write_to_the_committed_results() -> None:
    command = [sys.executable, "-m", "benchmarks.efficiency", "--smoke"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode != 0 and "--out-dir" in done.stderr


def test_out_of_memory_and_compile_failures_become_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    import benchmarks.efficiency_measure as efficiency_measure

    def out_of_memory(spec):
        raise MemoryError  # what the CPU path catches; CUDA catches torch.OutOfMemoryError

    def no_compiler(spec):
        raise RuntimeError("inductor: no working C++ compiler")

    run_training = efficiency_measure.run_training
    monkeypatch.setattr(efficiency_measure, "measure_training", out_of_memory)
    assert run_training({"device": "cpu", "compile": False}) == {"status": "OOM"}
    monkeypatch.setattr(efficiency_measure, "measure_training", no_compiler)
    row = run_training({"device": "cpu", "compile": True})
    assert row["status"].startswith("compile failed: RuntimeError")
    with pytest.raises(RuntimeError):  # an eager failure is a bug, not a result
        run_training({"device": "cpu", "compile": False})


def test_gpu_style_report_shows_oom_and_fits_the_rest(tmp_path: Path) -> None:
    from benchmarks._measure import environment
    from benchmarks.efficiency_report import build_report

    lookbacks = [512, 2048, 8192, 32768]
    rows = []
    for lookback in lookbacks:
        for model, power in (("acmix", 1), ("patchtst", 2)):
            row = {"status": "ok", "n_parameters": 10, "n_tokens": lookback // 8,
                   "throughput": 1e6 / lookback**power, "saved_mib": lookback / 100,
                   "memory_mib": lookback / 50, "first_step_seconds": 1.0}  # fmt: skip
            if model == "patchtst" and lookback == 32768:
                row = {"status": "OOM"}
            rows.append({**row, "model": model, "lookback": lookback, "repeat": 0,
                         "compiled": False})  # fmt: skip
    settings = {"device": "cuda", "precision": "bf16", "lookbacks": lookbacks,
                "models": ["acmix", "patchtst"], "fit_from": 512, "compile": False,
                "threads": 1, "isolate": False, "batch_size": 32, "horizon": 96, "seed": 0,
                "warmup": 2, "steps": 5, "repeats": 1, "profile": None}  # fmt: skip
    meta = {**environment(), "gpu": "a test GPU", "settings": settings, "command": "test",
            "wall_seconds": 1.0, "load_average_start": [], "load_average_end": []}  # fmt: skip
    results = {"rows": rows, "predict": None, "profile": None}
    build_report(tmp_path, "gpu_test", results, meta)
    markdown = (tmp_path / "gpu_test.md").read_text()
    assert "| PatchTST-style, full attention | 32768 | | | OOM |" in markdown
    assert "peak allocated" in markdown and "Pending" not in markdown
    fits = json.loads((tmp_path / "gpu_test.json").read_text())["exponents"]
    assert fits["acmix"]["time_per_sample"] == pytest.approx(1.0)
    assert fits["patchtst"]["time_per_sample"] == pytest.approx(2.0)
    assert fits["patchtst"]["lookbacks"] == [512, 2048, 8192]


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_loglog_slope_recovers_the_exponent(power: float) -> None:
    lookbacks = [512, 2048, 8192, 32768]
    assert loglog_slope(lookbacks, [3e-4 * x**power for x in lookbacks]) == pytest.approx(power)


def test_loglog_slope_skips_missing_points() -> None:
    assert loglog_slope([512, 2048, 8192], [1.0, 4.0, float("nan")]) == pytest.approx(1.0)
    assert loglog_slope([512, 2048], [1.0, None]) is None


def test_saved_tensor_bytes_counts_each_storage_once() -> None:
    weight = torch.ones(256, requires_grad=True)
    with SavedTensorBytes() as saved:
        y = weight.exp()  # saves its result: 256 float32 = 1 KiB
        loss = (y[:128] * y[128:]).sum()  # saves two views of the same storage
    assert saved.nbytes == 1024
    loss.backward()


# ----------------------------------------------------------------- bf16 path
class DtypeProbe(pl.Callback):
    """Records the output dtype of the first block's projection and conv path."""

    def __init__(self) -> None:
        self.dtypes: dict[str, torch.dtype] = {}
        self._handles: list = []

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        mixer = pl_module.network.blocks[0].mixer
        for name in ("qkv_proj", "shift_conv"):
            hook = self._record(name)
            self._handles.append(getattr(mixer, name).register_forward_hook(hook))

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        for handle in self._handles:
            handle.remove()

    def _record(self, name: str):
        def hook(module, args, out) -> None:  # returning None keeps the output
            self.dtypes.setdefault(name, out.dtype)

        return hook


@pytest.mark.parametrize("conv_fp32", [False, True])
def test_bf16_mixed_fits_and_predicts_finite_values(conv_fp32: bool) -> None:
    probe = DtypeProbe()
    model = ACMixForecaster(
        **TINY,
        network_kwargs={"conv_fp32": conv_fp32},
        trainer_kwargs={"accelerator": "cpu", "precision": "bf16-mixed", "callbacks": [probe]},
    )
    forecast = model.fit(make_panel()).predict()
    assert np.isfinite(forecast["ACMix"]).all() and len(forecast) == 3 * TINY["horizon"]
    assert probe.dtypes["qkv_proj"] == torch.bfloat16  # autocast was on
    assert probe.dtypes["shift_conv"] == (torch.float32 if conv_fp32 else torch.bfloat16)


# ------------------------------------------------------------ pinned memory
def test_trains_on_cuda_follows_the_accelerator(monkeypatch: pytest.MonkeyPatch) -> None:
    trains_on_cuda = fitting_module.trains_on_cuda
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert trains_on_cuda(None) and trains_on_cuda({"accelerator": "gpu"})
    assert trains_on_cuda({"accelerator": "cuda", "devices": 2})
    assert not trains_on_cuda({"accelerator": "cpu"})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert not trains_on_cuda(None) and not trains_on_cuda({"accelerator": "auto"})


@pytest.mark.parametrize("on_cuda", [False, True])
def test_fit_pins_memory_only_when_training_on_cuda(
    monkeypatch: pytest.MonkeyPatch, on_cuda: bool
) -> None:
    seen = []

    def spy(dataset, batch_size, shuffle, num_workers=0, pin_memory=False, **kwargs):
        seen.append(pin_memory)
        return make_loader(dataset, batch_size, shuffle, num_workers, False, **kwargs)

    monkeypatch.setattr(run_module, "make_loader", spy)
    monkeypatch.setattr(fitting_module, "trains_on_cuda", lambda kwargs: on_cuda)
    ACMixForecaster(**{**TINY, "max_epochs": 1}, trainer_kwargs={"accelerator": "cpu"}).fit(
        make_panel()
    )
    assert seen and all(pin is on_cuda for pin in seen)


# ------------------------------------------------------- no host-device sync
SYNCING = ("item", "cpu", "tolist", "numpy", "__float__", "__int__", "__bool__")
CONFIG = dict(
    context_length=16, horizon=4, patch_len=4, patch_stride=4, d_model=16, n_heads=2,
    n_blocks=2, window_size=2,
)  # fmt: skip


def _loader() -> torch.utils.data.DataLoader:
    t = np.arange(60, dtype=np.float32)
    series = [SeriesArrays(y=np.sin(t / 3 + i)[:, None].astype(np.float32)) for i in range(2)]
    return make_loader(WindowDataset(series, 16, 4), 16, shuffle=True)


def _sync_calls(module: ForecastingModule, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the syncing Tensor methods called inside ``training_step`` during a fit."""
    calls: list[str] = []
    step = module.training_step

    def watched(batch, batch_idx):
        with monkeypatch.context() as patch:
            for name in SYNCING:
                original = getattr(torch.Tensor, name)

                def record(self, *args, _name=name, _original=original, **kwargs):
                    calls.append(_name)
                    return _original(self, *args, **kwargs)

                patch.setattr(torch.Tensor, name, record)
            return step(batch, batch_idx)

    module.training_step = watched
    make_trainer(max_epochs=1, trainer_kwargs={"accelerator": "cpu"}).fit(module, _loader())
    return calls


@pytest.mark.parametrize("fusion", ["scalar", "gate", "token_gate", "attention", "conv"])
def test_training_step_makes_no_host_device_sync(
    monkeypatch: pytest.MonkeyPatch, fusion: str
) -> None:
    """No .item() / .cpu() / float(tensor) / bool(tensor) ... per training step."""
    module = ForecastingModule(
        ACMixNetwork(ACMixConfig(**{**CONFIG, "fusion": fusion})),
        TrainingConfig(attention_warmup_epochs=1),
    )
    assert _sync_calls(module, monkeypatch) == []


def test_sync_detector_sees_a_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    class Logging(ForecastingModule):
        def training_step(self, batch, batch_idx):
            loss = super().training_step(batch, batch_idx)
            print(f"loss {float(loss):.3f}")  # the kind of line this guards against
            return loss

    assert "__float__" in _sync_calls(Logging(ACMixNetwork(ACMixConfig(**CONFIG))), monkeypatch)


# ------------------------------------------------------------ torch.compile
def test_compile_reaches_the_module_not_the_network_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled = []

    def fake_compile(fn, *args, **kwargs):
        compiled.append(fn)
        return fn

    monkeypatch.setattr(torch, "compile", fake_compile)
    model = ACMixForecaster(**{**TINY, "max_epochs": 1}, compile=True)
    model.fit(make_panel())
    assert "compile" not in model.network_config_
    assert len(compiled) == 1 and compiled[0].__self__ is model.network_
    assert not any(k.startswith("_orig_mod") for k in model.network_.state_dict())
    assert np.isfinite(model.predict()["ACMix"]).all()


@pytest.mark.slow
def test_compiled_training_matches_eager_training() -> None:
    """torch.compile really runs (slow on CPU: inductor compiles C++ kernels)."""
    tiny = {**TINY, "max_epochs": 1, "dropout": 0.0}
    eager = ACMixForecaster(**tiny).fit(make_panel()).predict()
    compiled = ACMixForecaster(**tiny, compile=True).fit(make_panel())
    np.testing.assert_allclose(compiled.predict()["ACMix"], eager["ACMix"], rtol=1e-3, atol=1e-3)
