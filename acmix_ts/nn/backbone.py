"""What every patch-based network shares: RevIN, covariates, the head.

:class:`PatchForecastNetwork` runs
``RevIN -> patch embedding (+ covariates, static) -> positional -> blocks -> head -> RevIN^-1``
and is subclassed by :class:`~acmix_ts.nn.ACMixNetwork` and
:class:`~acmix_ts.nn.PatchTSTNetwork`, which only choose the blocks.

Covariates: past covariates and the context part of future covariates are patched into
every token; static features are embedded and added to every token; the horizon part of
future covariates goes straight to the output through a per-step map Cf -> C*Q (linear
plus a small MLP, :class:`FutureCovariateMap`), added in normalised units before RevIN
is inverted. With ``revin`` the past and future
covariates are normalised per instance with statistics of the CONTEXT part, like the
targets, and clipped to +-``COVARIATE_CLIP`` so that a covariate constant over the
context (an event indicator) cannot explode in the horizon; static features are used as
given.

Shape: y (B, L, C), past (B, L, Cp), future (B, L+H, Cf), static (B, S) -> (B, H, C, Q).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
from torch import Tensor, nn

from .config import ACMixConfig
from .inputs import NetworkInputs
from .patching import PatchEmbedding
from .revin import RevIN, instance_standardise
from .stages import TokenMerge, stage_tokens

COVARIATE_CLIP = 10.0


class FutureCovariateMap(nn.Module):
    """Per-step map from the horizon covariates to the output: linear + small MLP.

    ``out_h = W f_h + MLP(f_h)`` with MLP Cf -> hidden -> C*Q (GELU), applied at each
    horizon step h on its own. The linear part starts at zero and the MLP's last layer at
    std 0.02, so the network starts almost as if there were no covariates. The MLP is
    there for speed as much as for non-linear effects: a coefficient of 1 in normalised
    units (a target equal to 3 x a covariate) needs ~1/lr Adam steps on a single weight,
    but only ~1/(lr*sqrt(hidden)) through the hidden units.

    Shape: f (B, H, Cf) -> (B, H, C*Q).
    """

    def __init__(self, n_future: int, n_out: int, hidden: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_future, n_out, bias=False)
        self.mlp = nn.Sequential(nn.Linear(n_future, hidden), nn.GELU(), nn.Linear(hidden, n_out))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.zeros_(self.linear.weight)
        first, last = cast(nn.Linear, self.mlp[0]), cast(nn.Linear, self.mlp[2])
        first.reset_parameters()
        nn.init.trunc_normal_(last.weight, std=0.02)
        nn.init.zeros_(last.bias)

    def forward(self, future: Tensor) -> Tensor:
        return self.linear(future) + self.mlp(future)


class LinearPath(nn.Module):
    """Linear map context -> horizon applied to each target on its own, weights shared.

    Starts at zero, so a network with the path starts as one without it, or, with
    ``config.linear_init_lag = k``, as the forecast that repeats the last k context
    steps (naive for k = 1, seasonal naive for the season). It reads the
    RevIN-normalised context, where a trend is a ramp that a linear map extrapolates;
    RevIN alone restores only the level of the context.

    Shape: y (B, L, C) -> (B, H, C, Q) (the same map for every output Q).
    """

    def __init__(self, config: ACMixConfig) -> None:
        super().__init__()
        self.n_outputs = config.n_outputs
        self.init_lag = config.linear_init_lag
        self.proj = nn.Linear(config.context_length, config.horizon)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        if self.init_lag:
            length, lag = self.proj.in_features, self.init_lag
            steps = torch.arange(self.proj.out_features)
            with torch.no_grad():
                self.proj.weight[steps, length - lag + steps % lag] = 1.0

    def forward(self, y: Tensor) -> Tensor:
        out = self.proj(y.transpose(1, 2)).transpose(1, 2)  # (B, H, C)
        return out.unsqueeze(-1).expand(*out.shape, self.n_outputs)  # (B, H, C, Q)


class ForecastHead(nn.Module):
    """Flatten-linear head to the horizon plus the direct future-covariate path.

    Parameters
    ----------
    config : ACMixConfig
        Sizes; ``n_future_covariates > 0`` adds ``future_proj``, a
        :class:`FutureCovariateMap` Cf -> C*Q applied per horizon step.
    n_tokens : int
        Tokens per sequence T.

    Shape: tokens (B*, T, d), future horizon (B, H, Cf) or None -> (B, H, C, Q).
    """

    def __init__(self, config: ACMixConfig, n_tokens: int) -> None:
        super().__init__()
        self.horizon = config.horizon
        self.n_targets = config.n_targets
        self.n_outputs = config.n_outputs
        self.series_per_sample = config.n_targets if config.channel_independent else 1
        targets_per_series = config.n_targets // self.series_per_sample
        self.norm = nn.LayerNorm(config.d_model)
        self.dropout = nn.Dropout(config.dropout)
        self.proj = nn.Linear(
            n_tokens * config.d_model, config.horizon * targets_per_series * config.n_outputs
        )
        if config.linear_path:  # the network starts as its linear path's forecast
            nn.init.zeros_(self.proj.weight)
            nn.init.zeros_(self.proj.bias)
        n_future = config.n_future_covariates
        n_out = config.n_targets * config.n_outputs
        self.future_proj = (
            FutureCovariateMap(n_future, n_out, config.d_model) if n_future > 0 else None
        )

    def forward(self, tokens: Tensor, future_horizon: Tensor | None) -> Tensor:
        z = self.proj(self.dropout(self.norm(tokens).flatten(1)))  # (B*C', H*C''*Q)
        batch = tokens.shape[0] // self.series_per_sample
        # C' sequences per sample (C with channel independence, else 1), C'' = C / C'.
        z = z.view(batch, self.series_per_sample, self.horizon, -1, self.n_outputs)
        # z: (B, C', H, C'', Q)
        z = z.permute(0, 2, 1, 3, 4)  # (B, H, C', C'', Q)
        z = z.reshape(batch, self.horizon, self.n_targets, self.n_outputs)  # (B, H, C, Q)
        if self.future_proj is not None and future_horizon is not None:
            direct = self.future_proj(future_horizon)  # (B, H, C*Q)
            direct = direct.view(
                batch, self.horizon, self.n_targets, self.n_outputs
            )  # (B, H, C, Q)
            z = z + direct
        return z  # (B, H, C, Q)


class PatchForecastNetwork(nn.Module):
    """Patch-token forecaster with RevIN, covariates and a flatten head; blocks given.

    Parameters
    ----------
    config : ACMixConfig
        Sizes and options.
    blocks : sequence of nn.Module
        Token blocks (B*, T, d) -> (B*, T, d), applied in order.
    positional : nn.Module or None
        Added position information (B*, T, d) -> (B*, T, d); ``None`` = identity.

    Shape: y (B, L, C), past (B, L, Cp), future (B, L+H, Cf), static (B, S) -> (B, H, C, Q).
    """

    def __init__(
        self, config: ACMixConfig, blocks: Sequence[nn.Module], positional: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.n_tokens = config.n_tokens
        self.revin = RevIN(config.n_targets) if config.revin else None
        self.embedding = PatchEmbedding(config)
        self.positional = positional if positional is not None else nn.Identity()
        self.blocks = nn.ModuleList(blocks)
        self.head = ForecastHead(config, self.n_tokens)
        # Multi-scale (n_stages > 1): a merge before, and a head after, every later stage.
        later = stage_tokens(self.n_tokens, config.n_stages)[1:]
        self.merges = nn.ModuleList(TokenMerge(config.d_model) for _ in later)
        self.stage_heads = nn.ModuleList(ForecastHead(config, n) for n in later)
        self.linear_path = LinearPath(config) if config.linear_path else None

    def _normalise(self, x: Tensor) -> Tensor:
        if not self.config.revin:
            return x
        x_norm, _, _ = instance_standardise(x, n_context=self.config.context_length)
        return x_norm.clamp(-COVARIATE_CLIP, COVARIATE_CLIP)

    def forward(
        self,
        y: Tensor,
        past_covariates: Tensor | None = None,
        future_covariates: Tensor | None = None,
        static: Tensor | None = None,
    ) -> Tensor:
        """Forecast (B, H, C, Q) in the units of ``y``; see the class docstring for shapes."""
        config = self.config
        NetworkInputs(y, past_covariates, future_covariates, static).check(config)
        length = config.context_length
        stats: tuple[Tensor, Tensor] | None = None
        if self.revin is not None:
            y, stats = self.revin(y)  # (B, L, C)
        context, future_horizon = [], None
        if config.n_past_covariates:
            assert past_covariates is not None  # required by check() above
            context.append(self._normalise(past_covariates))  # (B, L, Cp)
        if config.n_future_covariates:
            assert future_covariates is not None  # required by check() above
            future = self._normalise(future_covariates)  # (B, L + H, Cf)
            context.append(future[:, :length])  # (B, L, Cf)
            future_horizon = future[:, length:]  # (B, H, Cf)
        covariates = torch.cat(context, dim=-1) if context else None  # (B, L, Cp + Cf)
        tokens = self.embedding(y, covariates, static if config.n_static else None)
        tokens = self.positional(tokens)  # (B*, T, d)
        out = self.stages(tokens, future_horizon)  # (B, H, C, Q)
        if self.linear_path is not None:
            out = out + self.linear_path(y)  # y is RevIN-normalised here
        if self.revin is None or stats is None:  # stats is set whenever revin is
            return out
        return self.revin.inverse(out, stats)

    def stages(self, tokens: Tensor, future_horizon: Tensor | None) -> Tensor:
        """The blocks, stage by stage, and the sum of the stages' heads: (B, H, C, Q)."""
        per_stage = self.config.n_blocks
        for block in self.blocks[:per_stage]:
            tokens = block(tokens)  # (B*, T, d)
        out = self.head(tokens, future_horizon)
        for stage, (merge, head) in enumerate(zip(self.merges, self.stage_heads, strict=True)):
            tokens = merge(tokens)  # (B*, ceil(T_s / 2), d)
            for block in self.blocks[(stage + 1) * per_stage : (stage + 2) * per_stage]:
                tokens = block(tokens)
            out = out + head(tokens, None)
        return out

    def no_weight_decay(self) -> set[str]:
        """Names of parameters to train WITHOUT weight decay.

        Every parameter with at most one dimension (fusion scalars ``alpha``/``beta``,
        biases, LayerNorm and RevIN weights) and the relative-position bias tables.
        """
        return {
            name
            for name, p in self.named_parameters()
            if p.dim() <= 1 or name.endswith("relative_bias_table")
        }
