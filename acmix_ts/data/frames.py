"""User frames in, canonical long frames out, with validation that says how to fix things.

The estimator accepts a long frame (``unique_id, ds, y`` plus covariate columns), a wide
frame (DatetimeIndex, one column per series) or a ``pd.Series``. Everything becomes a
new long frame sorted by series and time; the user's object is never modified.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Columns:
    """Column roles of a long frame."""

    id: str = "unique_id"
    time: str = "ds"
    targets: tuple[str, ...] = ("y",)
    past: tuple[str, ...] = ()
    future: tuple[str, ...] = ()
    static: tuple[str, ...] = ()

    @property
    def dynamic(self) -> tuple[str, ...]:
        """Targets, past and future covariates: the columns that vary in time."""
        return (*self.targets, *self.past, *self.future)


def _missing_column_error(frame: pd.DataFrame, column: str, role: str, where: str) -> ValueError:
    names = [str(c) for c in frame.columns]
    close = [n for n in names if n.lower() == column.lower()]
    close = close or difflib.get_close_matches(column, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(
        f"The {role} column {column!r} is missing from {where}; it has columns "
        f"{list(frame.columns)}.{hint} Rename the column or pass the right name "
        f"to ACMixForecaster."
    )


def to_long(data: pd.DataFrame | pd.Series, columns: Columns, where: str = "df") -> pd.DataFrame:
    """Return a new long frame with the columns of ``columns``, sorted by id and time.

    A wide frame (DatetimeIndex, no id column) or a Series becomes one univariate series
    per column, named after the column; it may not carry covariates.
    """
    if isinstance(data, pd.Series):
        name = data.name if data.name is not None else columns.targets[0]
        data = data.rename(name).to_frame()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{where} must be a pandas DataFrame or Series. Got {type(data).__name__} instead."
        )
    _check_shape(data, where)
    if columns.id not in data.columns and columns.time not in data.columns:
        _check_time_index(data.index, where)  # a wide frame (or a Series)
        if _is_integer(data.index):
            data = data.set_axis(integers_to_times(data.index, "index", where))
        if isinstance(data.index, pd.DatetimeIndex):
            data = _wide_to_long(data, columns, where)
    needed = [(columns.id, "id"), (columns.time, "time")]
    needed += [(c, "target") for c in columns.targets]
    needed += [(c, "past covariate") for c in columns.past]
    needed += [(c, "future covariate") for c in columns.future]
    for column, role in needed:
        if column not in data.columns:
            raise _missing_column_error(data, column, role, where)
    keep = [columns.id, columns.time, *columns.dynamic]
    keep += [c for c in columns.static if c in data.columns and c not in keep]
    frame = data.loc[:, keep].copy()
    frame[columns.time] = _as_datetime(frame[columns.time], columns.time, where)
    return frame


# An integer time axis (steps 0, 1, 2, ... or years) is carried inside as days from 1970.
INTEGER_EPOCH = pd.Timestamp("1970-01-01")
MAX_INTEGER_TIME = 100_000  # |t| at most, so that the days stay within pandas' range


def _is_integer(values: pd.Index | pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(values) and not isinstance(values, pd.MultiIndex)


def has_integer_time(data: pd.DataFrame | pd.Series, columns: Columns) -> bool:
    """Whether ``data``'s time axis is integer (a column, or the index of a wide frame)."""
    if isinstance(data, pd.DataFrame) and columns.time in data.columns:
        return _is_integer(data[columns.time])
    return isinstance(data, (pd.DataFrame, pd.Series)) and _is_integer(data.index)


def integers_to_times(values: object, name: str, where: str) -> pd.DatetimeIndex:
    """Integer time steps as the timestamps that carry them inside (one day per unit)."""
    steps = np.asarray(values, dtype=np.int64)
    if steps.size and np.abs(steps).max() > MAX_INTEGER_TIME:
        raise ValueError(
            f"The integer time {name!r} of {where} reaches {int(np.abs(steps).max())}; "
            f"integer time axes go up to +-{MAX_INTEGER_TIME:,}. Subtract the first value "
            "(e.g. df[time] -= df[time].min()) or pass timestamps."
        )
    return INTEGER_EPOCH + pd.to_timedelta(steps, unit="D")


def times_to_integers(values: object) -> np.ndarray:
    """The integer steps behind timestamps made by :func:`integers_to_times`."""
    days = (pd.DatetimeIndex(values) - INTEGER_EPOCH) // pd.Timedelta(days=1)
    return np.asarray(days, dtype=np.int64)


def _check_shape(data: pd.DataFrame, where: str) -> None:
    if data.columns.duplicated().any():
        repeated = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        raise ValueError(
            f"{where} has duplicated column names {repeated}; each column needs its own "
            "name. Rename or drop the repeats."
        )
    if len(data) == 0:
        raise ValueError(f"{where} is empty (no rows); pass at least one series.")


def _check_time_index(index: pd.Index, where: str) -> None:
    """A wide frame's index must be a DatetimeIndex; say how to get one."""
    if isinstance(index, pd.PeriodIndex):
        raise ValueError(
            f"{where} has a PeriodIndex; convert it with df.to_timestamp() (or "
            "df.index = df.index.to_timestamp()) first."
        )


def _wide_to_long(data: pd.DataFrame, columns: Columns, where: str) -> pd.DataFrame:
    if len(columns.targets) > 1 or columns.past or columns.future:
        raise ValueError(
            f"{where} is a wide frame (DatetimeIndex, one column per series); wide frames "
            "carry only targets. Pass a long frame with id, time and covariate columns."
        )
    wide = data.copy()
    wide.index = wide.index.rename(columns.time)
    # A temporary value name: a series may itself be called like the target column.
    long = wide.reset_index().melt(id_vars=columns.time, var_name=columns.id, value_name="__y")
    long = long.rename(columns={"__y": columns.targets[0]})
    long[columns.id] = long[columns.id].astype(str)
    return long[[columns.id, columns.time, columns.targets[0]]]


