"""TEMO: injections, violation (closed form vs HiGHS slack LP), cut gradients, explicit LP rows."""
import numpy as np
import pytest

import tempp_core as tc
from tempp_core.errors import CaseError
from tempp_core.messages import TransactionLayout, Transactions
from tempp_core.network.placement import InjectionMap, Placement
from tempp_core.network.temo import Temo
from tempp_core.network.temo.limits import constraint_values
from tempp_core.network.temo.slack import solve_slack_lp
from tempp_core.options import ClearingOptions

from tests.market_cases import solve_network_rows

T = 3
LAYOUT = TransactionLayout(("g1", "pv"), ("c1", "c2", "c3"), T)
PLACEMENT = [
    Placement("g1", "675", "abc"),
    Placement("pv", "611", "c"),
    Placement("c1", "671", "abc"),
    Placement("c2", "652", "a"),
    Placement("c3", "646", "bc", shares=(0.25, 0.75)),
]
TAN_PHI = np.array([0.3, 0.2, 0.4])


def make_temo(feeder, placement=PLACEMENT, **options):
    return Temo(feeder, InjectionMap.build(feeder, LAYOUT, placement, TAN_PHI), ClearingOptions(**options))


@pytest.fixture(scope="module")
def feeder():
    f, _, _ = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    return f


def _proposal(seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 800, LAYOUT.size)
    x[LAYOUT.mg_index(np.arange(T))] = 0.0
    return x


def test_net_load_is_the_placement_divided_by_the_base(feeder):
    temo = make_temo(feeder)
    x = _proposal()
    p, q = temo.injections.net_load(x)
    X = x.reshape(-1, T)
    b = feeder.bus_index("646")
    # c3 is customer row 2 + n_der + 1 = 5: 25 % on b, 75 % on c, kW / 1000 kVA.
    np.testing.assert_allclose(p[b, :, 1], 0.25 * X[5] / 1000.0)
    np.testing.assert_allclose(q[b, :, 2], 0.4 * 0.75 * X[5] / 1000.0)
    g = feeder.bus_index("675")
    np.testing.assert_allclose(p[g, :, 0], -X[0] / 3000.0)  # DER g1 injects, split over 3 phases


def test_cut_linearization_matches_finite_difference_of_violation(feeder):
    temo = make_temo(feeder, cuts="period")
    x = _proposal()
    state = temo.state(x)
    reply = temo.check(Transactions.from_vector(LAYOUT, x))
    assert reply.violation == pytest.approx(state.assessment.total)
    assert len(reply.cuts) == int((state.assessment.phi > 0).sum())
    rng = np.random.default_rng(7)
    for cut in reply.cuts:
        (t,) = cut.periods
        scale = cut.violation(x) / state.assessment.phi[t]  # cuts are normalized
        d = np.zeros(LAYOUT.size)
        d[cut.index] = rng.normal(size=cut.index.size) * 1e-3  # small: same violated set
        phi_moved = temo.state(x + d).assessment.phi[t]
        assert cut.violation(x + d) / scale == pytest.approx(phi_moved, rel=1e-9, abs=1e-12)


def test_slack_lp_equals_closed_form(feeder):
    temo = make_temo(feeder)
    state = temo.state(_proposal(3))
    lp = make_temo(feeder, slack="lp").state(_proposal(3)).assessment
    np.testing.assert_allclose(lp.phi, state.assessment.phi, rtol=1e-9, atol=1e-12)
    for a, b in ((lp.y_v2, state.assessment.y_v2), (lp.y_P, state.assessment.y_P), (lp.y_Q, state.assessment.y_Q)):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_slack_lp_duals_are_the_sensitivity_of_the_violation():
    u = np.array([[0.3, -0.2], [-np.inf, 0.05]])
    E, y = solve_slack_lp(u)
    assert E == pytest.approx(0.35)
    np.testing.assert_allclose(y, [[1, 0], [0, 1]], atol=1e-12)


def test_constraint_cuts_are_the_exact_constraint_rows(feeder):
    """In exact mode a per-constraint cut is the constraint itself: it must be tight in the
    direction of any move, i.e. predict u(x + d) exactly."""
    temo = make_temo(feeder, cuts="constraint")
    x = _proposal(2)
    reply = temo.check(Transactions.from_vector(LAYOUT, x))
    state = temo.state(x)
    u0 = np.concatenate([u.ravel() for u in constraint_values(temo.limits, state.v2, state.P, state.Q)])
    assert len(reply.cuts) == int((u0 > 0).sum())
    rng = np.random.default_rng(0)
    d = rng.normal(size=LAYOUT.size) * 5.0
    s2 = temo.state(x + d)
    u1 = np.concatenate([u.ravel() for u in constraint_values(temo.limits, s2.v2, s2.P, s2.Q)])
    # Each cut, rescaled by its value at x, predicts its constraint's value at x + d.
    predicted = np.sort([c.violation(x + d) / c.violation(x) for c in reply.cuts])
    violated = np.flatnonzero(u0 > 0)
    actual = np.sort(u1[violated] / u0[violated])
    np.testing.assert_allclose(predicted, actual, rtol=1e-8)


def test_explicit_network_rows_reproduce_the_power_flow(feeder):
    temo = make_temo(feeder)
    x = _proposal(4)
    v2, P, Q = solve_network_rows(feeder, temo.injections, T, x)
    state = temo.state(x)
    on = np.broadcast_to(feeder.bus_phases[:, None, :], v2.shape)
    np.testing.assert_allclose(v2[on], state.v2[on], atol=1e-12)
    np.testing.assert_allclose(P, state.P, atol=1e-12)
    np.testing.assert_allclose(Q, state.Q, atol=1e-12)


@pytest.mark.parametrize(
    "bad, match",
    [
        (Placement("g1", "nowhere", "a"), "not on the feeder"),
        (Placement("g1", "652", "b"), "has only 'a'"),
        (Placement("g1", "sourcebus", "a"), "swing bus"),
        (Placement("g1", "675", "ab", shares=(0.5, 0.6)), "summing to 1"),
    ],
)
def test_bad_placement_is_named(feeder, bad, match):
    with pytest.raises(CaseError, match=match):
        make_temo(feeder, [bad] + PLACEMENT[1:])


def test_missing_connection_is_named(feeder):
    with pytest.raises(CaseError, match="pv"):
        make_temo(feeder, [c for c in PLACEMENT if c.name != "pv"])
