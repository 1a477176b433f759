"""Hyperparameter search with Optuna: the ACMix design space, scored on validation windows.

:func:`tune` runs an Optuna study over :data:`DEFAULT_SPACE` (or a space of your own):
context and patch length, width, depth, attention window, kernel size, the fusion of
attention and convolution (``scalar``, ``gate``, ``token_gate``, ``attention``, ``conv``:
the search over how the two paths are weighed), learning rate, dropout, the seasonal
cycle, the trend path and the number of members. Each trial fits ``ACMixForecaster`` on
the data before the last ``val_windows`` horizons of every series and is scored by its
mean MASE over those windows (rolling origin, one fit); the caller's test data never
enter. Trials report their validation loss after every epoch, so that Optuna's pruner
stops bad ones early.

With ``storage`` (an SQLite file ``sqlite:///study.db``, a PostgreSQL or MySQL URL, or
Optuna's journal storage) several processes or machines share one study: start the same
call, with the same ``study_name``, in each worker. :class:`AutoACMixForecaster` wraps it
as an estimator that refits the best setting on all the data.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytorch_lightning as pl
from sklearn.base import BaseEstimator

from acmix_ts.estimator.forecaster import ACMixForecaster
from acmix_ts.estimator.scoring import before_tail, mean_mase
from acmix_ts.nn import FUSION_MODES

# name -> ("categorical", choices) | ("int", low, high) | ("float", low, high, log)
# Context choices given as multiples of the horizon ("2h") are resolved per fit.
DEFAULT_SPACE: dict[str, tuple[Any, ...]] = {
    "context_length": ("categorical", ("auto", "2h", "4h")),
    "patch_len": ("categorical", ("auto", 4, 8, 16)),
    "d_model": ("categorical", (16, 32, 64)),
    "n_blocks": ("int", 1, 3),
    "window_size": ("categorical", (4, 8, 16)),
    "kernel_size": ("categorical", (3, 5)),
    "fusion": ("categorical", FUSION_MODES),
    "learning_rate": ("float", 3e-4, 3e-3, True),
    "dropout": ("float", 0.0, 0.3, False),
    "seasonal": ("categorical", ("auto", True, False)),
    "trend": ("categorical", ("auto", True, False)),
    "n_models": ("categorical", (1, "auto")),
}


def suggest(trial: Any, space: Mapping[str, tuple[Any, ...]], horizon: int) -> dict[str, Any]:
    """One setting of ``space`` drawn by ``trial`` (``"2h"`` contexts resolved)."""
    params: dict[str, Any] = {}
    for name, spec in space.items():
        kind = spec[0]
        if kind == "categorical":
            value = trial.suggest_categorical(name, list(spec[1]))
        elif kind == "int":
            value = trial.suggest_int(name, spec[1], spec[2])
        elif kind == "float":
            value = trial.suggest_float(name, spec[1], spec[2], log=bool(spec[3]))
        else:
            raise ValueError(
                f"search_space[{name!r}] must start with 'categorical', 'int' or 'float'. "
                f"Got {spec!r}."
            )
        params[name] = in_steps(value, horizon)
    return params


def in_steps(value: Any, horizon: int) -> Any:
    """A choice like ``"2h"`` (two horizons) in steps; any other value as it is."""
    if isinstance(value, str) and value.endswith("h") and value[:-1].isdigit():
        return int(value[:-1]) * horizon
    return value


def tune(
    df: pd.DataFrame,
    horizon: int,
    search_space: Mapping[str, tuple[Any, ...]] | None = None,
    n_trials: int | None = 20,
    timeout: float | None = None,
    val_windows: int = 2,
    storage: str | None = None,
    study_name: str | None = None,
    pruner: Any = None,
    random_state: int | None = 0,
    **fixed: Any,
) -> Any:
    """Search ``ACMixForecaster`` settings on ``df``'s validation windows; returns the study.

    Parameters
    ----------
    df : pandas.DataFrame
        Long frame (``unique_id``, ``ds``, ``y`` or the column names in ``fixed``).
    horizon : int
        Steps forecast (also the step between validation windows).
    search_space : mapping, optional
        ``name -> ("categorical", choices) | ("int", low, high) | ("float", low, high,
        log)`` over ``ACMixForecaster`` parameters; default :data:`DEFAULT_SPACE`.
    n_trials, timeout : optional
        The budget: trials (of this call; other workers add theirs) and seconds.
    val_windows : int
        Validation windows of ``horizon`` steps at the end of every series.
    storage, study_name : str, optional
        Optuna storage URL and study name; several workers share a study through them,
        and a study with that name resumes.
    pruner : optuna.pruners.BasePruner, optional
        Default: ``MedianPruner(n_warmup_steps=2)`` on the per-epoch validation loss.
    random_state : int, optional
        Seed of the sampler (``TPESampler``) and of every trial's fit.
    **fixed
        Further ``ACMixForecaster`` parameters for every trial (``freq``, ``id_col``...).
    """
    import optuna

    space = dict(DEFAULT_SPACE if search_space is None else search_space)
    id_col = fixed.get("id_col", "unique_id")
    tail = val_windows * horizon  # the trials fit on the part before the windows

    def objective(trial: Any) -> float:
        params = {**fixed, **suggest(trial, space, horizon)}
        callbacks = [TrialReporter(trial)]
        model = ACMixForecaster(
            horizon=horizon, random_state=random_state,
            trainer_kwargs={"callbacks": callbacks}, **params,
        )  # fmt: skip
        try:
            cv = model.cross_validation(df, n_windows=val_windows, step_size=horizon)
        except ValueError as error:  # kept for the message of a study where all trials fail
            trial.set_user_attr("error", str(error))
            raise
        return mean_mase(cv, df.loc[before_tail(df, id_col, tail)], model)

    sampler = optuna.samplers.TPESampler(seed=random_state)
    study = optuna.create_study(
        study_name=study_name, storage=storage, load_if_exists=study_name is not None,
        direction="minimize", sampler=sampler,
        pruner=pruner or optuna.pruners.MedianPruner(n_warmup_steps=2),
    )  # fmt: skip
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no line per trial
    try:
        study.optimize(objective, n_trials=n_trials, timeout=timeout, catch=(ValueError,))
    finally:
        optuna.logging.set_verbosity(verbosity)
    return study


class TrialReporter(pl.Callback):
    """Lightning callback: the validation loss to the trial after every epoch; prunes."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial
        self.step = 0  # counts over every candidate network the fit trains

    def on_validation_epoch_end(self, trainer: Any, module: Any) -> None:
        import optuna

        loss = trainer.callback_metrics.get("val_loss")
        if trainer.sanity_checking or loss is None:
            return
        self.trial.report(float(loss), self.step)
        self.step += 1
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at validation check {self.step}")


