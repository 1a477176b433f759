"""Fixtures of the network-layer tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_intra_op_thread():
    # The tensors here are tiny: one thread avoids OpenMP wake-up costs, which dominate
    # (10 ms+ per op) on a busy 2-core machine. Restored after each test.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
