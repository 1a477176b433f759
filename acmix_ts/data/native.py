"""Frames of other libraries (polars, ...) in and out, through narwhals.

``fit``, ``predict`` and ``cross_validation`` work on pandas inside; :func:`to_pandas`
turns a polars (or any narwhals-supported eager) frame into a pandas one column by
column, without pyarrow, and :func:`from_pandas` returns the result in the caller's
library. pandas frames pass through untouched.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pandas as pd

PANDAS = "pandas"


def library_of(data: Any) -> str:
    """The name of ``data``'s dataframe library (``"pandas"`` for pandas and None)."""
    if data is None or isinstance(data, (pd.DataFrame, pd.Series)):
        return PANDAS
    module = type(data).__module__.split(".")[0]
    return module


def to_pandas(data: Any) -> Any:
    """``data`` as pandas when narwhals knows its library; anything else as it is."""
    if library_of(data) == PANDAS:
        return data
    try:
        import narwhals as nw
    except ImportError:  # the frame's own check then says what is accepted
        return data
    try:
        frame = nw.from_native(data, eager_only=True, allow_series=True)
    except TypeError:
        return data
    if isinstance(frame, nw.Series):
        return pd.Series(_column(frame), name=frame.name)
    return pd.DataFrame({name: _column(frame[name]) for name in frame.columns})


def _column(series: Any) -> Any:
    import narwhals as nw

    dtype = series.dtype
    if isinstance(dtype, nw.Datetime) and dtype.time_zone:
        utc = series.dt.convert_time_zone("UTC")
        values = utc.dt.replace_time_zone(None).to_numpy()
        return pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(dtype.time_zone)
    if dtype == nw.Categorical or dtype == nw.Enum:
        return pd.Categorical(series.to_numpy())
    return series.to_numpy()


def from_pandas(frame: pd.DataFrame, library: str) -> Any:
    """``frame`` in ``library`` (``"polars"`` ...); pandas stays pandas."""
    if library == PANDAS:
        return frame
    import narwhals as nw

    columns = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            columns[name] = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        elif isinstance(column.dtype, pd.CategoricalDtype) or column.dtype == object:
            columns[name] = np.asarray(column.astype(str), dtype=object)
        else:
            columns[name] = column.to_numpy()
    out = nw.from_dict(columns, backend=importlib.import_module(library))
    for name in frame.columns:  # time zones back
        dtype = frame[name].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out = out.with_columns(
                nw.col(name).dt.replace_time_zone("UTC").dt.convert_time_zone(str(dtype.tz))
            )
    return out.to_native()


def as_given(frame: pd.DataFrame, df: Any, time_col: str, state: Any) -> Any:
    """An output frame in the caller's terms: integer times back (``state.time_axis``), in
    ``df``'s library (else that of the frame ``fit`` saw, ``state.frame_library``)."""
    from acmix_ts.data.frames import times_to_integers

    if state.time_axis == "integer":
        for name in (time_col, "cutoff"):
            if name in frame and not pd.api.types.is_integer_dtype(frame[name]):
                frame[name] = times_to_integers(frame[name])
    return from_pandas(frame, library_of(df) if df is not None else state.frame_library)
