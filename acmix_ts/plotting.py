"""Plots of forecasts, backtests and of what the ACMix blocks leaned on.

matplotlib is imported inside the functions (it is an optional dependency, extra
``plot``); on a machine without a display the non-interactive Agg backend is chosen.
Every function returns the :class:`matplotlib.figure.Figure`; save it with
``fig.savefig("forecast.png")``.

Shape: long frames ``unique_id, ds, y`` and forecast frames ``unique_id, ds, ACMix``
(+ ``ACMix-lo-80`` / ``ACMix-hi-80`` bands) as produced by ``ACMixForecaster``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from acmix_ts.metrics import INTERVAL_MARKERS

if TYPE_CHECKING:  # matplotlib is optional; torch is imported when a network is run
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from torch import nn


def _pyplot() -> ModuleType:
    """Import pyplot, choosing Agg when no display is available and none was chosen."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(
            "Plotting needs matplotlib: pip install 'acmix_ts[plot]' (or matplotlib)."
        ) from e
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _point_columns(frame: pd.DataFrame, skip: Sequence[str]) -> list[str]:
    return [
        c
        for c in frame.columns
        if c not in skip
        and not any(m in str(c) for m in INTERVAL_MARKERS)
        and pd.api.types.is_numeric_dtype(frame[c])
    ]


def _levels(frame: pd.DataFrame, model: str, level: Sequence[float] | None) -> list[str]:
    """Level suffixes (``"80"``) whose lo/hi columns exist for ``model``, widest first."""
    found = [
        str(c)[len(f"{model}-lo-") :] for c in frame.columns if str(c).startswith(f"{model}-lo-")
    ]
    if level is not None:
        wanted = [f"{value:g}" for value in level]
        missing = [w for w in wanted if w not in found]
        if missing:
            raise ValueError(
                f"No interval columns {[f'{model}-lo-{m}' for m in missing]} in the forecast; "
                f"it has levels {found or 'none'}. Predict with level=[...] and a model fitted "
                "with loss='quantile'."
            )
        found = wanted
    return sorted(found, key=float, reverse=True)


def _pick_ids(
    frame: pd.DataFrame, id_col: str, ids: Sequence[Any] | None, max_series: int
) -> list[Any]:
    available = list(pd.unique(frame[id_col]))
    if ids is None:
        return available[:max_series]
    unknown = [i for i in ids if i not in set(available)]
    if unknown:
        raise ValueError(f"Series {unknown} are not in the frame; it has {available[:10]} ...")
    return list(ids)


def _axes(plt: ModuleType, n: int, ax: Any) -> tuple[Figure, list[Axes]]:
    if ax is not None:
        return ax.figure, [ax] * n
    fig, axes = plt.subplots(n, 1, figsize=(9, 2.6 * n), squeeze=False, layout="constrained")
    return fig, list(axes[:, 0])


