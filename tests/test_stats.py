"""Forecast-evaluation statistics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from acmix_ts.stats import (
    binomial_test,
    diebold_mariano,
    direction_hits,
    hit_rate,
    max_drawdown,
    sharpe_ratio,
    sign_strategy_returns,
)

# Loss differential d = loss_a - loss_b = [1, 3, 0, 2, 4, 2]: n = 6, mean 2,
# centred c = [-1, 1, -2, 0, 2, 0].
LOSS_A = np.array([2.0, 4.0, 1.0, 3.0, 5.0, 3.0])
LOSS_B = np.ones(6)
N = 6
GAMMA0 = (1 + 1 + 4 + 0 + 4 + 0) / N  # 10/6
GAMMA1 = ((1 * -1) + (-2 * 1) + (0 * -2) + (2 * 0) + (0 * 2)) / N  # -3/6


def test_dm_h1_by_hand():
    dm = 2 / math.sqrt(GAMMA0 / N)  # 12 / sqrt(10)
    hln = math.sqrt((N + 1 - 2 * 1 + 0) / N)  # sqrt(5/6)
    expected = dm * hln  # = sqrt(12)
    assert expected == pytest.approx(math.sqrt(12))
    stat, p = diebold_mariano(LOSS_A, LOSS_B, h=1)
    assert stat == pytest.approx(expected)
    assert p == pytest.approx(2 * scipy_stats.t.sf(expected, df=N - 1))


def test_dm_h2_by_hand():
    variance = (GAMMA0 + 2 * GAMMA1) / N  # (10/6 - 1) / 6 = 4/36
    dm = 2 / math.sqrt(variance)  # 6
    hln = math.sqrt((N + 1 - 2 * 2 + 2 * 1 / N) / N)  # sqrt(5/9)
    expected = dm * hln  # = 2 sqrt(5)
    assert expected == pytest.approx(2 * math.sqrt(5))
    stat, p = diebold_mariano(LOSS_A, LOSS_B, h=2)
    assert stat == pytest.approx(expected)
    assert p == pytest.approx(2 * scipy_stats.t.sf(expected, df=N - 1))


def test_dm_one_sided_and_symmetry():
    stat, _ = diebold_mariano(LOSS_A, LOSS_B)
    _, p_greater = diebold_mariano(LOSS_A, LOSS_B, alternative="greater")
    _, p_less = diebold_mariano(LOSS_A, LOSS_B, alternative="less")
    assert p_greater == pytest.approx(scipy_stats.t.sf(stat, df=N - 1))
    assert p_less == pytest.approx(scipy_stats.t.cdf(stat, df=N - 1))
    swapped, _ = diebold_mariano(LOSS_B, LOSS_A)
    assert swapped == pytest.approx(-stat)


def test_dm_negative_variance_falls_back_to_bartlett():
    # d = [0, 2, 0, 2, 0, 2]: c = +-1, gamma0 = 1, gamma1 = -5/6 -> 1 - 10/6 < 0.
    # Bartlett weight 1/2: 1 - 5/6 = 1/6; DM = 1 / sqrt(1/36) = 6; HLN sqrt(5/9).
    d = np.array([0.0, 2.0, 0.0, 2.0, 0.0, 2.0])
    with pytest.warns(RuntimeWarning, match="Bartlett"):
        stat, _ = diebold_mariano(d, np.zeros(6), h=2)
    assert stat == pytest.approx(6 * math.sqrt(5 / 9))


def test_dm_errors():
    with pytest.raises(ValueError, match="constant"):
        diebold_mariano(LOSS_A, LOSS_A)
    with pytest.raises(ValueError, match="same shape"):
        diebold_mariano(LOSS_A, LOSS_B[:5])
    with pytest.raises(ValueError, match="'h' parameter"):
        diebold_mariano(LOSS_A, LOSS_B, h=0)
    with pytest.raises(ValueError, match="'alternative'"):
        diebold_mariano(LOSS_A, LOSS_B, alternative="bigger")


def test_binomial_test_against_math_comb():
    # P(X >= 8), X ~ Bin(10, 1/2)
    upper = sum(math.comb(10, k) for k in range(8, 11)) / 2**10  # 56 / 1024
    assert binomial_test(8, 10) == pytest.approx(upper)
    assert binomial_test(8, 10, alternative="two-sided") == pytest.approx(2 * upper)
    # p = 0.3: P(X >= 2) for X ~ Bin(3, 0.3) = 3 * 0.09 * 0.7 + 0.027
    assert binomial_test(2, 3, p=0.3) == pytest.approx(3 * 0.3**2 * 0.7 + 0.3**3)
    with pytest.raises(ValueError, match="successes <= trials"):
        binomial_test(11, 10)


def test_hit_rate_ignores_zeros():
    actual = [1.0, -1.0, 0.0, 2.0, -3.0, 1.0]
    predicted = [2.0, 1.0, 1.0, 0.0, -1.0, 3.0]
    # pairs: hit, miss, (zero actual), (zero forecast), hit, hit
    assert direction_hits(actual, predicted) == (3, 4)
    assert hit_rate(actual, predicted) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="undefined"):
        hit_rate([0.0], [1.0])


def test_sharpe_by_hand():
    returns = [0.03, -0.01, 0.03, -0.01]  # mean 0.01, deviations +-0.02
    std = math.sqrt(4 * 0.02**2 / 3)  # ddof = 1
    assert sharpe_ratio(returns) == pytest.approx(0.01 / std * math.sqrt(252))
    # 2.52 % a year over 252 periods = 0.0001 per period
    assert sharpe_ratio(returns, risk_free=0.0252) == pytest.approx(0.0099 / std * math.sqrt(252))
    assert sharpe_ratio(returns, periods_per_year=12) == pytest.approx(0.01 / std * math.sqrt(12))
    with pytest.raises(ValueError, match="constant"):
        sharpe_ratio([0.01, 0.01])


def test_sign_strategy_by_hand():
    prices = [100.0, 110.0, 99.0, 99.0, 108.9]  # returns +10 %, -10 %, 0 %, +10 %
    predicted = [1.0, -2.0, 0.0, 5.0]  # positions 1, -1, 0, 1
    # gross: 0.1, (-1)(-0.1) = 0.1, 0, 0.1; units traded 1, 2, 1, 1 at 5 bp each
    expected = [0.1 - 0.0005, 0.1 - 0.001, 0.0 - 0.0005, 0.1 - 0.0005]
    np.testing.assert_allclose(sign_strategy_returns(prices, predicted), expected)
    buy_hold = sign_strategy_returns(prices, np.ones(4), cost_bps=10.0)
    np.testing.assert_allclose(buy_hold, [0.1 - 0.001, -0.1, 0.0, 0.1])
    with pytest.raises(ValueError, match="one more value"):
        sign_strategy_returns(prices, [*predicted[:3], 1.0, 1.0])


def test_max_drawdown_by_hand():
    # wealth 1.1, 0.55, 0.66; peak 1.1 -> drawdowns 0, 0.5, 0.4
    assert max_drawdown([0.1, -0.5, 0.2]) == pytest.approx(0.5)
    # the starting wealth 1 is a peak: 0.9 is a 10 % drawdown
    assert max_drawdown([-0.1, 0.2]) == pytest.approx(0.1)
    assert max_drawdown([0.01, 0.02]) == 0.0


def test_inputs_not_mutated():
    losses = LOSS_A.copy()
    diebold_mariano(losses, LOSS_B, h=2)
    np.testing.assert_array_equal(losses, LOSS_A)
