"""The appendix's sensitivities: alpha (B7), the (B8)-(B14) adjoint, and where they differ
from the exact map (the 4-bus example of docs/sensitivities.md, computed by hand)."""
import numpy as np
import pytest
from hypothesis import given, settings

import tempp_core as tc
from tempp_core.network.physics.paper import PaperSensitivity, distribution_coefficients

from tests.feeders import build, feeder_seeds, random_feeder_arrays, random_loads
from tests.reference.paper_naive import paper_matrix_naive

R = np.array([[0.02, 0.005, 0.005], [0.005, 0.02, 0.005], [0.005, 0.005, 0.02]])
X = np.array([[0.04, 0.01, 0.01], [0.01, 0.04, 0.01], [0.01, 0.01, 0.04]])


@pytest.fixture(scope="module")
def four_bus():
    """Bus 0 (swing) -> 1; bus 1 -> 2 and 1 -> 3; loads 0.3 p.u./phase at 2 and 0.1 at 3."""
    names = ["0", "1", "2", "3"]
    f = tc.Feeder.from_arrays(names, ["0", "1", "1"], ["1", "2", "3"], np.array([R] * 3), np.array([X] * 3), swing="0")
    p = np.zeros((4, 3)); p[2], p[3] = 0.3, 0.1
    return f, tc.power_flow(f, p, 0.0 * p).P


# Hand calculation (model.md formulas with the numbers above):
# M^P diagonal -2 r = -0.04; (a,b) r - sqrt3 x = 0.005 - 0.017320508 = -0.012320508;
# (a,c) r + sqrt3 x = 0.022320508; (b,a) = 0.022320508; (c,a) = -0.012320508.
MPA_ROW = np.array([-0.04, -0.012320508075688773, 0.022320508075688773])   # M^P[a, :]
MPA_COL = np.array([-0.04, 0.022320508075688773, -0.012320508075688773])   # M^P[:, a]


def test_alpha_by_hand(four_bus):
    f, P = four_bus
    alpha = distribution_coefficients(f, P)
    np.testing.assert_allclose(alpha[1], 0.75)  # line 1->2 carries 0.3 of 0.4
    np.testing.assert_allclose(alpha[2], 0.25)
    np.testing.assert_allclose(alpha[0], 1.0)   # the only child of the swing bus


def _injection_column(S, f, bus, phase):
    """Response to +1 injection (= -1 load) at (bus, phase): (dv2 (n,3), dP (l,3))."""
    col = -S[:, 3 * bus + phase]
    n3, l3 = 3 * f.n_bus, 3 * f.n_line
    return col[:n3].reshape(-1, 3), col[n3:n3 + l3].reshape(-1, 3)


