"""Clearings checked in AC, and the AC-corrected clearing (network="ac")."""

import numpy as np
import pytest

import tempp_core as tc
from tempp_core.clearing.status import ClearingStatus


def _net_loads(case, transactions):
    """Net loads (T, n_bus, 3) p.u. from the transactions, by hand from the placement."""
    f, m = case.feeder, case.market
    T = m.n_periods
    p = np.zeros((T, f.n_bus, 3))
    q = np.zeros((T, f.n_bus, 3))
    kw = dict(zip(m.layout().der_names, -transactions.p_der_kw))
    kw.update(zip(m.layout().customer_names, transactions.p_customer_kw))
    tan = {c.name: np.tan(np.arccos(c.power_factor)) for c in m.customers}
    for place in case.placement:
        phases = ["abc".index(c) for c in place.phases]
        shares = place.shares or [1.0 / len(phases)] * len(phases)
        j = f.bus_index(place.bus)
        for ph, share in zip(phases, shares):
            p[:, j, ph] += share * kw[place.name] / f.s_base_kva
            q[:, j, ph] += share * kw[place.name] * tan.get(place.name, 0.0) / f.s_base_kva
    return p, q


def test_every_clearing_carries_its_ac_state(paper):
    result = tc.clear(paper)
    p, q = _net_loads(paper, result.transactions)
    ac = tc.ac_power_flow(paper.feeder, p, q)
    assert result.ac is not None and result.ac.converged.all()
    np.testing.assert_allclose(result.ac.vm, ac.vm, rtol=0, atol=1e-12)
    f = paper.feeder
    on = f.bus_phases.copy()
    on[0] = False
    low = np.nanmax(np.where(on, f.v_min_pu[:, None] - ac.vm, -np.inf))
    high = np.nanmax(np.where(on, ac.vm - f.v_max_pu[:, None], -np.inf))
    assert result.ac.excess.v_min_pu == pytest.approx(max(low, 0.0), abs=1e-12)
    assert result.ac.excess.v_max_pu == pytest.approx(max(high, 0.0), abs=1e-12)
    # the LinDist3Flow-secure result is not AC-secure on this case: the check tells
    assert result.ac.worst_violation_pu > 1e-4 and result.network.worst_violation < 1e-9


def test_the_ac_check_can_be_turned_off(paper):
    assert tc.clear(paper, ac_check="off").ac is None


@pytest.mark.parametrize("name", ["paper", "ieee123"])
def test_ac_corrected_clearing_is_secure_in_ac(name):
    """network='ac': TEMO cuts at the AC operating point until the AC state is safe; checked
    by an independent AC power flow of the final transactions."""
    case = tc.cases.load(name)
    result = tc.clear(case, network="ac")
    assert result.status is ClearingStatus.OPTIMAL
    p, q = _net_loads(case, result.transactions)
    ac = tc.ac_power_flow(case.feeder, p, q)
    f = case.feeder
    on = f.bus_phases.copy()
    on[0] = False
    vm = np.where(on, ac.vm, np.nan)
    assert np.nanmax(vm - f.v_max_pu[:, None]) <= 1e-6 and np.nanmax(f.v_min_pu[:, None] - vm) <= 1e-6
    assert np.nanmax(np.abs(ac.P) - f.p_max_pu[:, None]) <= 1e-6
    lindist = tc.clear(case).objective
    assert abs(result.objective - lindist) / abs(lindist) < 0.01  # the linearized optimum's neighbourhood


def test_ac_cuts_that_empty_the_master_end_honestly():
    """Successive-linearization cuts need not be valid: a master they leave infeasible ends the
    run with a warning and status master_infeasible, not an unsecurable verdict."""
    case = tc.cases.load("ieee13")
    with pytest.warns(RuntimeWarning, match="not secure"):
        result = tc.clear(case, network="ac")
    assert result.status is ClearingStatus.MASTER_INFEASIBLE and not result.converged


def test_a_collapsed_state_is_the_worst_violation():
    """A non-finite voltage on a present phase counts as an infinite violation, never as no data."""
    from tempp_core.network.temo.limits import SafetyLimits, assess

    f, _, _ = tc.cases.ieee13()
    limits = SafetyLimits.of(f)
    v2 = np.ones((f.n_bus, 1, 3)) * f.bus_phases[:, None, :]
    P = np.zeros((f.n_line, 1, 3))
    assert assess(limits, v2, P, P).total == 0.0
    v2[5, 0, np.flatnonzero(f.bus_phases[5])[0]] = np.nan
    assert assess(limits, v2, P, P).total == np.inf
