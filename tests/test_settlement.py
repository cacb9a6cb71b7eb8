"""Prices and money: payments against a hand computation from the duals, the network rent's
identity, and locational prices against finite differences of the centralized optimum."""
import numpy as np
import pytest

import tempp_core as tc
from tempp_core.clearing.benders import run_benders
from tempp_core.clearing.clear import benders_result
from tempp_core.market import Customer, Market
from tempp_core.options import ClearingOptions


@pytest.fixture(scope="module")
def paper_run(paper):
    outcome = run_benders(paper, ClearingOptions())
    return outcome, benders_result(paper, outcome, ClearingOptions(), 0.0)


def test_payments_equal_a_hand_computation_from_the_duals(paper, paper_run):
    outcome, result = paper_run
    sol, lay = outcome.solution, paper.market.layout()
    # Locational prices by hand: rho plus or minus eta-weighted cut coefficients.
    adder = np.zeros(lay.size)
    for eta, cut in zip(sol.cut_duals, outcome.cuts):
        np.add.at(adder, cut.index, eta * cut.coef)
    adder = adder.reshape(lay.n_participant_rows, lay.n_periods)
    psi_der = sol.rho - adder[:lay.n_der]
    psi_customer = sol.rho + adder[lay.n_der + 1:]
    t = sol.transactions
    p, pi = t.p_customer_kw, sol.customer_price
    s = result.settlement
    np.testing.assert_allclose(s.customer_payment_usd, (pi * p).sum(axis=1), rtol=1e-12)
    assert s.la_purchase_usd == pytest.approx((psi_customer * p).sum(), rel=1e-12)
    np.testing.assert_allclose(s.der_revenue_usd, (np.minimum(psi_der, 0.224) * t.p_der_kw).sum(axis=1), rtol=1e-12)
    assert s.mg_payment_usd == pytest.approx((paper.market.lmp * t.p_mg_kw).sum(), rel=1e-12)
    rent = (psi_customer * p).sum() - (psi_der * t.p_der_kw).sum() - (sol.rho * t.p_mg_kw).sum()
    assert s.network_rent_usd == pytest.approx(rent, rel=1e-9)
    # The case is network-constrained: paying DERs the system price instead would differ.
    assert abs(((psi_der - sol.rho) * t.p_der_kw).sum()) > 1.0
    # What is reported is what is paid.
    reported = result.to_frame("prices").set_index(["participant", "period"])["paid_usd_per_kwh"]
    for d, name in enumerate(lay.der_names):
        np.testing.assert_allclose(reported.loc[name].to_numpy(), np.minimum(psi_der[d], 0.224), rtol=1e-12)


def test_the_network_rent_is_the_cuts_duals_times_their_right_hand_sides(paper_run):
    outcome, result = paper_run
    identity = sum(eta * cut.rhs for eta, cut in zip(outcome.solution.cut_duals, outcome.cuts))
    assert result.prices.cut_rent_usd == pytest.approx(identity, rel=1e-12)
    assert result.settlement.network_rent_usd == pytest.approx(identity, rel=1e-6)
    assert result.settlement.network_rent_usd > 0  # the default case (docs/prices.md)
    assert result.settlement.total_profit_usd == pytest.approx(result.objective, rel=1e-9)


def _with_fixed_load(case, like: str, period: int, kw: float):
    """The case plus a customer at ``like``'s connection consuming ``kw`` in ``period`` only,
    held fixed (band 1..1; alpha 0.18 and a tiny beta keep it in its price-responsive range
    with no daily floor). Returns the case and that customer's constant revenue ($)."""
    m = case.market
    model = next(c for c in m.customers if c.name == like)
    profile = np.zeros(m.n_periods)
    profile[period] = kw
    fixed = Customer("fixed", model.kind, profile, band=(1.0, 1.0), power_factor=model.power_factor, alpha=0.18,
                     beta=1e-6)
    place = next(p for p in case.placement if p.name == like)
    market = Market(m.ders, m.grid, list(m.customers) + [fixed], m.aggregator, m.n_periods)
    placement = list(case.placement) + [tc.Placement("fixed", place.bus, place.phases, place.shares)]
    return tc.Case(case.feeder, market, placement, case.name), 0.18 * kw - 2e-6 * kw**2


@pytest.mark.parametrize("like, period", [("RL1", 19), ("CL1", 12), ("IL1", 20)])
def test_locational_prices_are_finite_differences_of_the_centralized_optimum(paper, like, period):
    """psi_c,t = -d(optimum)/d(fixed load at c's connection in period t): the Benders price of
    a fixed customer at 1 kW against a central difference of the centralized objective."""
    base, _ = _with_fixed_load(paper, like, period, 1.0)
    psi = tc.clear(base).prices.participant[-1, period]
    h = 0.5
    objectives = []
    for kw in (1.0 + h, 1.0 - h):
        case, revenue = _with_fixed_load(paper, like, period, kw)
        objectives.append(tc.clear(case, "centralized").objective - revenue)
    assert psi == pytest.approx(-(objectives[0] - objectives[1]) / (2 * h), abs=1e-8)
