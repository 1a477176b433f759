"""The network's inputs, one contract for windows, training, predict, export and plots,
and the one batched forward loop over them (:func:`forecast_in_chunks`).

Every forecasting network of :mod:`acmix_ts.nn` takes the four tensors of
:class:`NetworkInputs`, in this order; an absent covariate is None.

Shape: y (B, L, C), past_covariates (B, L, Cp), future_covariates (B, L + H, Cf),
static (B, S), with L = ``context_length``, H = ``horizon``, C = ``n_targets``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

INPUT_NAMES = ("y", "past_covariates", "future_covariates", "static")


class NetworkInputs(NamedTuple):
    """The inputs of one forward pass (absent covariates: None).

    Examples
    --------
    >>> import torch
    >>> from acmix_ts.nn import ACMixConfig
    >>> config = ACMixConfig(context_length=24, horizon=6)
    >>> NetworkInputs.shapes(config, 2)
    {'y': (2, 24, 1)}
    >>> NetworkInputs(torch.zeros(2, 24, 1)).check(config)
    """

    y: Tensor
    past_covariates: Tensor | None = None
    future_covariates: Tensor | None = None
    static: Tensor | None = None

    @staticmethod
    def shapes(config: Any, batch_size: int) -> dict[str, tuple[int, ...]]:
        """Name -> shape of every input the network of ``config`` takes, in order."""
        length, horizon = config.context_length, config.horizon
        shapes: dict[str, tuple[int, ...]] = {"y": (batch_size, length, config.n_targets)}
        if config.n_past_covariates:
            shapes["past_covariates"] = (batch_size, length, config.n_past_covariates)
        if config.n_future_covariates:
            shapes["future_covariates"] = (batch_size, length + horizon, config.n_future_covariates)
        if config.n_static:
            shapes["static"] = (batch_size, config.n_static)
        return shapes

    @classmethod
    def from_batch(cls, batch: Mapping[str, Tensor], config: Any) -> NetworkInputs:
        """The inputs from a batch of windows (``y`` holds context + horizon)."""
        return cls(
            batch["y"][:, : config.context_length],
            batch["past_covariates"] if config.n_past_covariates else None,
            batch["future_covariates"] if config.n_future_covariates else None,
            batch["static"] if config.n_static else None,
        )

    def check(self, config: Any) -> None:
        """Raise ``ValueError`` / ``TypeError`` naming the input that does not fit ``config``."""
        check_target(config, self.y)
        shapes = self.shapes(config, self.y.shape[0])
        fields = {
            "past_covariates": "n_past_covariates",
            "future_covariates": "n_future_covariates",
            "static": "n_static",
        }
        hints = {
            "past_covariates": "(B, L, n_past_covariates)",
            "future_covariates": "(B, L + horizon, n_future_covariates)",
            "static": "(B, n_static)",
        }
        for name, field in fields.items():
            given = getattr(self, name)
            if name in shapes:
                _check(name, given, shapes[name], hints[name])
            elif given is not None and given.numel() > 0:
                raise ValueError(
                    f"{name} was given (shape {tuple(given.shape)}) but the config has "
                    f"{field}=0; pass None or build the network with {field} > 0."
                )


def check_target(config: Any, y: Tensor) -> None:
    """Raise ValueError/TypeError unless ``y`` has shape (B, context_length, n_targets)."""
    if not isinstance(y, Tensor) or y.dim() != 3:
        got = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
        raise ValueError(f"y must have shape (B, L, C), a 3-D tensor. Got {got} instead.")
    hint = "(B, L=context_length, C=n_targets)"
    _check("y", y, (y.shape[0], config.context_length, config.n_targets), hint)


def _check(name: str, x: Tensor | None, shape: tuple[int, ...], hint: str) -> None:
    if x is None:
        raise ValueError(f"{name} is required ({hint}): expected shape {shape}, got None.")
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor. Got {type(x).__name__} instead.")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor. Got dtype {x.dtype} instead.")
    if tuple(x.shape) != shape:
        raise ValueError(f"{name} must have shape {shape} ({hint}). Got {tuple(x.shape)} instead.")


@torch.no_grad()
def forecast_in_chunks(network: nn.Module, inputs: NetworkInputs, chunk: int = 1024) -> Tensor:
    """The network's forecast (B, H, C, Q) of ``inputs``, ``chunk`` rows per forward pass.

    The one batched forward loop of the library: ``predict``, conformal calibration and
    the benchmarks' scorers call it. Inputs may live on any device; each chunk moves to
    the network's device, runs in eval mode and comes back as float32 on the CPU.
    """
    device = next(iter(network.parameters()), torch.empty(0)).device
    was_training = network.training
    network.eval()
    outputs = []
    try:
        for start in range(0, len(inputs.y), chunk):
            part = [None if x is None else x[start : start + chunk].to(device) for x in inputs]
            outputs.append(network(*part).float().cpu())
    finally:
        network.train(was_training)
    return torch.cat(outputs) if outputs else torch.empty(0)
