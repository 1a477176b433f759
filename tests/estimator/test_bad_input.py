"""Each kind of bad input gets a ValueError that says what, where and how to fix it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster


def _fit(tiny, df, **params):
    return ACMixForecaster(**{**tiny, **params}).fit(df)


def test_nan_in_target_names_series_and_time(panel, tiny) -> None:
    bad = panel.copy()
    bad.loc[(bad["unique_id"] == "s1").to_numpy().nonzero()[0][10], "y"] = np.nan
    with pytest.raises(ValueError, match=r"NaN in series 's1' at 2024-01-01 10:00:00.*Fill"):
        _fit(tiny, bad)


def test_inf_in_target(panel, tiny) -> None:
    bad = panel.copy()
    bad.loc[5, "y"] = np.inf
    with pytest.raises(ValueError, match=r"first is inf in series 's0'"):
        _fit(tiny, bad)


def test_missing_and_misspelt_columns(panel, tiny) -> None:
    with pytest.raises(ValueError, match=r"target column 'y' is missing.*Did you mean 'Y'"):
        _fit(tiny, panel.rename(columns={"y": "Y"}))
    with pytest.raises(ValueError, match=r"id column 'unique_id' is missing"):
        _fit(tiny, panel.drop(columns="unique_id"))
    with pytest.raises(ValueError, match=r"future covariate column 'price' is missing"):
        _fit(tiny, panel, future_covariates=("price",))


def test_duplicated_timestamps(panel, tiny) -> None:
    bad = pd.concat([panel, panel.iloc[[20]]]).sort_values(["unique_id", "ds"], kind="stable")
    with pytest.raises(ValueError, match=r"Series 's0' of df has duplicated timestamps .*drop_"):
        _fit(tiny, bad)


def test_unsorted_timestamps(panel, tiny) -> None:
    bad = panel.copy()
    bad.iloc[[3, 4]] = bad.iloc[[4, 3]].to_numpy()
    with pytest.raises(ValueError, match=r"Series 's0' of df is not sorted by time.*sort_values"):
        _fit(tiny, bad)


def test_irregular_frequency(panel, tiny) -> None:
    bad = panel.drop(index=panel.index[(panel["unique_id"] == "s2").to_numpy()][50])
    with pytest.raises(ValueError, match=r"Series 's2' of df is not regular at frequency 'h'"):
        _fit(tiny, bad)


def test_series_too_short(panel, tiny) -> None:
    short = pd.concat([panel, panel[panel["unique_id"] == "s0"].head(20).assign(unique_id="x")])
    with pytest.raises(ValueError, match=r"Series 'x' has 20 observations, fewer than"):
        _fit(tiny, short)


def test_time_column_not_datetime(panel, tiny) -> None:
    bad = panel.assign(ds="yesterday")
    with pytest.raises(ValueError, match=r"time column 'ds' of df could not be parsed"):
        _fit(tiny, bad)


def test_not_a_frame(tiny) -> None:
    with pytest.raises(TypeError, match="df must be a pandas DataFrame or Series"):
        _fit(tiny, np.zeros((10, 3)))


def test_predict_unknown_static_and_short_history(fitted, panel) -> None:
    with pytest.raises(ValueError, match=r"predict needs the last context_length=24"):
        fitted.predict(df=panel.groupby("unique_id").head(10))


def test_wrong_futr_df_length(panel, tiny) -> None:
    df = panel.assign(x=np.arange(len(panel)) % 5 * 1.0)
    model = _fit(tiny, df, future_covariates=("x",))
    ends = df.groupby("unique_id")["ds"].max()
    rows = [
        {"unique_id": sid, "ds": end + pd.Timedelta(hours=k), "x": 1.0}
        for sid, end in ends.items()
        for k in range(1, 4)  # 3 of the 6 steps
    ]
    with pytest.raises(ValueError, match=r"futr_df must hold the 6 timestamps after the end of"):
        model.predict(futr_df=pd.DataFrame(rows))
    with pytest.raises(ValueError, match="pass futr_df"):
        model.predict()
    assert len(model.predict(h=3, futr_df=pd.DataFrame(rows))) == 9


def test_unknown_id_without_static(panel, tiny) -> None:
    df = panel.assign(group=panel["unique_id"].map({"s0": 0.0, "s1": 1.0, "s2": 2.0}))
    model = _fit(tiny, df, static_covariates=("group",))
    new = panel[panel["unique_id"] == "s0"].assign(unique_id="zz")
    with pytest.raises(ValueError, match=r"static column 'group' is missing from df"):
        model.predict(df=new)
    static = pd.DataFrame({"unique_id": ["zz"], "group": [1.5]})
    assert len(model.predict(df=new, static_df=static)) == 6


def test_bad_val_size(panel, tiny) -> None:
    with pytest.raises(ValueError, match="val_size must be an int >= 0"):
        ACMixForecaster(**tiny).fit(panel, val_size=-1)
    with pytest.raises(ValueError, match=r"val_size=2 is shorter than horizon=6"):
        ACMixForecaster(**tiny).fit(panel, val_size=2)
