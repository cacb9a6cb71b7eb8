"""Exact sensitivities: finite differences, the adjoint's dot-product test, the dense matrix."""
import numpy as np
import pytest
from hypothesis import given, settings

import tempp_core as tc

from tests.feeders import build, feeder_seeds, random_feeder_arrays, random_loads
from tests.reference.dense_lindist import dense_power_flow


@settings(max_examples=30, deadline=None, derandomize=True)
@given(feeder_seeds)
def test_forward_equals_finite_differences_of_power_flow(seed_n):
    seed, n = seed_n
    f = build(random_feeder_arrays(seed, n, with_ratio=seed % 3 == 0))
    p, q = random_loads(f, seed)
    dp, dq = random_loads(f, seed + 7)
    h = 1e-3
    plus = tc.power_flow(f, p + h * dp, q + h * dq)
    minus = tc.power_flow(f, p - h * dp, q - h * dq)
    dv, dP, dQ = tc.sensitivity(f).forward(dp, dq)
    on = f.bus_phases
    np.testing.assert_allclose(dv[on], ((plus.v2 - minus.v2) / (2 * h))[on], rtol=1e-7, atol=1e-11)
    lon = f.line_phases
    np.testing.assert_allclose(dP[lon], ((plus.P - minus.P) / (2 * h))[lon], rtol=1e-7, atol=1e-11)
    np.testing.assert_allclose(dQ[lon], ((plus.Q - minus.Q) / (2 * h))[lon], rtol=1e-7, atol=1e-11)
    assert (dv[~on] == 0).all()


@settings(max_examples=30, deadline=None, derandomize=True)
@given(feeder_seeds)
def test_adjoint_is_the_transpose_dot_product(seed_n):
    seed, n = seed_n
    f = build(random_feeder_arrays(seed, n, with_ratio=True))
    rng = np.random.default_rng(seed)
    batch = (2, 3)
    dp = rng.normal(size=batch + (f.n_bus, 3)) * f.bus_phases
    dq = rng.normal(size=batch + (f.n_bus, 3)) * f.bus_phases
    yv = rng.normal(size=batch + (f.n_bus, 3)) * f.bus_phases
    yP = rng.normal(size=batch + (f.n_line, 3)) * f.line_phases
    yQ = rng.normal(size=batch + (f.n_line, 3)) * f.line_phases
    s = tc.sensitivity(f)
    dv, dP, dQ = s.forward(dp, dq)
    gp, gq = s.adjoint(yv, yP, yQ)
    lhs = (dv * yv).sum(axis=(-1, -2)) + (dP * yP).sum(axis=(-1, -2)) + (dQ * yQ).sum(axis=(-1, -2))
    rhs = (dp * gp).sum(axis=(-1, -2)) + (dq * gq).sum(axis=(-1, -2))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(feeder_seeds)
def test_matrix_equals_dense_reference(seed_n):
    seed, n = seed_n
    arrays = random_feeder_arrays(seed, n, with_ratio=True)
    f = build(arrays)
    S = tc.sensitivity(f).matrix().toarray()
    pos = f.bus_index(list(arrays["tree_names"]))
    bus_ph = [np.array([c in ph for c in "abc"]) for ph in arrays["tree_phases"]]
    n3, l3 = 3 * n, 3 * (n - 1)
    for col in range(2 * n3):
        load = np.zeros((2, n, 3))
        kind, rest = divmod(col, n3)
        j_tree = int(np.flatnonzero(pos == rest // 3)[0])
        if not bus_ph[j_tree][rest % 3]:
            assert not S[:, col].any()
            continue
        load[kind, j_tree, rest % 3] = 1.0
        v2, P, Q = dense_power_flow(n, arrays["tree_parent"][1:], np.arange(1, n), arrays["tree_r"], arrays["tree_x"],
                                    arrays["tree_ratio"], bus_ph, bus_ph[1:], np.zeros(3), load[0], load[1])
        expected_v = np.zeros((n, 3)); expected_v[pos] = v2 * np.array(bus_ph)
        expected_P = np.zeros((n - 1, 3)); expected_P[pos[1:] - 1] = P
        expected_Q = np.zeros((n - 1, 3)); expected_Q[pos[1:] - 1] = Q
        np.testing.assert_allclose(S[:n3, col], expected_v.ravel(), atol=1e-13)
        np.testing.assert_allclose(S[n3:n3 + l3, col], expected_P.ravel(), atol=1e-13)
        np.testing.assert_allclose(S[n3 + l3:, col], expected_Q.ravel(), atol=1e-13)


def test_path_rule_of_the_spec():
    """model.md section 3: an injection at j changes P by -1 on every line of root->j and
    d v_k / d p_j = -sum over shared lines of M^P (for injection = -load)."""
    f = tc.cases.paper().feeder  # no regulators: the rule holds as stated
    s = tc.sensitivity(f)
    j, k = f.bus_index("20"), f.bus_index("18")
    dp = np.zeros((f.n_bus, 3)); dp[j, 0] = -1.0  # +1 injection on phase a at 675
    dv, dP, _ = s.forward(dp, np.zeros_like(dp))
    path = f.path_matrix().toarray()
    np.testing.assert_allclose(dP[:, 0], -path[:, j])
    shared = (path[:, j] * path[:, k]).astype(bool)
    assert 0 < shared.sum() < path[:, j].sum()
    expected = -f.MP[shared][:, :, 0].sum(axis=0)
    np.testing.assert_allclose(dv[k][f.bus_phases[k]], expected[f.bus_phases[k]], atol=1e-14)


def test_matrix_refused_for_large_feeders():
    names = [f"b{k}" for k in range(4000)]
    r = np.tile(np.eye(3) * 1e-4, (3999, 1, 1))
    f = tc.Feeder.from_arrays(names, names[:-1], names[1:], r, r, swing="b0")
    with pytest.raises(ValueError, match="forward\\(\\)/adjoint\\(\\)"):
        tc.sensitivity(f).matrix()


def test_adjoint_ignores_weights_on_absent_phases():
    """power_flow's outputs (NaN on absent phases) can be used as weights directly."""
    f = build(random_feeder_arrays(5, 20))
    rng = np.random.default_rng(2)
    yv = rng.normal(size=(f.n_bus, 3)) * f.bus_phases
    yP = rng.normal(size=(f.n_line, 3)) * f.line_phases
    s = tc.sensitivity(f)
    clean = s.adjoint(yv, yP, yP)
    dirty = s.adjoint(np.where(f.bus_phases, yv, np.nan), np.where(f.line_phases, yP, np.nan),
                      np.where(f.line_phases, yP, np.nan))
    for a, b in zip(clean, dirty):
        np.testing.assert_array_equal(a, b)
