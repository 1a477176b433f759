"""scikit-learn conventions: params, clone, the data-free estimator checks."""

from __future__ import annotations

import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks as checks

from acmix_ts import ACMixForecaster

DATA_FREE_CHECKS = [
    checks.check_no_attributes_set_in_init,
    checks.check_parameters_default_constructible,
    checks.check_get_params_invariance,
    checks.check_set_params,
    checks.check_estimator_cloneable,
    checks.check_estimator_repr,
    checks.check_do_not_raise_errors_in_init_or_set_params,
]


@pytest.mark.parametrize("check", DATA_FREE_CHECKS, ids=lambda c: c.__name__)
def test_data_free_estimator_checks(check) -> None:
    check("ACMixForecaster", ACMixForecaster())


def test_clone_keeps_every_param() -> None:
    model = ACMixForecaster(
        horizon=7,
        fusion="gate",
        quantiles=(0.2, 0.8),
        future_covariates=("x",),
        trainer_kwargs={"accelerator": "cpu"},
        network_kwargs={"patch_stride": 4},
    )
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert copy.trainer_kwargs is not model.trainer_kwargs  # deep-copied, not shared


def test_get_set_params_round_trip() -> None:
    model = ACMixForecaster()
    params = model.get_params()
    params.update(horizon=12, d_model=32, fusion="token_gate", random_state=7)
    other = ACMixForecaster().set_params(**params)
    assert other.get_params() == params


def test_not_fitted_error() -> None:
    with pytest.raises(NotFittedError):
        ACMixForecaster().predict()
    with pytest.raises(NotFittedError):
        ACMixForecaster().save("unused")


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("horizon", 0, "The 'horizon' parameter of ACMixForecaster must be an int >= 1. Got 0"),
        ("fusion", "mix", "The 'fusion' parameter of ACMixForecaster must be one of"),
        ("dropout", 1.5, "The 'dropout' parameter of ACMixForecaster must be \"auto\" or a"),
        ("loss", "l3", "The 'loss' parameter of ACMixForecaster must be one of"),
        ("quantiles", (0.5, 1.2), "The 'quantiles' parameter"),
        ("window_size", 0, "The 'window_size' parameter"),
    ],
)
def test_bad_params_rejected_in_fit(param, value, message, panel) -> None:
    model = ACMixForecaster(**{param: value})  # init only stores
    with pytest.raises(ValueError, match=message):
        model.fit(panel)
