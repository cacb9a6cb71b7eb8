"""Shared fixtures of the benchmarks.

Run: ``python -m pytest benchmarks/ --benchmark-only`` (the test suite, ``tests/``, never
collects them). Feeder tiers are the ids ``ieee123``, ``syn10k``, ``syn100k``, ``syn1M``:
select with ``-k`` (``-k syn1M``, ``-k "not syn1M"``) or with the markers ``huge`` (1M buses,
several GB) and ``large`` (100k): ``-m "not huge"``.

Every test of a tier runs before the next tier is built (the ``feeder_case`` fixture is
module-scoped and parametrized, so pytest groups the tests by it), and a tier's arrays are
freed before the next one is built: one large feeder in memory at a time.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass

import numpy as np
import pytest

import tempp_core as tc
from tempp_core.cases.synthetic import synthetic
from tempp_core.io import read_csv_case
from tempp_core.physics.power_flow import solve_bus_major

#: Periods solved at once.
T = 24
#: A 24-hour load shape (multiplier of the base loads), 0.6 at night to 1.1 in the evening.
LOAD_SHAPE = 0.6 + 0.5 * np.sin(np.pi * (np.arange(T) - 6) / 24.0) ** 2

#: id -> number of buses of the synthetic tiers (None: IEEE 123 from its CSV folder).
TIERS = {"ieee123": None, "syn10k": 10_000, "syn100k": 100_000, "syn1M": 1_000_000}
_MARKS = {"syn100k": [pytest.mark.large], "syn1M": [pytest.mark.huge]}


def pytest_configure(config):
    config.addinivalue_line("markers", "large: the 100,000-bus synthetic tier")
    config.addinivalue_line("markers", "huge: the 1,000,000-bus synthetic tier (several GB of memory)")


@dataclass
class FeederCase:
    """A feeder with 24 periods of net loads in both layouts.

    Attributes
    ----------
    name : str
    feeder : Feeder
    p, q : ndarray (T, n_bus, 3)
        Public layout, C-contiguous (base loads times :data:`LOAD_SHAPE`), p.u.
    p_bm, q_bm : ndarray (n_bus, T, 3)
        The same, bus-major and C-contiguous (the kernels' own layout).
    """

    name: str
    feeder: tc.Feeder
    p: np.ndarray
    q: np.ndarray
    p_bm: np.ndarray
    q_bm: np.ndarray

    @property
    def bus_periods(self) -> int:
        return self.feeder.n_bus * T


def build_case(name: str) -> FeederCase:
    """Feeder and 24-period loads of a tier."""
    if TIERS[name] is None:
        feeder, p, q = read_csv_case(tc.cases.data_path("ieee123"))
    else:
        feeder, p, q = synthetic(TIERS[name], seed=0)
    P = np.ascontiguousarray(LOAD_SHAPE[:, None, None] * p)
    Q = np.ascontiguousarray(LOAD_SHAPE[:, None, None] * q)
    return FeederCase(name, feeder, P, Q, np.ascontiguousarray(P.transpose(1, 0, 2)),
                      np.ascontiguousarray(Q.transpose(1, 0, 2)))


@pytest.fixture(scope="module", params=[pytest.param(k, marks=_MARKS.get(k, [])) for k in TIERS],
                ids=list(TIERS))
def feeder_case(request) -> FeederCase:
    case = build_case(request.param)
    yield case
    del case
    gc.collect()


@pytest.fixture(scope="session", autouse=True)
def warm_jit():
    """Compile (or load from Numba's cache) every kernel, in every layout the benchmarks
    use, on IEEE 123 before anything is timed."""
    case = build_case("ieee123")
    f = case.feeder
    tc.power_flow(f, case.p, case.q)
    solve_bus_major(f, case.p_bm, case.q_bm, tc.PowerFlowBuffers.allocate(f, T))
    s = tc.sensitivity(f)
    rng = np.random.default_rng(0)
    y_v, y_l = rng.normal(size=(T, f.n_bus, 3)), rng.normal(size=(T, f.n_line, 3))
    s.adjoint(y_v, y_l, y_l)
    s.adjoint_bus_major(np.ascontiguousarray(y_v.transpose(1, 0, 2)),
                        np.ascontiguousarray(y_l.transpose(1, 0, 2)),
                        np.ascontiguousarray(y_l.transpose(1, 0, 2)))


def record(benchmark, case: FeederCase, **extra) -> None:
    """Attach sizes and the median cost per bus-period to a finished benchmark."""
    median = benchmark.stats.stats.median
    benchmark.extra_info.update(
        feeder=case.name, n_bus=case.feeder.n_bus, periods=T,
        ns_per_bus_period=median / case.bus_periods * 1e9, **extra,
    )
