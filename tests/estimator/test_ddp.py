"""Distributed training: two CPU processes (gloo) through Lightning's ddp_spawn."""

from __future__ import annotations

import numpy as np
import pytest
from torch.multiprocessing.spawn import ProcessExitedException

from acmix_ts import ACMixForecaster

from .conftest import TINY, make_panel


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_ddp_spawn_two_processes_close_to_single() -> None:
    panel = make_panel(n_series=4, n_steps=240)
    params = {**TINY, "max_epochs": 6, "d_model": 32}
    single = ACMixForecaster(**params, trainer_kwargs={"accelerator": "cpu"}).fit(panel)
    ddp = ACMixForecaster(
        **params,
        trainer_kwargs={"accelerator": "cpu", "devices": 2, "strategy": "ddp_spawn"},
    )
    try:
        ddp.fit(panel)
    except ProcessExitedException:
        # Seen rarely on an oversubscribed 2-core machine: a worker aborts in teardown
        # after training. One retry tells that apart from a real failure (which repeats).
        ddp.fit(panel)
    a, b = single.predict(), ddp.predict()
    assert a.shape == b.shape and (a["ds"] == b["ds"]).all()
    # Two processes see half the batches each and average gradients, so the runs differ
    # a little; both must land on the same forecast up to a small share of its spread.
    spread = panel["y"].std()
    assert np.abs(a["ACMix"] - b["ACMix"]).mean() < 0.25 * spread
    assert next(ddp.network_.parameters()).device.type == "cpu"
