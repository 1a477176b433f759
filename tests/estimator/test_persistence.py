"""save / load and pickle give identical predictions; bad files fail without running code."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from acmix_ts import ACMixForecaster


def test_save_load_round_trip(fitted, tmp_path) -> None:
    fitted.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "config.json",
        "state.safetensors",
        "weights.safetensors",
    ]
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert {"acmix_ts", "torch", "pytorch_lightning"} <= set(config["versions"])
    loaded = ACMixForecaster.load(tmp_path / "model")
    assert loaded.get_params() == fitted.get_params()
    pd.testing.assert_frame_equal(loaded.predict(), fitted.predict())
    np.testing.assert_array_equal(loaded.conformal_scores_, fitted.conformal_scores_)
    pd.testing.assert_frame_equal(loaded.predict(level=[80]), fitted.predict(level=[80]))


def test_pickle_round_trip(fitted) -> None:
    restored = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(restored.predict(), fitted.predict())


def test_round_trip_with_quantiles_and_covariates(panel, tiny, tmp_path) -> None:
    df = panel.assign(x=(panel.index % 7).astype(float))
    model = ACMixForecaster(**tiny, loss="quantile", past_covariates=("x",)).fit(df)
    model.save(tmp_path / "q")
    loaded = ACMixForecaster.load(tmp_path / "q")
    pd.testing.assert_frame_equal(loaded.predict(level=[80]), model.predict(level=[80]))


def _rehash(folder) -> None:
    """Rewrite the manifest after an edit: a hostile but self-consistent model folder."""
    config = json.loads((folder / "config.json").read_text())
    for name in config["files"]:
        config["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / "config.json").write_text(json.dumps(config))


def _edit_config(folder, edit) -> None:
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))


def test_round_trip_of_a_multiscale_network(panel, tiny, tmp_path) -> None:
    model = ACMixForecaster(**{**tiny, "n_blocks": 1, "network_kwargs": {"n_stages": 2}})
    model.fit(panel)
    assert model.network_config_["n_stages"] == 2
    model.save(tmp_path / "multiscale")
    loaded = ACMixForecaster.load(tmp_path / "multiscale")
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())


def test_corrupted_weights_fail_clearly(fitted, tmp_path) -> None:
    fitted.save(tmp_path / "m")
    weights = tmp_path / "m" / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    with pytest.raises(ValueError, match="does not belong to"):
        ACMixForecaster.load(tmp_path / "m")
    _rehash(tmp_path / "m")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        ACMixForecaster.load(tmp_path / "m")


class _Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_foreign_weights_run_no_code(fitted, tmp_path) -> None:
    fitted.save(tmp_path / "m")
    marker = tmp_path / "code_ran"
    (tmp_path / "m" / "weights.safetensors").write_bytes(pickle.dumps(_Payload(str(marker))))
    _rehash(tmp_path / "m")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        ACMixForecaster.load(tmp_path / "m")
    assert not marker.exists()


def test_not_a_saved_model(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"No config\.json"):
        ACMixForecaster.load(tmp_path)
    (tmp_path / "config.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match=r"was not written by ACMixForecaster\.save"):
        ACMixForecaster.load(tmp_path)


def test_other_format_version_is_named(fitted, tmp_path) -> None:
    fitted.save(tmp_path / "m")
    _edit_config(tmp_path / "m", lambda c: c.update(format_version=2))
    with pytest.raises(ValueError, match=r"format version 2.*reads version 3"):
        ACMixForecaster.load(tmp_path / "m")


def test_mixed_saves_are_refused(fitted, panel, tiny, tmp_path) -> None:
    """New weights beside an old state (a save that died halfway, by hand) do not load."""
    other = ACMixForecaster(**{**tiny, "random_state": 1}).fit(panel)
    fitted.save(tmp_path / "a")
    other.save(tmp_path / "b")
    shutil.copy(tmp_path / "b" / "weights.safetensors", tmp_path / "a" / "weights.safetensors")
    with pytest.raises(ValueError, match="does not belong to"):
        ACMixForecaster.load(tmp_path / "a")


def test_save_is_atomic(fitted, panel, tiny, tmp_path, monkeypatch) -> None:
    """A crash in the middle of a save over a model leaves that model loadable, unmixed."""
    from acmix_ts.estimator import persistence

    fitted.save(tmp_path / "m")
    before = fitted.predict()
    other = ACMixForecaster(**{**tiny, "random_state": 3}).fit(panel.assign(y=panel.y * 100))

    monkeypatch.setattr(persistence, "save_file", _crash_second(persistence.save_file))
    with pytest.raises(OSError, match="disk full"):
        other.save(tmp_path / "m")
    pd.testing.assert_frame_equal(ACMixForecaster.load(tmp_path / "m").predict(), before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no staging left behind
    monkeypatch.undo()
    other.save(tmp_path / "m")  # a save that completes replaces the model
    pd.testing.assert_frame_equal(ACMixForecaster.load(tmp_path / "m").predict(), other.predict())


def _crash_second(save_file):
    calls = []

    def wrapped(tensors, path):
        calls.append(path)
        if len(calls) == 2:  # the weights are written, the state is not
            raise OSError("disk full")
        return save_file(tensors, path)

    return wrapped


def test_save_refuses_to_replace_other_folders(fitted, tmp_path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a saved ACMixForecaster"):
        fitted.save(tmp_path / "docs")
    assert (tmp_path / "docs" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda f: f["members"][0]["config"].update(d_model=1 << 20, n_heads=1), "do not fit"),
        (lambda f: f["members"][0]["config"].update(n_blocks=400), "do not fit"),
        (lambda f: f["members"][0]["config"].update(d_model=-4), "d_model"),
        (lambda f: f["members"][0]["config"].update(colour="red"), "unknown fields"),
        (lambda f: f["members"][0]["config"].update(horizon=10**9), "forecasts 1000000000 steps"),
        (lambda f: f.update(members=f["members"] * 100), "1 to 64 member"),
        (lambda f: f.update(ids=f["ids"][:-1]), "do(es)? not fit together"),
        (lambda f: f.pop("columns"), "inconsistent fitted state"),
    ],
)
def test_hostile_configs_fail_before_building(fitted, tmp_path, edit, message) -> None:
    fitted.save(tmp_path / "m")
    _edit_config(tmp_path / "m", lambda c: edit(c["fitted"]))
    with pytest.raises(ValueError, match=message):
        ACMixForecaster.load(tmp_path / "m")


def test_missing_section_and_unknown_parameter(fitted, tmp_path) -> None:
    fitted.save(tmp_path / "m")
    _edit_config(tmp_path / "m", lambda c: c.pop("fitted"))
    with pytest.raises(ValueError, match=r"lacks the section\(s\) \['fitted'\]"):
        ACMixForecaster.load(tmp_path / "m")
    fitted.save(tmp_path / "n")
    _edit_config(tmp_path / "n", lambda c: c["params"].update(colour="red"))
    with pytest.raises(ValueError, match="unknown names"):
        ACMixForecaster.load(tmp_path / "n")
    fitted.save(tmp_path / "o")
    _edit_config(tmp_path / "o", lambda c: c["params"].update(horizon=-1))
    with pytest.raises(ValueError, match="'horizon' parameter"):
        ACMixForecaster.load(tmp_path / "o")


def test_non_finite_weights_are_refused(fitted, tmp_path) -> None:
    from safetensors.torch import load_file, save_file

    fitted.save(tmp_path / "m")
    path = tmp_path / "m" / "weights.safetensors"
    tensors = load_file(path)
    first = next(k for k, v in tensors.items() if v.is_floating_point())
    tensors[first] = tensors[first].clone().fill_(float("nan"))
    save_file(tensors, path)
    _rehash(tmp_path / "m")
    with pytest.raises(ValueError, match="NaN or inf"):
        ACMixForecaster.load(tmp_path / "m")


def test_time_zone_survives_save(tiny, panel, tmp_path) -> None:
    """Europe/Berlin stays a zone (not UTC+01:00): the forecast crosses the DST change."""
    ds = pd.date_range("2024-03-24", periods=160, freq="h", tz="Europe/Berlin")
    df = panel.assign(ds=np.tile(ds, 3))
    model = ACMixForecaster(**tiny).fit(df)
    model.save(tmp_path / "tz")
    loaded = ACMixForecaster.load(tmp_path / "tz")
    assert str(loaded.last_ds_.tz) == "Europe/Berlin"
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())
    assert str(loaded.predict()["ds"].dt.tz) == "Europe/Berlin"


def test_numpy_integer_parameters_save(panel, tiny, tmp_path) -> None:
    model = ACMixForecaster(**{**tiny, "random_state": np.int64(2), "horizon": np.int64(6)})
    model.fit(panel).save(tmp_path / "np")
    loaded = ACMixForecaster.load(tmp_path / "np")
    assert loaded.random_state == 2 and type(loaded.random_state) is int
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())


def test_save_and_load_through_fsspec_urls(fitted) -> None:
    import fsspec

    fitted.save("memory://models/m")
    fs = fsspec.filesystem("memory")
    assert sorted(p.rsplit("/", 1)[-1] for p in fs.ls("/models/m", detail=False)) == [
        "config.json", "state.safetensors", "weights.safetensors",
    ]  # fmt: skip
    fitted.save("memory://models/m")  # over an existing model
    loaded = ACMixForecaster.load("memory://models/m")
    pd.testing.assert_frame_equal(loaded.predict(), fitted.predict())
    assert not Path("memory:").exists()  # no local folder named after the scheme
    with pytest.raises(FileNotFoundError, match="No saved ACMixForecaster"):
        ACMixForecaster.load("memory://models/none")