def _as_datetime(values: pd.Series, name: str, where: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if isinstance(values.dtype, pd.PeriodDtype):
        raise ValueError(
            f"The time column {name!r} of {where} holds periods; convert them with "
            f"df[{name!r}] = df[{name!r}].dt.to_timestamp() first."
        )
    if _is_integer(values):
        return pd.Series(integers_to_times(values, name, where), index=values.index, name=name)
    if pd.api.types.is_numeric_dtype(values):
        raise ValueError(
            f"The time column {name!r} of {where} holds non-integer numbers "
            f"({values.dtype}). Pass integers (a step index: 0, 1, 2, ...) or timestamps."
        )
    try:
        return pd.to_datetime(values)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"The time column {name!r} of {where} could not be parsed as datetimes ({err}). "
            "Convert it with pd.to_datetime first."
        ) from err


def check_values(frame: pd.DataFrame, columns: Columns, names: Sequence[str], where: str) -> None:
    """Raise when a column of ``names`` holds NaN/inf or is not numeric, naming the place."""
    for name in names:
        values = frame[name]
        if not pd.api.types.is_numeric_dtype(values):
            raise ValueError(
                f"Column {name!r} of {where} must be numeric. Got dtype {values.dtype}."
            )
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            row = frame.loc[bad].iloc[0]
            kind = "NaN" if pd.isna(row[name]) else "inf"
            raise ValueError(
                f"Column {name!r} of {where} holds {int(bad.sum())} NaN/inf values; the "
                f"first is {kind} in series {row[columns.id]!r} at {row[columns.time]}. Fill "
                "or drop them (e.g. df.interpolate() per series) before calling."
            )


def check_order(frame: pd.DataFrame, columns: Columns, where: str) -> None:
    """Raise on duplicated or unsorted timestamps within a series."""
    ids, times = frame[columns.id], frame[columns.time]
    same = ids.eq(ids.shift()).to_numpy()
    steps = times.diff().to_numpy()
    dup = same & (steps == np.timedelta64(0))
    if dup.any():
        row = frame.loc[dup].iloc[0]
        raise ValueError(
            f"Series {row[columns.id]!r} of {where} has duplicated timestamps (first at "
            f"{row[columns.time]}). Aggregate or drop duplicates, e.g. "
            f"df.drop_duplicates([{columns.id!r}, {columns.time!r}])."
        )
    back = same & (steps < np.timedelta64(0))
    if back.any():
        row = frame.loc[back].iloc[0]
        raise ValueError(
            f"Series {row[columns.id]!r} of {where} is not sorted by time (at "
            f"{row[columns.time]} it goes back). Sort it first: "
            f"df.sort_values([{columns.id!r}, {columns.time!r}])."
        )


def group_series(frame: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """Bring the rows of each series together, keeping first-seen series order and time order.

    Rows of one series that are interleaved with another's are gathered; the order of
    rows within a series is kept, so :func:`check_order` still sees unsorted times.
    """
    codes = pd.factorize(frame[columns.id])[0]
    order = np.argsort(codes, kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _check_static_values(rows: pd.DataFrame, columns: Columns, where: str) -> None:
    """Static columns are numeric and finite in every row."""
    for column in columns.static:
        values = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            sid = rows[columns.id].to_numpy()[np.argmax(bad)]
            raise ValueError(
                f"The static column {column!r} of {where} is NaN, inf or not a number for "
                f"series {sid!r} ({int(bad.sum())} rows). Fill it (static features must be "
                "numeric and known for every series)."
            )


def static_table(
    frame: pd.DataFrame, columns: Columns, static_df: pd.DataFrame | None, where: str
) -> pd.DataFrame:
    """One row of static features per series, from ``static_df`` or constant columns."""
    ids = pd.Index(pd.unique(frame[columns.id]), name=columns.id)
    if not columns.static:
        return pd.DataFrame(index=ids)
    if static_df is not None:
        for column in (columns.id, *columns.static):
            if column not in static_df.columns:
                raise _missing_column_error(static_df, column, "static", "static_df")
        rows = static_df.loc[:, [columns.id, *columns.static]]
        _check_static_values(rows, columns, "static_df")
        unique = rows.drop_duplicates()
        repeated = unique[columns.id][unique[columns.id].duplicated()]
        if len(repeated):
            raise ValueError(
                f"static_df has conflicting rows for series {list(pd.unique(repeated))[:5]}: "
                "one row per series, please (or identical duplicates)."
            )
        table = unique.set_index(columns.id)
    else:
        for column in columns.static:
            if column not in frame.columns:
                raise _missing_column_error(frame, column, "static", where)
        _check_static_values(frame, columns, where)
        grouped = frame.groupby(columns.id, sort=False)[list(columns.static)]
        varying = grouped.nunique() > 1
        if varying.any().any():
            sid = varying.index[varying.any(axis=1).to_numpy()][0]
            raise ValueError(
                f"Static columns {list(columns.static)} of {where} vary within series "
                f"{sid!r}; static features must be constant per series (or pass static_df)."
            )
        table = grouped.first()
    missing = ids.difference(table.index)
    if len(missing):
        raise ValueError(
            f"static_df has no row for series {list(missing[:5])}. Add them to static_df."
        )
    table = table.reindex(ids)
    return table
