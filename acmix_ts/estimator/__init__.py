"""Estimator layer: ``ACMixForecaster`` (fit / predict / save / load / cross-validation)."""

from acmix_ts.estimator.forecaster import ACMixForecaster

__all__ = ["ACMixForecaster"]
