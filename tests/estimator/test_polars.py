"""polars frames in, polars frames out (through narwhals), equal to the pandas results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster

pl = pytest.importorskip("polars")
pytest.importorskip("narwhals")


def _polars(frame: pd.DataFrame):
    return pl.DataFrame({name: frame[name].to_numpy() for name in frame.columns})


def test_fit_predict_and_cross_validation_on_polars(panel, tiny) -> None:
    by_pandas = ACMixForecaster(**tiny).fit(panel)
    by_polars = ACMixForecaster(**tiny).fit(_polars(panel))
    forecast = by_polars.predict()
    assert isinstance(forecast, pl.DataFrame)
    np.testing.assert_allclose(forecast["ACMix"].to_numpy(), by_pandas.predict()["ACMix"])
    assert forecast["ds"].to_list()[0] == pd.Timestamp("2024-01-07 16:00:00")
    assert isinstance(by_pandas.predict(df=_polars(panel)), pl.DataFrame)
    assert isinstance(by_polars.predict(df=panel), pd.DataFrame)  # the input's library
    cv = by_polars.cross_validation(_polars(panel), n_windows=2, step_size=6)
    assert isinstance(cv, pl.DataFrame) and cv.height == 3 * 2 * 6
    assert isinstance(by_polars.make_future_dataframe(), pl.DataFrame)
