"""The forecasters of the stock benchmark: random walk, drift, ARIMA and ACMix.

Each returns price paths ``(n_origins, max_h)`` per series from the prices up to each
origin; ACMix is one global model trained by ``ACMixForecaster.cross_validation``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from acmix_ts import ACMixForecaster
from benchmarks.stocks_protocol import Settings, log_returns


# ----------------------------------------------------------------------- forecasts
def actual_paths(prices: np.ndarray, origins: np.ndarray, max_h: int) -> np.ndarray:
    """``(n_origins, max_h)``: the price 1 .. max_h rows after each origin."""
    return prices[origins[:, None] + np.arange(1, max_h + 1)]


def random_walk(prices: np.ndarray, origins: np.ndarray, max_h: int) -> np.ndarray:
    return np.repeat(prices[origins, None], max_h, axis=1)


def drift(prices: np.ndarray, origins: np.ndarray, max_h: int) -> np.ndarray:
    """``p_t + h (p_t - p_0) / t``: the random walk plus the mean step of the history."""
    slope = (prices[origins] - prices[0]) / origins
    return prices[origins, None] + slope[:, None] * np.arange(1, max_h + 1)


def returns_to_prices(last_price: np.ndarray, log_return_paths: np.ndarray) -> np.ndarray:
    """``p_t * exp(cumsum(r))`` per row: a price path from forecast log-returns."""
    return last_price[:, None] * np.exp(np.cumsum(log_return_paths, axis=1))


def arima(prices: np.ndarray, origins: np.ndarray, max_h: int, refit_every: int) -> np.ndarray:
    """ARIMA(1,0,1)+constant on log-returns; re-estimated every ``refit_every`` origins."""
    from statsmodels.tsa.arima.model import ARIMA

    r = np.diff(np.log(prices))  # r[j] = log(p[j+1] / p[j]): r[:t] ends at price t
    paths = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; parameters are stored
        for i, origin in enumerate(origins):
            if i % refit_every == 0:
                result = ARIMA(r[:origin], order=(1, 0, 1), trend="c").fit()
            else:
                result = result.extend(r[origins[i - 1] : origin])
            paths.append(result.forecast(max_h))
    return returns_to_prices(prices[origins], np.asarray(paths))


def forecast_matrix(cv: pd.DataFrame, origin_dates: dict, max_h: int) -> dict[str, np.ndarray]:
    """``{id: (n_origins, max_h)}`` from a cross-validation frame, step by step.

    The rows of one (series, cutoff) are the forecast steps 1 .. max_h in date order;
    their ``ds`` may fall on exchange holidays, so they are matched by step, and the
    cutoffs must be exactly the expected origin dates.
    """
    cv = cv.sort_values(["unique_id", "cutoff", "ds"])
    out = {}
    for sid, dates in origin_dates.items():
        rows = cv[cv["unique_id"] == sid]
        cutoffs = pd.DatetimeIndex(rows["cutoff"].unique())
        if not cutoffs.equals(pd.DatetimeIndex(dates)) or len(rows) != len(dates) * max_h:
            raise ValueError(f"{sid}: backtest cutoffs do not match the walk-forward origins.")
        out[sid] = rows["ACMix"].to_numpy().reshape(len(dates), max_h)
    return out


def acmix(panel: pd.DataFrame, origins: dict, mode: str, seed: int, s: Settings) -> dict:
    """Price paths of the global ACMix model (``mode`` "prices" or "returns")."""
    frame = panel if mode == "prices" else log_returns(panel)
    model = ACMixForecaster(
        horizon=s.max_h,
        context_length=s.context_length,
        patch_len=s.patch_len,
        d_model=s.d_model,
        n_heads=s.n_heads,
        n_blocks=s.n_blocks,
        window_size=s.window_size,
        batch_size=s.batch_size,
        learning_rate=s.learning_rate,
        max_epochs=s.epochs,
        early_stopping_patience=s.early_stopping_patience,
        random_state=seed,
        target_transform=None,  # the protocol's fixed settings (prices as they are)
        network_kwargs={"patch_stride": s.patch_len},
        trainer_kwargs={"accelerator": "cpu"},
    )
    cv = model.cross_validation(frame, n_windows=s.n_test, step_size=1, refit=s.refit_every)
    dates = {sid: g["ds"].to_numpy()[origins[sid]] for sid, g in panel.groupby("unique_id")}
    paths = forecast_matrix(cv, dates, s.max_h)
    if mode == "returns":
        prices = {sid: g["y"].to_numpy() for sid, g in panel.groupby("unique_id")}
        paths = {sid: returns_to_prices(prices[sid][origins[sid]], p) for sid, p in paths.items()}
    return paths
