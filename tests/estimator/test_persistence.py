"""save / load and pickle give identical predictions; bad files fail without running code."""

from __future__ import annotations

import json
import pickle

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


def test_corrupted_weights_fail_clearly(fitted, tmp_path) -> None:
    fitted.save(tmp_path / "m")
    weights = tmp_path / "m" / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
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
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        ACMixForecaster.load(tmp_path / "m")
    assert not marker.exists()


def test_not_a_saved_model(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"No config\.json"):
        ACMixForecaster.load(tmp_path)
    (tmp_path / "config.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match=r"was not written by ACMixForecaster\.save"):
        ACMixForecaster.load(tmp_path)
