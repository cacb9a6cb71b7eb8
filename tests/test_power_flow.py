"""power_flow against hand calculations and an independent dense linear solve."""
import numpy as np
import pytest
from hypothesis import given, settings

import tempp_core as tc
from tempp_core.errors import InjectionError

from tests.feeders import build, feeder_seeds, random_feeder_arrays, random_loads
from tests.reference.dense_lindist import dense_power_flow

S3 = np.sqrt(3.0)


def chain(r, x, phases=("abc", "abc"), ratio=None, n=3):
    names = [f"n{k}" for k in range(n)]
    return tc.Feeder.from_arrays(names, names[:-1], names[1:], np.array([r] * (n - 1)), np.array([x] * (n - 1)),
                                 swing="n0", line_phases=list(phases[: n - 1]), ratio=ratio)


def test_two_bus_single_phase_by_hand():
    r = np.zeros((3, 3)); r[0, 0] = 0.01
    x = np.zeros((3, 3)); x[0, 0] = 0.02
    f = chain(r, x, phases=("a",), n=2)
    p = np.zeros((2, 3)); q = np.zeros((2, 3))
    p[1, 0], q[1, 0] = 0.1, 0.05
    res = tc.power_flow(f, p, q)
    # v1 = 1 - 2 (r p + x q) = 1 - 2 (0.001 + 0.001)
    assert res.v2[1, 0] == pytest.approx(0.996, abs=1e-15)
    assert res.vm[1, 0] == pytest.approx(np.sqrt(0.996), abs=1e-15)
    assert np.isnan(res.v2[1, 1:]).all() and np.isnan(res.P[0, 1:]).all()
    assert res.P[0, 0] == pytest.approx(0.1) and res.Q[0, 0] == pytest.approx(0.05)


MUTUAL_R = np.array([[0.01, 0.004, 0.004], [0.004, 0.01, 0.004], [0.004, 0.004, 0.01]])
MUTUAL_X = np.array([[0.02, 0.006, 0.005], [0.006, 0.02, 0.006], [0.005, 0.006, 0.02]])


def test_three_bus_mutual_coupling_by_hand():
    """A load on phase a only moves phases b and c through the sqrt(3) cross terms."""
    f = chain(MUTUAL_R, MUTUAL_X)
    p = np.zeros((3, 3)); q = np.zeros((3, 3))
    p[2, 0] = 0.1
    res = tc.power_flow(f, p, q)
    # per line: dv_a = -2 r_aa P = -0.002; dv_b = (r_ba + sqrt3 x_ba) P; dv_c = (r_ca - sqrt3 x_ca) P
    dv = np.array([-0.002, (0.004 + S3 * 0.006) * 0.1, (0.004 - S3 * 0.005) * 0.1])
    np.testing.assert_allclose(res.v2[1], 1 + dv, rtol=0, atol=1e-15)
    np.testing.assert_allclose(res.v2[2], 1 + 2 * dv, rtol=0, atol=1e-15)
    np.testing.assert_allclose(res.P[:, 0], [0.1, 0.1])


def test_regulator_ratio_by_hand():
    zero = np.zeros((3, 3))
    names = ["s", "r", "l"]
    f = tc.Feeder.from_arrays(names, ["s", "r"], ["r", "l"], np.array([zero, MUTUAL_R]), np.array([zero, MUTUAL_X]),
                              swing="s", ratio=np.array([[1.05, 1.0, 0.95], [1, 1, 1]]))
    p = np.zeros((3, 3)); q = np.zeros((3, 3))
    q[2, 1] = 0.1  # reactive load on phase b at the end
    res = tc.power_flow(f, p, q)
    np.testing.assert_allclose(res.v2[1], [1.05**2, 1.0, 0.95**2], atol=1e-15)
    # M^Q column b: [x_ab + sqrt3 r_ab, -2 x_bb, x_cb - sqrt3 r_cb]
    dv = np.array([0.006 + S3 * 0.004, -0.04, 0.006 - S3 * 0.004]) * 0.1
    np.testing.assert_allclose(res.v2[2], res.v2[1] + dv, atol=1e-15)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(feeder_seeds)
def test_power_flow_equals_dense_solve(seed_n):
    seed, n = seed_n
    arrays = random_feeder_arrays(seed, n, with_ratio=seed % 2 == 0)
    f = build(arrays, v_swing_pu=1.02)
    p, q = random_loads(f, seed, batch=(2, 3))
    res = tc.power_flow(f, p, q)
    # Map the reference (tree order of random_feeder_arrays) onto the feeder's order.
    pos = f.bus_index(list(arrays["tree_names"]))
    parent = arrays["tree_parent"]
    lines_to = np.arange(1, n)
    for b0 in range(2):
        for b1 in range(3):
            v2, P, Q = dense_power_flow(
                n, parent[1:], lines_to, arrays["tree_r"], arrays["tree_x"], arrays["tree_ratio"],
                [np.array([c in ph for c in "abc"]) for ph in arrays["tree_phases"]],
                [np.array([c in ph for c in "abc"]) for ph in arrays["tree_phases"][1:]],
                np.full(3, 1.02), p[b0, b1][pos], q[b0, b1][pos])
            on = f.bus_phases[pos]
            np.testing.assert_allclose(res.v2[b0, b1][pos][on], v2[on], rtol=0, atol=1e-12)
            lon = on[1:]
            np.testing.assert_allclose(res.P[b0, b1][pos[1:] - 1][lon], P[lon], atol=1e-12)
            np.testing.assert_allclose(res.Q[b0, b1][pos[1:] - 1][lon], Q[lon], atol=1e-12)
            assert np.isnan(res.v2[b0, b1][~f.bus_phases]).all()


def test_reused_buffers_give_the_same_result_as_views():
    f, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee123"))
    P = np.stack([p * s for s in (0.5, 1.0, 1.3)])
    Q = np.stack([q * s for s in (0.5, 1.0, 1.3)])
    fresh = tc.power_flow(f, P, Q)
    buf = tc.PowerFlowBuffers.allocate(f, 3)
    for _ in range(2):
        again = tc.power_flow(f, P, Q, out=buf)
    np.testing.assert_array_equal(fresh.v2, again.v2)
    np.testing.assert_array_equal(fresh.P, again.P)
    assert np.shares_memory(again.v2, buf.v2)


def test_batch_rows_are_independent_snapshots():
    f, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    both = tc.power_flow(f, np.stack([p, 2 * p]), np.stack([q, 2 * q]))
    single = tc.power_flow(f, 2 * p, 2 * q)
    np.testing.assert_array_equal(both.v2[1], single.v2)


def test_injection_errors_name_the_problem():
    f, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    with pytest.raises(InjectionError, match=r"expected \(\.\.\., 16, 3\)"):
        tc.power_flow(f, p[:5], q[:5])
    bad = p.copy()
    j = f.bus_index("611")  # phase c only
    bad[j, 0] = 0.1
    with pytest.raises(InjectionError, match="'611'.*only 'c'"):
        tc.power_flow(f, bad, q)
    bad = p.copy()
    bad[f.bus_index("675"), 1] = np.nan
    with pytest.raises(InjectionError, match="'675'"):
        tc.power_flow(f, bad, q)
    with pytest.raises(InjectionError, match="batch"):
        tc.power_flow(f, np.stack([p, p]), q)