class AutoACMixForecaster(BaseEstimator):
    """``ACMixForecaster`` whose settings an Optuna study chooses on validation windows.

    ``fit(df)`` runs :func:`tune` and refits the best setting on all of ``df``; then
    ``predict``, ``cross_validation``, ``score`` and ``save`` are the best estimator's.

    Parameters
    ----------
    horizon : int, default=24
        Steps forecast.
    search_space : dict, optional
        See :func:`tune`; default :data:`DEFAULT_SPACE`.
    n_trials : int, default=20
    timeout : float, optional
        The study's budget in trials and seconds (per ``fit``).
    val_windows : int, default=2
        Validation windows of ``horizon`` steps at the end of every series.
    storage, study_name : str, optional
        Optuna storage and study name (shared by several workers; resumed by name).
    random_state : int, default=0
    fixed : dict, optional
        Further ``ACMixForecaster`` parameters for every trial and the final fit.

    Attributes
    ----------
    best_estimator_ : ACMixForecaster
    best_params_ : dict
    study_ : optuna.Study
    """

    def __init__(
        self,
        *,
        horizon: int = 24,
        search_space: dict[str, tuple[Any, ...]] | None = None,
        n_trials: int | None = 20,
        timeout: float | None = None,
        val_windows: int = 2,
        storage: str | None = None,
        study_name: str | None = None,
        random_state: int | None = 0,
        fixed: dict[str, Any] | None = None,
    ):
        self.horizon = horizon
        self.search_space = search_space
        self.n_trials = n_trials
        self.timeout = timeout
        self.val_windows = val_windows
        self.storage = storage
        self.study_name = study_name
        self.random_state = random_state
        self.fixed = fixed

    def fit(self, df: pd.DataFrame, **fit_kwargs: Any) -> AutoACMixForecaster:
        """Search on ``df``'s validation windows, then refit the best setting on ``df``."""
        study = tune(
            df, self.horizon, self.search_space, self.n_trials, self.timeout,
            self.val_windows, self.storage, self.study_name, None, self.random_state,
            **(self.fixed or {}),
        )  # fmt: skip
        done = [t for t in study.trials if t.state.name == "COMPLETE"]
        if not done:
            errors = [t.user_attrs["error"] for t in study.trials if "error" in t.user_attrs]
            why = (
                f" {len(errors)} of {len(study.trials)} trials failed; the first with: "
                f"{errors[0]} (val_windows={self.val_windows} windows of {self.horizon} "
                "steps are held out of every trial's fit: fewer val_windows leave more data)"
                if errors
                else ""
            )
            raise ValueError(
                "No trial of the study completed (all pruned or failed); raise n_trials or "
                "timeout, or widen search_space." + why
            )
        space = DEFAULT_SPACE if self.search_space is None else self.search_space
        best = _resolve(study.best_params, space, self.horizon)
        self.best_params_ = best
        self.study_ = study
        self.best_estimator_ = ACMixForecaster(
            horizon=self.horizon, random_state=self.random_state, **(self.fixed or {}), **best
        ).fit(df, **fit_kwargs)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return "best_estimator_" in self.__dict__

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`ACMixForecaster.predict` of the best estimator."""
        return self._best().predict(*args, **kwargs)

    def score(self, df: pd.DataFrame) -> float:
        """:meth:`ACMixForecaster.score` of the best estimator."""
        return self._best().score(df)

    def save(self, path: str | os.PathLike) -> None:
        """Save the best estimator (:meth:`ACMixForecaster.save`); the study stays in its
        storage."""
        self._best().save(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> AutoACMixForecaster:
        """An ``AutoACMixForecaster`` around the best estimator saved by :meth:`save`."""
        best = ACMixForecaster.load(path)
        auto = cls(horizon=best.horizon, random_state=best.random_state)
        auto.best_estimator_ = best
        auto.best_params_ = {k: v for k, v in best.get_params().items() if k in DEFAULT_SPACE}
        return auto

    def _best(self) -> ACMixForecaster:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return self.best_estimator_


def save_plots(study: Any, folder: str | os.PathLike) -> list[Path]:
    """Optuna's optimisation history and parameter importances as PNGs in ``folder``.

    Importances need at least two completed trials; with fewer only the history is
    drawn. Returns the paths written.
    """
    import matplotlib
    import optuna

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from optuna.visualization import matplotlib as plots

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    drawings: dict[str, Callable[..., Axes]] = {
        "optimization_history.png": plots.plot_optimization_history
    }
    if sum(t.state.name == "COMPLETE" for t in study.trials) >= 2:
        drawings["param_importances.png"] = plots.plot_param_importances
    written = []
    for name, draw in drawings.items():
        with warnings.catch_warnings():  # Optuna marks its matplotlib plots experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            axes = draw(study)
        figure = cast(Figure, axes.figure)  # Optuna draws on a new figure, not a subfigure
        figure.savefig(out / name, dpi=120, bbox_inches="tight")
        plt.close(figure)
        written.append(out / name)
    return written


def _resolve(params: dict[str, Any], space: Mapping[str, tuple[Any, ...]], h: int) -> dict:
    return {k: in_steps(v, h) for k, v in params.items() if k in space}