def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    ids: Sequence[Any] | None = None,
    level: Sequence[float] | None = None,
    max_series: int = 4,
    ax: Any = None,
    *,
    history_length: int | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> Figure:
    """Plot the end of each series, its forecast and the forecast's interval bands.

    Parameters
    ----------
    history : pandas.DataFrame
        Long frame with ``id_col``, ``time_col``, ``target_col`` (the training data).
    forecast : pandas.DataFrame
        Output of ``ACMixForecaster.predict`` (one or more model columns, optional
        ``<model>-lo-<level>`` / ``<model>-hi-<level>`` columns).
    ids : sequence, optional
        Series to plot; default the first ``max_series`` of ``forecast``.
    level : sequence of float, optional
        Interval levels to shade; default every level present in ``forecast``.
    max_series : int, default=4
        Most series plotted when ``ids`` is None (one panel each).
    ax : matplotlib Axes, optional
        Draw every series on this axes instead of one panel per series.
    history_length : int, optional
        Steps of history shown before the forecast; default 4 x the forecast length.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    chosen = _pick_ids(forecast, id_col, ids, max_series)
    models = _point_columns(forecast, (id_col, time_col))
    fig, axes = _axes(plt, len(chosen), ax)
    for sid, axis in zip(chosen, axes, strict=True):
        future = forecast[forecast[id_col] == sid]
        past = history[history[id_col] == sid]
        past = past.tail(history_length or 4 * len(future))
        prefix = f"{sid}: " if ax is not None else ""
        axis.plot(past[time_col], past[target_col], color="black", lw=1, label=f"{prefix}actual")
        for model in models:
            (line,) = axis.plot(future[time_col], future[model], lw=1.5, label=prefix + model)
            for i, suffix in enumerate(_levels(forecast, model, level)):
                axis.fill_between(
                    future[time_col],
                    future[f"{model}-lo-{suffix}"],
                    future[f"{model}-hi-{suffix}"],
                    color=line.get_color(),
                    alpha=0.15 + 0.1 * i,
                    lw=0,
                    label=f"{prefix}{model} {suffix}%",
                )
        if ax is None:
            axis.set_title(str(sid), loc="left", fontsize=10)
        axis.legend(fontsize=8, loc="upper left")
    axes[-1].set_xlabel(time_col)
    return fig


def plot_backtest(
    cv_frame: pd.DataFrame,
    ids: Sequence[Any] | None = None,
    *,
    max_series: int = 4,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> Figure:
    """Plot every backtest window's forecast against the actual values, cutoffs marked.

    Parameters
    ----------
    cv_frame : pandas.DataFrame
        Output of ``ACMixForecaster.cross_validation`` (``id_col``, ``time_col``,
        ``cutoff``, ``target_col`` and model columns).
    ids : sequence, optional
        Series to plot; default the first ``max_series``.
    max_series : int, default=4
        Most series plotted when ``ids`` is None.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if "cutoff" not in cv_frame.columns or target_col not in cv_frame.columns:
        raise ValueError(
            f"cv_frame needs the columns 'cutoff' and {target_col!r} (the output of "
            f"cross_validation); it has {list(cv_frame.columns)}."
        )
    plt = _pyplot()
    chosen = _pick_ids(cv_frame, id_col, ids, max_series)
    models = _point_columns(cv_frame, (id_col, time_col, "cutoff", target_col))
    fig, axes = _axes(plt, len(chosen), None)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for sid, axis in zip(chosen, axes, strict=True):
        rows = cv_frame[cv_frame[id_col] == sid]
        actual = rows.drop_duplicates(time_col).sort_values(time_col)
        axis.plot(actual[time_col], actual[target_col], color="black", lw=1, label="actual")
        for w, (cutoff, window) in enumerate(rows.groupby("cutoff", sort=True)):
            axis.axvline(cutoff, color="grey", ls=":", lw=0.8)
            for m, model in enumerate(models):
                axis.plot(
                    window[time_col],
                    window[model],
                    color=colors[m % len(colors)],
                    lw=1.3,
                    label=model if w == 0 else None,
                )
        axis.set_title(f"{sid} (dotted lines: cutoffs)", loc="left", fontsize=10)
        axis.legend(fontsize=8, loc="upper left")
    axes[-1].set_xlabel(time_col)
    return fig


def _run_network(network: nn.Module, batch: Any) -> None:
    """One no-grad forward pass of ``network`` on a tensor, tuple or dict of tensors."""
    import torch

    was_training = network.training
    network.eval()
    try:
        with torch.no_grad():
            if isinstance(batch, torch.Tensor):
                network(batch)
            elif isinstance(batch, dict):
                network(**batch)
            elif isinstance(batch, (tuple, list)):
                network(*batch)
            else:
                raise TypeError(
                    "df_or_batch must be a tensor y, a tuple (y, past, future, static) or a "
                    f"dict of network inputs for a network. Got {type(batch).__name__}."
                )
    finally:
        network.train(was_training)


def fusion_weights_of(
    model_or_network: Any,
    df_or_batch: Any = None,
    *,
    futr_df: pd.DataFrame | None = None,
    static_df: pd.DataFrame | None = None,
) -> list[dict[str, np.ndarray]]:
    """Per block, the attention and convolution weights of one forward pass, as arrays.

    For a fitted ``ACMixForecaster`` the pass is ``predict`` itself (on the stored
    contexts, or on ``df`` / ``futr_df`` / ``static_df`` when given), so the network sees
    exactly the tensors a forecast uses; with more than 1,024 series only the last chunk
    of series is kept. For a network, ``df_or_batch`` is its input (tensor ``y``, tuple
    or dict); None reuses the weights of its last forward pass.
    """
    if hasattr(model_or_network, "fusion_weights"):
        network = model_or_network
        if df_or_batch is not None:
            _run_network(network, df_or_batch)
    elif hasattr(model_or_network, "predict"):
        # predict raises sklearn's NotFittedError (with what to do) before fit.
        model_or_network.predict(df=df_or_batch, futr_df=futr_df, static_df=static_df)
        network = model_or_network.network_
    else:
        raise TypeError(
            "model_or_network must be a fitted ACMixForecaster or an ACMixNetwork. "
            f"Got {type(model_or_network).__name__}."
        )
    weights = network.fusion_weights()
    if not weights or not all(weights):
        raise ValueError(
            "The network has not run a forward pass yet: pass df_or_batch (e.g. a tensor "
            "of shape (B, context_length, n_targets)) to fill its fusion weights."
        )
    return [{k: v.float().numpy() for k, v in block.items()} for block in weights]


