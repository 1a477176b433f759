"""The LightningModule: losses, weight-decay groups, warm-up schedule, best epoch kept."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from acmix_ts.nn import ACMixConfig, ACMixNetwork
from acmix_ts.training import (
    ForecastingModule,
    SeriesArrays,
    TrainingConfig,
    WindowDataset,
    make_loader,
)
from acmix_ts.training.losses import QuantileLoss, make_loss
from acmix_ts.training.module import split_decay
from acmix_ts.training.trainer import make_trainer, quiet_lightning

CONFIG = dict(
    context_length=16,
    horizon=4,
    patch_len=4,
    patch_stride=4,
    d_model=16,
    n_heads=2,
    n_blocks=2,
    window_size=2,
)


def test_pinball_loss_by_hand() -> None:
    loss = QuantileLoss([0.1, 0.9])
    forecast = torch.tensor([[[[1.0, 3.0]]]])  # (1, 1, 1, 2)
    target = torch.tensor([[[2.0]]])
    # q=0.1: error +1 -> 0.1; q=0.9: error -1 -> (0.9 - 1) * -1 = 0.1; mean 0.1
    assert loss(forecast, target).item() == pytest.approx(0.1)


def test_point_losses_and_unknown() -> None:
    forecast, target = torch.tensor([[[[1.0]], [[4.0]]]]), torch.tensor([[[0.0], [2.0]]])
    assert make_loss("mse")(forecast, target).item() == pytest.approx((1 + 4) / 2)
    assert make_loss("mae")(forecast, target).item() == pytest.approx((1 + 2) / 2)
    assert make_loss("huber")(forecast, target).item() == pytest.approx((0.5 + 1.5) / 2)
    with pytest.raises(ValueError, match="loss must be one of"):
        make_loss("l4")
    with pytest.raises(ValueError, match="needs a non-empty sequence of quantiles"):
        make_loss("quantile")


def test_no_weight_decay_on_scalars_norms_and_bias_tables() -> None:
    module = ForecastingModule(ACMixNetwork(ACMixConfig(**CONFIG)))
    decay, no_decay = split_decay(module.network)
    names = {id(p): n for n, p in module.network.named_parameters()}
    skipped = {names[id(p)] for p in no_decay}
    assert all(p.ndim >= 2 for p in decay)
    assert any(n.endswith("fusion.alpha") for n in skipped)
    assert any(n.endswith("relative_bias_table") for n in skipped)


def _loaders(n_steps=120):
    t = np.arange(n_steps, dtype=np.float32)
    series = [SeriesArrays(y=np.sin(t / 3 + i)[:, None].astype(np.float32)) for i in range(3)]
    train = WindowDataset([SeriesArrays(y=s.y[:90]) for s in series], 16, 4)
    val = WindowDataset([SeriesArrays(y=s.y[70:]) for s in series], 16, 4)
    return make_loader(train, 16, shuffle=True), make_loader(val, 64, shuffle=False)


def test_attention_warmup_ramps_then_ends_at_full() -> None:
    module = ForecastingModule(
        ACMixNetwork(ACMixConfig(**CONFIG)), TrainingConfig(attention_warmup_epochs=2)
    )
    seen = []
    original = module.network.set_attention_scale
    module.network.set_attention_scale = lambda s: (seen.append(s), original(s))[1]
    train, val = _loaders()
    make_trainer(max_epochs=3, trainer_kwargs={"accelerator": "cpu"}).fit(module, train, val)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(b >= a for a, b in itertools.pairwise(seen))
    assert 0 < seen[len(seen) // 3] < 1


def test_best_validation_epoch_is_restored() -> None:
    torch.manual_seed(0)
    module = ForecastingModule(
        ACMixNetwork(ACMixConfig(**CONFIG)), TrainingConfig(learning_rate=1e-2)
    )
    train, val = _loaders()
    make_trainer(max_epochs=4, trainer_kwargs={"accelerator": "cpu"}).fit(module, train, val)
    assert np.isfinite(module.best_val_loss)
    losses = []
    module.eval()
    with torch.no_grad():
        for batch in val:
            losses.append(module._step(batch).item() * len(batch["y"]))
    assert sum(losses) / len(val.dataset) == pytest.approx(module.best_val_loss, rel=1e-4)


@pytest.mark.parametrize("n_windows", [1, 3, 5, 6, 11])
def test_schedule_works_for_any_number_of_steps(n_windows: int) -> None:
    series = [SeriesArrays(y=np.zeros((16 + 4 + n_windows - 1, 1), np.float32))]
    loader = make_loader(WindowDataset(series, 16, 4), batch_size=1, shuffle=True)
    module = ForecastingModule(ACMixNetwork(ACMixConfig(**CONFIG)))
    with quiet_lightning():
        make_trainer(max_epochs=1, trainer_kwargs={"accelerator": "cpu"}).fit(module, loader)
    assert module.trainer.global_step == n_windows


def test_the_start_is_kept_when_no_epoch_beats_it() -> None:
    # A pure cycle of 4 steps: the linear path's seasonal naive start is exact, so a
    # far too large learning rate can only make it worse, and the start is restored.
    t = np.arange(200)
    y = np.array([0.0, 1.0, 0.0, -1.0], np.float32)[t % 4][:, None]
    data = WindowDataset([SeriesArrays(y=y)], 16, 4)
    config = {**CONFIG, "linear_path": True, "linear_init_lag": 4}
    torch.manual_seed(0)
    module = ForecastingModule(
        ACMixNetwork(ACMixConfig(**config)), TrainingConfig(learning_rate=50.0)
    )
    start = {k: v.clone() for k, v in module.network.state_dict().items()}
    loader = make_loader(data, 32, shuffle=False)
    module.keep_initial(loader)
    assert module.best_val_loss < 1e-8
    trainer = make_trainer(max_epochs=2, trainer_kwargs={"accelerator": "cpu"})
    with quiet_lightning():
        trainer.fit(module, make_loader(data, 32, shuffle=True), loader)
    for key, value in module.network.state_dict().items():
        torch.testing.assert_close(value, start[key])
