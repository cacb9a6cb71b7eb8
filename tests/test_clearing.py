"""clear(): Proposition 3, cut validity, PBDR consistency, settlement, modes, infeasibility."""
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tempp_core as tc
from tempp_core.clearing.benders import run_benders
from tempp_core.clearing.clear import clear
from tempp_core.clearing.status import ClearingStatus
from tempp_core.options import ClearingOptions
from tempp_core.errors import MarketInfeasibleError, NetworkUnsecurableError
from tempp_core.market import MainGrid, Market

from tests.market_cases import max_violation, random_case

REL = 1e-6


@pytest.fixture(scope="module")
def paper_results(paper):
    return {m: clear(paper, m) for m in ("benders", "centralized")}


def test_paper_case_needs_the_network(paper, paper_results):
    """The default case is sized so that the market alone violates limits in >= 3 periods."""
    from tempp_core.market import MasterProblem
    from tempp_core.network.temo import Temo

    x_free = MasterProblem(paper.market).solve().x_kw
    temo = Temo(paper.feeder, paper.injections)
    assert int((temo.state(x_free).assessment.phi > 0).sum()) >= 3
    assert max_violation(paper, x_free) > 1e-3
    assert paper_results["benders"].iterations > 1


def test_proposition_3_on_the_paper_case(paper, paper_results):
    b, c = paper_results["benders"], paper_results["centralized"]
    assert b.converged
    assert b.objective == pytest.approx(c.objective, rel=REL)
    assert max_violation(paper, b.transactions.to_vector()) <= 1e-9


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_bus=st.integers(3, 10), T=st.integers(1, 4))
def test_proposition_3_on_random_cases(seed, n_bus, T):
    case = random_case(seed, n_bus=n_bus, T=T)
    try:
        central = clear(case, "centralized")
    except NetworkUnsecurableError:
        # Then Benders must say so too (and not return an unsafe clearing).
        with pytest.raises(NetworkUnsecurableError):
            clear(case, "benders")
        return
    benders = clear(case, "benders")
    assert benders.converged
    assert benders.objective == pytest.approx(central.objective, rel=REL)
    assert max_violation(case, benders.transactions.to_vector()) <= 1e-8


@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), mode=st.sampled_from(["period", "aggregate", "constraint"]))
def test_every_cut_is_valid(seed, mode):
    """No point feasible for (A1)-(A4) violates a cut: the centralized optimum satisfies all."""
    case = random_case(seed)
    try:
        x_central = clear(case, "centralized").transactions.to_vector()
    except NetworkUnsecurableError:
        return
    out = run_benders(case, ClearingOptions(cuts=mode))
    for cut in out.cuts:
        assert cut.violation(x_central) <= 1e-7 * max(1.0, abs(cut.rhs))


def test_paper_cuts_valid_for_centralized_optimum(paper, paper_results):
    x_central = paper_results["centralized"].transactions.to_vector()
    for mode in ("period", "aggregate", "constraint"):
        for cut in run_benders(paper, ClearingOptions(cuts=mode)).cuts:
            assert cut.violation(x_central) <= 1e-7 * max(1.0, abs(cut.rhs))


@pytest.mark.parametrize("mode", ["aggregate", "constraint"])
def test_cut_modes_reach_the_same_optimum(paper, paper_results, mode):
    result = clear(paper, cuts=mode)
    assert result.converged
    assert result.objective == pytest.approx(paper_results["centralized"].objective, rel=REL)


def test_slack_lp_and_closed_form_give_the_same_clearing(paper, paper_results):
    result = clear(paper, slack="lp")
    assert result.objective == pytest.approx(paper_results["benders"].objective, rel=1e-9)
    assert result.iterations == paper_results["benders"].iterations


def test_pbdr_consistency(paper, paper_results):
    """Each customer's own best response to its price is its consumption; price limits hold."""
    from tempp_core.market.pbdr import best_response

    for result in paper_results.values():
        m = paper.market
        pi = result.customer_price
        p = result.transactions.p_customer_kw
        band = np.array([c.band or (0.9, 1.1) if c.kind == "RL" else c.band or (0.95, 1.05) for c in m.customers])
        p_ori = np.array([c.p_ori_kw for c in m.customers])
        response = best_response(m.alpha[:, None], m.beta[:, None], pi, band[:, :1] * p_ori, band[:, 1:] * p_ori)
        np.testing.assert_allclose(response, p, rtol=1e-9, atol=1e-9)
        assert pi.min() >= 0.12 - 1e-9 and pi.max() <= 0.24 + 1e-9
        assert pi.sum(axis=1).max() <= 4.32 + 1e-9


def test_benders_and_centralized_agree_on_prices(paper_results):
    """Both are exact: the master's duals with TEMO's ledger, and the duals of the explicit rows."""
    b, c = paper_results["benders"], paper_results["centralized"]
    np.testing.assert_allclose(b.rho, c.rho, atol=1e-8)
    np.testing.assert_allclose(b.prices.participant, c.prices.participant, atol=1e-8)
    np.testing.assert_allclose(b.prices.connection, c.prices.connection, atol=1e-8)


