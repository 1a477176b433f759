"""ONNX and TorchScript exports give the outputs of the PyTorch network (to 1e-4)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from acmix_ts import ACMixForecaster
from acmix_ts.export import example_inputs, input_shapes, to_onnx, to_torchscript
from acmix_ts.nn import ACMixConfig, ACMixNetwork, PatchTSTNetwork

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

BASE = dict(context_length=24, horizon=6, patch_len=8, patch_stride=4, d_model=16, n_heads=2)
COVARIATES = dict(n_past_covariates=2, n_future_covariates=1, n_static=3)
CONFIGS = {
    # 5 tokens, windows of 2: block 1 is shifted, so both paths pad and mask keys.
    "scalar-shifted-windows": dict(n_blocks=2, window_size=2),
    "token_gate-covariates-quantiles": dict(
        n_blocks=2, window_size=2, fusion="token_gate", n_targets=2, n_outputs=3, **COVARIATES
    ),
    "gate-full-attention": dict(n_blocks=1, window_size=None, fusion="gate", n_targets=3),
    "conv-only-no-revin": dict(n_blocks=1, fusion="conv", revin=False),
    "window-covers-sequence": dict(
        n_blocks=2, window_size=8, channel_independent=False, n_targets=2
    ),
}


def reference(network: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> np.ndarray:
    with torch.no_grad():
        return network.eval()(**inputs).numpy()  # input names = forward's arguments


@pytest.mark.parametrize("name", list(CONFIGS))
def test_onnx_matches_pytorch_for_any_batch(name, tmp_path) -> None:
    network = ACMixNetwork(ACMixConfig(**BASE, **CONFIGS[name]))
    path = to_onnx(network, tmp_path / "net.onnx")
    session = ort.InferenceSession(str(path))
    names = [i.name for i in session.get_inputs()]
    assert names == list(input_shapes(network.config))
    inputs = example_inputs(network, batch_size=5, seed=1)  # traced with 2: batch is dynamic
    (out,) = session.run(None, {k: v.numpy() for k, v in inputs.items()})
    expected = reference(network, inputs)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", ["scalar-shifted-windows", "token_gate-covariates-quantiles"])
def test_torchscript_matches_pytorch_for_any_batch(name, tmp_path) -> None:
    network = ACMixNetwork(ACMixConfig(**BASE, **CONFIGS[name]))
    path = to_torchscript(network, tmp_path / "net.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated
        loaded = torch.jit.load(str(path))
    inputs = example_inputs(network, batch_size=5, seed=1)
    with torch.no_grad():
        out = loaded(*inputs.values()).numpy()
    np.testing.assert_allclose(out, reference(network, inputs), atol=1e-4, rtol=1e-4)


def test_patchtst_baseline_exports_too(tmp_path) -> None:
    network = PatchTSTNetwork(ACMixConfig(**BASE, n_blocks=1))
    session = ort.InferenceSession(str(to_onnx(network, tmp_path / "p.onnx")))
    inputs = example_inputs(network, batch_size=3)
    (out,) = session.run(None, {"y": inputs["y"].numpy()})
    np.testing.assert_allclose(out, reference(network, inputs), atol=1e-4, rtol=1e-4)


def test_fitted_estimator_exports_its_network_untouched(tmp_path) -> None:
    ds = pd.date_range("2024-01-01", periods=80, freq="h")
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.sin(np.arange(80) / 3)})
    model = ACMixForecaster(horizon=6, context_length=24, patch_len=8, d_model=16, n_heads=2,
                            n_blocks=1, max_epochs=1, n_models=1).fit(df)  # fmt: skip
    model.network_.train()  # the export works on a copy in eval mode
    session = ort.InferenceSession(str(to_onnx(model, tmp_path / "m.onnx")))
    assert model.network_.training
    inputs = example_inputs(model, batch_size=4)
    (out,) = session.run(None, {"y": inputs["y"].numpy()})
    np.testing.assert_allclose(out, reference(model.network_, inputs), atol=1e-4, rtol=1e-4)


def test_export_errors_say_what_to_do(tmp_path) -> None:
    with pytest.raises(ValueError, match="fit"):
        to_onnx(ACMixForecaster(), tmp_path / "x.onnx")
    with pytest.raises(TypeError, match="ACMixForecaster"):
        to_torchscript("model.pt", tmp_path / "x.pt")
    with pytest.raises(TypeError, match="config"):
        to_onnx(torch.nn.Linear(2, 2), tmp_path / "x.onnx")
    with pytest.raises(ValueError, match="opset"):
        to_onnx(ACMixNetwork(ACMixConfig(**BASE)), tmp_path / "x.onnx", opset=11)


def test_a_median_of_different_networks_is_not_exported_silently(tmp_path) -> None:
    ds = pd.date_range("2024-01-01", periods=80, freq="h")
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.sin(np.arange(80) / 3)})
    model = ACMixForecaster(horizon=6, context_length=24, patch_len=8, d_model=16, n_heads=2,
                            n_blocks=1, max_epochs=1).fit(df)  # fmt: skip
    assert len(model.members_) > 1
    with pytest.raises(ValueError, match=r"median of \d networks.*members_\[k\]\.network"):
        to_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(to_onnx(model.members_[0].network, tmp_path / "m.onnx")))
    assert session.get_inputs()[0].name == "y"
