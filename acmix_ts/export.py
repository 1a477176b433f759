"""Export a forecasting network to ONNX or TorchScript, for serving without Python deps.

The exported graph is the network alone: it reads the inputs in the units the network
sees. For a fitted ``ACMixForecaster`` these are the *standardised* values, i.e.
``(y - model.scaler_.mean) / model.scaler_.std`` per series (and the same for the
covariates; the static features scaled by ``model.static_scaler_``); multiply the output
by the std and add the mean to get back to the data's units. Only the batch axis is
dynamic: the context length, horizon and numbers of variables are those of the config.

Inputs, in this order (absent ones are left out): ``y`` (B, L, C), ``past_covariates``
(B, L, Cp), ``future_covariates`` (B, L+H, Cf), ``static`` (B, S). Output ``forecast``
(B, H, C, Q).

Shape: y (B, L, C) [+ covariates] -> forecast (B, H, C, Q).
"""

from __future__ import annotations

import contextlib
import copy
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from acmix_ts.nn.inputs import INPUT_NAMES, NetworkInputs


def _network(model_or_network: Any) -> nn.Module:
    """A CPU, eval-mode copy of the network of an estimator (or of a network)."""
    if isinstance(model_or_network, nn.Module):
        network = model_or_network
    elif hasattr(model_or_network, "network_"):
        if len(model_or_network.members_) > 1:
            raise ValueError(
                f"This model forecasts the median of {len(model_or_network.members_)} "
                "networks with different settings (context, cycle), which one graph does "
                "not hold. Export one of them (model.members_[k].network, with its config "
                "in model.members_[k].config), or fit with n_models=1."
            )
        network = model_or_network.network_
    elif hasattr(model_or_network, "predict"):
        raise ValueError(
            f"This {type(model_or_network).__name__} is not fitted yet: call fit(df) "
            "before exporting it."
        )
    else:
        raise TypeError(
            "model_or_network must be a fitted ACMixForecaster or a torch network. "
            f"Got {type(model_or_network).__name__} instead."
        )
    if not hasattr(network, "config"):
        raise TypeError(
            f"{type(network).__name__} has no 'config' (ACMixConfig); export needs it to "
            "know the input shapes. Pass an ACMixNetwork or PatchTSTNetwork."
        )
    # A copy, so that the caller's network keeps its device and train/eval mode.
    return copy.deepcopy(network).cpu().eval()


def input_shapes(config: Any, batch_size: int = 2) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every input the network with ``config`` takes, in order."""
    return NetworkInputs.shapes(config, batch_size)


def example_inputs(model_or_network: Any, batch_size: int = 2, seed: int = 0) -> dict[str, Tensor]:
    """Random standard-normal inputs of the right shapes, e.g. to check an export."""
    return _random_inputs(_network(model_or_network).config, batch_size, seed)


def _random_inputs(config: Any, batch_size: int, seed: int = 0) -> dict[str, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {
        name: torch.randn(shape, generator=generator)
        for name, shape in input_shapes(config, batch_size).items()
    }


class ExportWrapper(nn.Module):
    """The network with positional tensor inputs only (no ``None``), as exporters want.

    Shape: the present inputs of :data:`INPUT_NAMES`, in order -> (B, H, C, Q).
    """

    def __init__(self, network: nn.Module, names: tuple[str, ...]) -> None:
        super().__init__()
        self.network = network
        self.names = names

    def forward(self, *inputs: Tensor) -> Tensor:
        given = dict(zip(self.names, inputs, strict=True))
        return self.network(*(given.get(name) for name in INPUT_NAMES))


def _prepare(model_or_network: Any, batch_size: int) -> tuple[ExportWrapper, tuple[Tensor, ...]]:
    network = _network(model_or_network)
    inputs = _random_inputs(network.config, batch_size)  # no second copy of the network
    return ExportWrapper(network, tuple(inputs)).eval(), tuple(inputs.values())


@contextlib.contextmanager
def _quiet_tracing() -> Iterator[None]:
    """Tracing warns on every Python-level shape check; those are fixed by the config."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        # Recent torch releases deprecate torch.jit (see to_torchscript).
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.\w+` is deprecated.*")
        warnings.filterwarnings("ignore", message=".*The feature will be removed.*")
        yield


def to_onnx(
    model_or_network: Any, path: str | os.PathLike, opset: int = 17, batch_size: int = 2
) -> Path:
    """Export the network to an ONNX file with a dynamic batch axis.

    Parameters
    ----------
    model_or_network : ACMixForecaster or torch.nn.Module
        A fitted estimator (its ``network_`` is exported) or a network with a ``config``.
    path : path-like
        Output file, e.g. ``"acmix.onnx"``; parent folders are created.
    opset : int, default=17
        ONNX opset version (>= 14 for ``scaled_dot_product_attention``).
    batch_size : int, default=2
        Batch size of the example input used for tracing (any size works afterwards).

    Returns
    -------
    pathlib.Path
        The written file. Run it with ``onnxruntime.InferenceSession(str(path))``; its
        input names are those of :func:`input_shapes`, the output is ``forecast``.
    """
    if not isinstance(opset, int) or opset < 14:
        raise ValueError(f"opset must be an int >= 14. Got {opset!r} instead.")
    wrapper, args = _prepare(model_or_network, batch_size)
    names = list(wrapper.names)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dynamic = {name: {0: "batch"} for name in [*names, "forecast"]}
    with _quiet_tracing():
        # The TorchScript-based exporter: the dynamo one needs onnxscript, and the
        # graph has no data-dependent control flow that it would handle better.
        torch.onnx.export(
            wrapper,
            args,
            str(path),
            input_names=names,
            output_names=["forecast"],
            dynamic_axes=dynamic,
            opset_version=opset,
            dynamo=False,
        )
    return path


def to_torchscript(model_or_network: Any, path: str | os.PathLike, batch_size: int = 2) -> Path:
    """Trace the network with :func:`torch.jit.trace` and save it.

    Recent torch releases deprecate TorchScript in favour of ``torch.export`` (the
    warnings are silenced here); the file still loads with ``torch.jit.load`` and in
    C++ (libtorch). Prefer :func:`to_onnx` for new serving code.

    Parameters
    ----------
    model_or_network : ACMixForecaster or torch.nn.Module
        A fitted estimator (its ``network_`` is exported) or a network with a ``config``.
    path : path-like
        Output file, e.g. ``"acmix.pt"``; parent folders are created.
    batch_size : int, default=2
        Batch size of the example input used for tracing (any size works afterwards).

    Returns
    -------
    pathlib.Path
        The written file; load it with ``torch.jit.load(path)`` and call it with the
        present inputs in the order of :func:`input_shapes`.
    """
    wrapper, args = _prepare(model_or_network, batch_size)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quiet_tracing():
        traced = torch.jit.trace(wrapper, args, check_trace=False)
        torch.jit.save(traced, str(path))
    return path