def test_loads_fixed_mode(paper, paper_results):
    fixed = clear(paper, loads="fixed")
    central_fixed = clear(paper, "centralized", loads="fixed")
    assert fixed.converged
    assert fixed.objective == pytest.approx(central_fixed.objective, rel=REL)
    # Holding loads cannot do better than deciding them with the network.
    assert fixed.objective <= paper_results["centralized"].objective + 1e-9
    # Cuts in fixed mode involve DERs and the MG only.
    first_customer = paper.market.layout().customer_slice.start
    for cut in run_benders(paper, ClearingOptions(loads="fixed")).cuts:
        assert (cut.index < first_customer).all()


def test_paper_sensitivity_mode_ends_honestly(paper):
    """The appendix's sensitivities cut off the feasible set of the paper case after one round
    (docs/sensitivities.md): the run says so — a warning, status master_infeasible, not
    converged — and the unsafe last proposal is reported as unsafe."""
    with pytest.warns(RuntimeWarning, match="not secure"):
        result = clear(paper, sensitivity="paper", max_iter=60)
    assert result.status is ClearingStatus.MASTER_INFEASIBLE and not result.converged
    assert result.network.worst_violation > 1e-3


def test_max_iter_reports_not_converged(paper):
    with pytest.warns(RuntimeWarning, match="max_iter=1"):
        result = clear(paper, max_iter=1)
    assert not result.converged and result.status == "max_iter"
    assert result.network.worst_violation > 0


def test_market_infeasible_names_periods(paper):
    m = paper.market
    tiny = Market(m.ders, MainGrid(m.lmp, p_max_kw=0.0), m.customers, m.aggregator, m.n_periods)
    case = paper.with_market(tiny)
    # Independently: periods where the customers' band floors exceed all DER availability.
    lo = np.array([0.9 if c.kind == "RL" else 0.95 for c in m.customers])[:, None]
    floor = (lo * np.array([c.p_ori_kw for c in m.customers])).sum(axis=0)
    expected = np.flatnonzero(floor > np.array([d.p_max(24) for d in m.ders]).sum(axis=0)).tolist()
    assert expected
    with pytest.raises(MarketInfeasibleError, match=re.escape(f"period(s) {expected}")):
        clear(case)
    with pytest.raises(MarketInfeasibleError):
        clear(case, "centralized")


def test_network_unsecurable_is_reported(paper):
    from tempp_core.case import Case
    from tempp_core.network.feeder.tables import feeder_to_tables

    buses, lines, regs, _ = feeder_to_tables(paper.feeder)
    lines[[c for c in lines.columns if c[:2] in ("r_", "x_")]] *= 6.0
    weak = Case(tc.Feeder.from_tables(buses, lines, regs), paper.market, paper.placement)
    with pytest.raises(NetworkUnsecurableError, match="periods"):
        clear(weak)
    with pytest.raises(NetworkUnsecurableError):
        clear(weak, "centralized")


@pytest.mark.parametrize("option, value", [("method", "magic"), ("cuts", "some"), ("sensitivity", "x"),
                                           ("loads", "free"), ("slack", "dual")])
def test_bad_options_are_named(paper, option, value):
    kwargs = {option: value}
    with pytest.raises(ValueError, match=option):
        clear(paper, **kwargs)


def test_result_tables(paper_results):
    r = paper_results["benders"]
    tables = r.tables()
    assert set(tables) == {"transactions", "prices", "locational_prices", "settlement", "history", "voltages", "flows"}
    tr = tables["transactions"]
    assert len(tr) == (4 + 1 + 10) * 24
    np.testing.assert_allclose(tr.groupby("period").apply(
        lambda g: g.loc[g.kind != "customer", "p_kw"].sum() - g.loc[g.kind == "customer", "p_kw"].sum(),
        include_groups=False), 0.0, atol=1e-6)
    assert tables["voltages"]["vm_pu"].between(0.95 - 1e-9, 1.05 + 1e-9).all()
    assert len(tables["history"]) == r.iterations


def test_an_unsecurable_network_comes_with_a_diagnosis():
    """IEEE 13 with Table C3's limits: its regulator holds bus rg60 above 1.05 p.u. whatever the
    market does. The diagnosis names it, with the periods, and says no market action fixes it."""
    case = tc.cases.load("ieee13", v_limits=(0.95, 1.05))
    for method in ("benders", "centralized"):
        with pytest.raises(NetworkUnsecurableError) as info:
            clear(case, method)
        table = info.value.diagnosis
        row = table[(table.element == "rg60") & (table.kind == "v_max") & (table.phase == "c")].iloc[0]
        # independently: the AC-free LinDist3Flow voltage at rg60 with no load at all
        f = case.feeder
        empty = tc.power_flow(f, np.zeros((f.n_bus, 3)), np.zeros((f.n_bus, 3)))
        assert empty.vm[f.bus_index("rg60"), 2] > 1.05  # the regulator alone overvolts it
        assert row.verdict.startswith("out of reach") and row.best_reachable_pu > 0
        assert len(row.periods) >= 20