def _token_heat_map(fig: Figure, axis: Axes, weights: list[dict[str, np.ndarray]]) -> None:
    """Attention share alpha / (alpha + beta) per block and token, mean over samples."""
    from matplotlib.ticker import MaxNLocator

    share = np.stack(
        [(b["attention"] / (b["attention"] + b["conv"] + 1e-12)).mean(0) for b in weights]
    )  # (n_blocks, T)
    # Symmetric around 0.5 so that the colour says which path a token leans on.
    spread = max(0.05, float(np.abs(share - 0.5).max()))
    image = axis.imshow(
        share, aspect="auto", cmap="coolwarm", vmin=0.5 - spread, vmax=0.5 + spread,
        interpolation="nearest",
    )  # fmt: skip
    axis.set_yticks(np.arange(len(weights)), [f"block {i}" for i in range(len(weights))])
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("token (patch, oldest left)")
    axis.set_title(
        "Attention share per token (red: attention, blue: conv)", loc="left", fontsize=10
    )
    fig.colorbar(image, ax=axis, label="alpha / (alpha + beta)")


def plot_fusion_weights(
    model_or_network: Any,
    df_or_batch: Any = None,
    *,
    futr_df: pd.DataFrame | None = None,
    static_df: pd.DataFrame | None = None,
) -> Figure:
    """Show how much each ACMix block leaned on attention and on convolution.

    Top: per block, the mean attention weight (alpha) and convolution weight (beta) of
    one forward pass, with the spread over samples (``gate``) or samples and tokens
    (``token_gate``) as error bars. For ``token_gate``, below: a heat map over blocks
    and tokens (time, oldest left) of the attention share ``alpha / (alpha + beta)``,
    averaged over samples.

    Parameters
    ----------
    model_or_network : ACMixForecaster or ACMixNetwork
        A fitted estimator (its ``network_`` is run through ``predict``) or a network.
    df_or_batch : optional
        For an estimator: a history frame for ``predict(df=...)`` (default the stored
        contexts). For a network: its input, a tensor ``y`` (B, L, C), a tuple
        ``(y, past, future, static)`` or a dict; None uses the last forward pass.
    futr_df, static_df : pandas.DataFrame, optional
        Passed to ``predict`` (needed when the model has future covariates).

    Returns
    -------
    matplotlib.figure.Figure
    """
    weights = fusion_weights_of(model_or_network, df_or_batch, futr_df=futr_df, static_df=static_df)
    plt = _pyplot()
    per_token = all(np.ndim(b["attention"]) == 2 for b in weights)
    n_rows = 2 if per_token else 1
    fig, axes = plt.subplots(
        n_rows, 1, figsize=(8, 3.2 * n_rows), squeeze=False, layout="constrained"
    )
    blocks = np.arange(len(weights))
    for offset, key, color in ((-0.2, "attention", "tab:red"), (0.2, "conv", "tab:blue")):
        means = [float(np.mean(b[key])) for b in weights]
        spread = [float(np.std(b[key])) for b in weights]
        axes[0, 0].bar(blocks + offset, means, 0.4, yerr=spread, color=color, label=key)
    axes[0, 0].set_xticks(blocks, [f"block {i}" for i in blocks])
    axes[0, 0].set_ylabel("fusion weight")
    axes[0, 0].legend(fontsize=8, ncols=2, loc="upper right")
    axes[0, 0].set_ylim(0, 1.25 * max(max(np.max(b[k]) for k in b) for b in weights))
    axes[0, 0].set_title("Attention vs convolution per block", loc="left", fontsize=10)
    if per_token:
        _token_heat_map(fig, axes[1, 0], weights)
    return fig
