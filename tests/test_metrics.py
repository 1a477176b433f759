"""Metrics against values computed by hand on tiny arrays (the arithmetic is in comments)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from acmix_ts.metrics import (
    coverage,
    evaluate,
    mae,
    mape,
    mase,
    mse,
    quantile_loss,
    rmse,
    smape,
)

Y = [1.0, 2.0, 3.0, 4.0]
F = [2.0, 2.0, 1.0, 5.0]  # errors y - f = [-1, 0, 2, -1]


def test_point_metrics_by_hand():
    assert mse(Y, F) == pytest.approx((1 + 0 + 4 + 1) / 4)  # 1.5
    assert mae(Y, F) == pytest.approx((1 + 0 + 2 + 1) / 4)  # 1.0
    assert rmse(Y, F) == pytest.approx(math.sqrt(1.5))
    # |e| / |y| = 1/1, 0/2, 2/3, 1/4
    assert mape(Y, F) == pytest.approx(100 * (1 + 0 + 2 / 3 + 1 / 4) / 4)  # 47.9167
    # 2|e| / (|y| + |f|) = 2/3, 0/4, 4/4, 2/9
    assert smape(Y, F) == pytest.approx(100 * (2 / 3 + 0 + 1 + 2 / 9) / 4)  # 47.2222


def test_metrics_pool_any_shape_and_return_float():
    y2, f2 = np.reshape(Y, (2, 2)), np.reshape(F, (2, 2))
    assert mse(y2, f2) == pytest.approx(1.5)
    assert isinstance(mae(y2, f2), float)


def test_smape_scale_and_zero_over_zero():
    assert smape([0.0, 1.0], [0.0, 3.0]) == pytest.approx(100 * (0 + 2 * 2 / 4) / 2)  # 50
    assert smape([1.0], [-1.0]) == pytest.approx(200.0)  # the top of the 0..200 scale


def test_mase_by_hand():
    train = [1.0, 3.0, 2.0, 5.0, 4.0]
    # m=1: |3-1|, |2-3|, |5-2|, |4-5| = 2, 1, 3, 1 -> scale 7/4; mae = 1
    assert mase(Y, F, train) == pytest.approx(1 / (7 / 4))
    # m=2: |2-1|, |5-3|, |4-2| = 1, 2, 2 -> scale 5/3
    assert mase(Y, F, train, m=2) == pytest.approx(1 / (5 / 3))


def test_mase_errors():
    with pytest.raises(ValueError, match=r"at least m \+ 1 = 3"):
        mase(Y, F, [1.0, 2.0], m=2)
    with pytest.raises(ValueError, match="MASE is undefined"):
        mase(Y, F, [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="'m' parameter"):
        mase(Y, F, [1.0, 2.0, 3.0], m=0)


def test_quantile_loss_by_hand():
    y, f = [1.0, 2.0, 3.0], [2.0, 2.0, 1.0]  # errors -1, 0, 2
    # q=0.9: max(0.9 e, -0.1 e) = 0.1, 0, 1.8
    assert quantile_loss(y, f, 0.9) == pytest.approx((0.1 + 0 + 1.8) / 3)
    # q=0.1: max(0.1 e, -0.9 e) = 0.9, 0, 0.2
    assert quantile_loss(y, f, 0.1) == pytest.approx((0.9 + 0 + 0.2) / 3)
    assert quantile_loss(y, f, 0.5) == pytest.approx(mae(y, f) / 2)
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        quantile_loss(y, f, 1.0)


def test_coverage_by_hand():
    lo, hi = [0.0, 2.0, 3.5, 3.0], [1.0, 3.0, 4.0, 3.9]
    # 1 in [0, 1] yes (closed), 2 in [2, 3] yes, 3 in [3.5, 4] no, 4 in [3, 3.9] no
    assert coverage(Y, lo, hi) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="'lo' is above 'hi' at 1 point"):
        coverage(Y, [0.0, 0.0, 5.0, 0.0], [9.0, 9.0, 4.0, 9.0])


def test_input_errors():
    with pytest.raises(ValueError, match=r"same shape.*\(4,\).*\(3,\)"):
        mse(Y, F[:3])
    with pytest.raises(
        ValueError, match=r"'y_pred' contains 1 NaN value\(s\), first at index \[2\]"
    ):
        mae(Y, [1.0, 2.0, np.nan, 4.0])
    with pytest.raises(ValueError, match="must not be empty"):
        rmse([], [])
    with pytest.raises(ValueError, match="contains 1 zero"):
        mape([0.0, 1.0], [1.0, 1.0])


def forecast_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "ds": pd.to_datetime(["2024-01-01", "2024-01-02"] * 2),
            "cutoff": pd.to_datetime(["2023-12-31"] * 4),
            "y": [1.0, 3.0, 10.0, 20.0],
            "ACMix": [2.0, 3.0, 12.0, 16.0],
            "ACMix-lo-80": [0.0, 0.0, 0.0, 0.0],
            "ACMix-hi-80": [9.0, 9.0, 99.0, 99.0],
            "ACMix_ql0.1": [0.0, 0.0, 0.0, 0.0],
            "Naive": [1.0, 1.0, 10.0, 10.0],
        }
    )


def test_evaluate_tidy_per_series_and_model():
    df = forecast_frame()
    before = df.copy()
    out = evaluate(df, metrics=["mae", "rmse"])
    pd.testing.assert_frame_equal(df, before)  # input unchanged
    assert list(out.columns) == ["unique_id", "model", "metric", "value"]
    assert set(out["model"]) == {"ACMix", "Naive"}  # interval/quantile columns skipped
    value = out.set_index(["unique_id", "model", "metric"])["value"]
    assert value["a", "ACMix", "mae"] == pytest.approx((1 + 0) / 2)  # errors -1, 0
    assert value["b", "ACMix", "rmse"] == pytest.approx(math.sqrt((4 + 16) / 2))  # -2, 4
    assert value["b", "Naive", "mae"] == pytest.approx((0 + 10) / 2)
    assert len(out) == 2 * 2 * 2


def test_evaluate_mase_and_callables():
    train = pd.DataFrame({"unique_id": ["a"] * 3 + ["b"] * 3, "y": [0.0, 2.0, 4.0, 0, 5, 10]})
    out = evaluate(forecast_frame(), metrics=["mase", mse], models=["ACMix"], train_df=train)
    value = out.set_index(["unique_id", "metric"])["value"]
    assert value["a", "mase"] == pytest.approx(0.5 / 2)  # mae 0.5, naive scale (2 + 2) / 2
    assert value["b", "mase"] == pytest.approx(3.0 / 5)  # mae (2 + 4) / 2, scale 5
    assert value["b", "mse"] == pytest.approx(10.0)
    with pytest.raises(ValueError, match="needs the training data"):
        evaluate(forecast_frame(), metrics=["mase"])


def test_evaluate_errors_say_where():
    df = forecast_frame()
    df.loc[2, "Naive"] = np.nan
    with pytest.raises(ValueError, match=r"Column 'Naive' has 1 NaN value\(s\), in series \['b'\]"):
        evaluate(df)
    with pytest.raises(ValueError, match=r"'Prophet'.*point-forecast columns"):
        evaluate(forecast_frame(), models=["Prophet"])
    with pytest.raises(ValueError, match="Unknown metric 'r2'"):
        evaluate(forecast_frame(), metrics=["r2"])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['y'\]"):
        evaluate(forecast_frame().drop(columns="y"))