def test_four_bus_der_at_the_branching_bus(four_bus):
    f, P = four_bus
    exact = tc.sensitivity(f).matrix().toarray()
    paper = PaperSensitivity(f, P).matrix().toarray()
    ev, eP = _injection_column(exact, f, 1, 0)
    pv, pP = _injection_column(paper, f, 1, 0)
    # flows: exact -1 on the line above, 0 below; paper (B13) 0 above, (B12) alpha below
    np.testing.assert_allclose(eP[:, 0], [-1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(pP[:, 0], [0, 0.75, 0.25], atol=1e-15)
    # voltages: exact column of M^P, shared by every bus below; paper the row (B8) and the
    # alpha-weighted correction (B9)
    for bus in (1, 2, 3):
        np.testing.assert_allclose(ev[bus], -MPA_COL, atol=1e-12)
    np.testing.assert_allclose(pv[1], -MPA_ROW, atol=1e-12)
    np.testing.assert_allclose(pv[2], -MPA_ROW + 0.75 * MPA_ROW, atol=1e-12)
    np.testing.assert_allclose(pv[3], -MPA_ROW + 0.25 * MPA_ROW, atol=1e-12)


def test_four_bus_der_at_a_leaf(four_bus):
    f, P = four_bus
    exact = tc.sensitivity(f).matrix().toarray()
    paper = PaperSensitivity(f, P).matrix().toarray()
    ev, eP = _injection_column(exact, f, 2, 0)
    pv, pP = _injection_column(paper, f, 2, 0)
    # (B13) at a leaf: -1 on the path, like the exact map
    np.testing.assert_allclose(pP[:, 0], eP[:, 0], atol=1e-15)
    np.testing.assert_allclose(eP[:, 0], [-1, -1, 0], atol=1e-15)
    # exact: the sibling bus 3 shares line 0->1; the paper gives it nothing
    np.testing.assert_allclose(ev[3], -MPA_COL, atol=1e-12)
    np.testing.assert_allclose(pv[3], 0.0, atol=1e-15)
    # exact at the bus itself: both lines of the path; paper (B8): only the last one, transposed
    np.testing.assert_allclose(ev[2], -2 * MPA_COL, atol=1e-12)
    np.testing.assert_allclose(pv[2], -MPA_ROW, atol=1e-12)
    np.testing.assert_allclose(pv[1], -MPA_ROW, atol=1e-12)  # (B10)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(feeder_seeds)
def test_alpha_sums_to_one_over_children(seed_n):
    seed, n = seed_n
    f = build(random_feeder_arrays(seed, n))
    p, q = random_loads(f, seed, batch=(2,))
    alpha = distribution_coefficients(f, tc.power_flow(f, p, q).P)
    for j in range(f.n_bus):
        kids = f.child[f.child_ptr[j]:f.child_ptr[j + 1]] - 1
        for ph in range(3):
            have = kids[f.line_phases[kids, ph]]
            if have.size:
                np.testing.assert_allclose(alpha[:, have, ph].sum(axis=1), 1.0, rtol=1e-12)
    assert np.isnan(alpha[:, ~f.line_phases]).all()


@settings(max_examples=20, deadline=None, derandomize=True)
@given(feeder_seeds)
def test_paper_adjoint_equals_the_naive_formulas(seed_n):
    seed, n = seed_n
    f = build(random_feeder_arrays(seed, n))
    p, q = random_loads(f, seed)
    paper = PaperSensitivity(f, tc.power_flow(f, p, q).P)
    naive = paper_matrix_naive(f, np.nan_to_num(paper.alpha))
    rng = np.random.default_rng(seed)
    yv = rng.normal(size=(f.n_bus, 3)) * f.bus_phases
    yP = rng.normal(size=(f.n_line, 3)) * f.line_phases
    yQ = rng.normal(size=(f.n_line, 3)) * f.line_phases
    g_p, g_q = paper.adjoint(yv, yP, yQ)
    expected = naive.T @ np.concatenate([yv.ravel(), yP.ravel(), yQ.ravel()])
    np.testing.assert_allclose(np.concatenate([g_p.ravel(), g_q.ravel()]), expected, atol=1e-12)
    np.testing.assert_allclose(paper.matrix().toarray(), naive, atol=1e-12)


def test_single_phase_chain_flows_and_upstream_voltages_agree_with_exact():
    """Where the appendix's reasoning is exact: a single-phase chain, DER at the end."""
    r = np.zeros((3, 3)); r[0, 0] = 0.01
    x = np.zeros((3, 3)); x[0, 0] = 0.03
    names = ["0", "1", "2", "3"]
    f = tc.Feeder.from_arrays(names, names[:-1], names[1:], np.array([r] * 3), np.array([x] * 3), swing="0",
                              line_phases=["a"] * 3, bus_phases=["abc", "a", "a", "a"])
    p = np.zeros((4, 3)); p[1:, 0] = 0.05
    P = tc.power_flow(f, p, 0 * p).P
    exact = tc.sensitivity(f).matrix().toarray()
    paper = PaperSensitivity(f, P).matrix().toarray()
    ev, eP = _injection_column(exact, f, 3, 0)
    pv, pP = _injection_column(paper, f, 3, 0)
    np.testing.assert_allclose(pP, eP, atol=1e-15)
    # (B10) upstream: only the last line into each bus, where the exact map sums the path:
    # they agree at bus 1 (one line) and differ below it.
    assert pv[1, 0] == pytest.approx(ev[1, 0])
    assert pv[2, 0] == pytest.approx(0.02) and ev[2, 0] == pytest.approx(0.04)
