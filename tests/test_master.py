"""The market master against an exact QP (tests/reference/market_qp.py) on random heterogeneous
markets with binding cuts, and its prices against finite differences of that QP."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tempp_core.errors import MarketInfeasibleError, NetworkUnsecurableError, SolverError
from tempp_core.market import DER, Customer, MainGrid, Market, MasterProblem, newton
from tempp_core.messages import FeasibilityCut

from tests.reference.market_qp import solve_master_qp

KINDS = ("RL", "IL", "CL", "AL")


def random_market(seed: int, n_der: int = 2, n_customer: int = 6, T: int = 4, twins: int = 1) -> Market:
    """Customers of random sizes (log-normal), kinds and shapes; ``twins`` copies of each."""
    rng = np.random.default_rng(seed)
    ders = [DER(f"D{d}", rng.uniform(5, 40, T), float(rng.uniform(0.0, 0.12))) for d in range(n_der)]
    customers = []
    for c in range(n_customer):
        profile = rng.lognormal(2.0, 0.6) * (1 + 0.3 * rng.uniform(-1, 1, T))
        kind = KINDS[rng.integers(4)]
        customers += [Customer(f"C{c}_{k}", kind, profile) for k in range(twins)]
    peak = np.sum([c.p_ori_kw for c in customers], axis=0).max()
    grid = MainGrid(rng.uniform(0.03, 0.22, T), p_max_kw=float(rng.uniform(0.6, 1.3) * peak))
    return Market(ders, grid, customers, n_periods=T)


def random_cuts(market: Market, x_kw: np.ndarray, seed: int, n_cut: int) -> list[FeasibilityCut]:
    """Cuts like TEMO's: per period (or over all periods), positive on customers by
    "connection" (3 groups), negative on DERs, tight at ``x_kw`` (so they bind)."""
    rng = np.random.default_rng(seed)
    lay = market.layout()
    T, nd, nc = lay.n_periods, lay.n_der, lay.n_customer
    connection = rng.integers(0, 3, nc)
    cuts = []
    for k in range(n_cut):
        periods = np.arange(T) if k % 3 == 2 else np.array([rng.integers(T)])
        idx, coef = [], []
        for t in periods:
            idx += [lay.customer_index(np.arange(nc), t), lay.der_index(np.arange(nd), t)]
            coef += [rng.uniform(0.2, 1.0, 3)[connection], -rng.uniform(0.0, 0.5, nd)]
        idx, coef = np.concatenate(idx).astype(np.int64), np.concatenate(coef)
        cuts.append(FeasibilityCut(idx, coef, float(coef @ x_kw[idx]) * rng.uniform(0.95, 0.995),
                                   tuple(int(t) for t in periods)))
    return cuts


def reference(market: Market, cuts, free_energy=None, rhs_shift=None):
    lay = market.layout()
    T, nc, n_z = lay.n_periods, lay.n_customer, lay.customer_slice.start
    dense = np.zeros((len(cuts), lay.size))
    for k, cut in enumerate(cuts):
        np.add.at(dense[k], cut.index, cut.coef)
    rhs = np.array([c.rhs for c in cuts]) + (0.0 if rhs_shift is None else rhs_shift)
    period = np.concatenate([np.tile(np.arange(T), lay.n_der), np.arange(T)])
    return solve_master_qp(
        market.alpha, market.beta, market.p_lo, market.p_hi, market.energy_min,
        np.concatenate([np.repeat(market.der_cost, T), market.lmp]),
        np.concatenate([market.der_p_max.ravel(), np.full(T, market.grid.p_max_kw)]), period,
        dense[:, :n_z], dense[:, n_z:].reshape(len(cuts), nc, T), rhs, free_energy)


def solved(market, cuts):
    master = MasterProblem(market)
    master.add_cuts(cuts)
    return master.solve()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n_der=st.integers(1, 3), n_customer=st.integers(1, 8), T=st.integers(1, 6),
       n_cut=st.integers(0, 5))
def test_master_equals_the_exact_qp(seed, n_der, n_customer, T, n_cut):
    market = random_market(seed, n_der, n_customer, T)
    try:
        free = MasterProblem(market).solve()
    except MarketInfeasibleError:
        return
    cuts = random_cuts(market, free.x_kw, seed, n_cut)
    try:
        sol = solved(market, cuts)
    except NetworkUnsecurableError:
        return
    objective, p, z, rho, eta = reference(market, cuts)
    assert sol.objective == pytest.approx(objective, rel=1e-9)
    np.testing.assert_allclose(sol.transactions.p_customer_kw, p, rtol=0, atol=1e-6)
    np.testing.assert_allclose(sol.rho, rho, rtol=0, atol=1e-7)
    for cut in cuts:
        assert cut.violation(sol.x_kw) <= 1e-7 * max(1.0, abs(cut.rhs))


@settings(max_examples=12, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n_customer=st.integers(1, 8), T=st.integers(1, 5), n_cut=st.integers(1, 5))
def test_the_interior_point_fallback_equals_the_exact_qp(seed, n_customer, T, n_cut):
    """Where the Newton method gives up (forced here), the master's primal QP by Clarabel
    gives the same optimum, consumption and prices as the reference QP."""
    market = random_market(seed, 2, n_customer, T)
    try:
        free = MasterProblem(market).solve()
    except MarketInfeasibleError:
        return
    cuts = random_cuts(market, free.x_kw, seed, n_cut)

    def stall(*args, **kwargs):
        raise SolverError("master: stalled (forced by the test)")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(newton, "solve", stall)
        try:
            sol = solved(market, cuts)
        except NetworkUnsecurableError:
            return
    objective, p, z, rho, eta = reference(market, cuts)
    assert sol.newton_steps == 0
    assert sol.objective == pytest.approx(objective, rel=1e-7)
    np.testing.assert_allclose(sol.transactions.p_customer_kw, p, rtol=0, atol=1e-4)
    np.testing.assert_allclose(sol.rho, rho, rtol=0, atol=1e-6)
    np.testing.assert_allclose(sol.cut_duals, eta, rtol=0, atol=1e-6 * max(1.0, np.abs(eta).max(initial=0.0)))


def test_prices_are_finite_differences_of_the_optimum():
    """rho_t: the gain of 1 kWh of free energy in period t; eta_k: the gain per unit of cut k's
    right-hand side (central differences of the exact QP)."""
    market = random_market(7, n_customer=8, T=5)
    cuts = random_cuts(market, MasterProblem(market).solve().x_kw, 3, 4)
    sol = solved(market, cuts)
    assert (sol.cut_duals > 1e-6).sum() >= 2  # the check below is not vacuous
    h = 1e-4
    for t in range(5):
        bump = np.zeros(5)
        bump[t] = h
        fd = (reference(market, cuts, free_energy=bump)[0] - reference(market, cuts, free_energy=-bump)[0]) / (2 * h)
        assert sol.rho[t] == pytest.approx(fd, abs=1e-6)
    for k in range(len(cuts)):
        bump = np.zeros(len(cuts))
        bump[k] = h
        fd = (reference(market, cuts, rhs_shift=bump)[0] - reference(market, cuts, rhs_shift=-bump)[0]) / (2 * h)
        assert sol.cut_duals[k] == pytest.approx(fd, abs=1e-6)


def test_degenerate_duals_of_a_repeated_cut():
    """A cut sent twice: the optimum is unchanged and the two multipliers share one value."""
    market = random_market(11, n_customer=5)
    cuts = random_cuts(market, MasterProblem(market).solve().x_kw, 5, 2)
    once, twice = solved(market, cuts), solved(market, cuts + [cuts[0]])
    assert twice.objective == pytest.approx(once.objective, rel=1e-12)
    assert twice.cut_duals[0] + twice.cut_duals[2] == pytest.approx(once.cut_duals[0], abs=1e-9)


def test_identical_customers_clear_like_one_customer_of_their_size():
    """Twins consume alike, and together they clear as one customer with their summed load
    (m f(P/m) = alpha P - 2 (beta/m) P^2): the same clearing with and without aggregation."""
    market = random_market(9, n_customer=3, twins=4, T=3)
    sol = MasterProblem(market).solve()
    p = sol.transactions.p_customer_kw.reshape(3, 4, 3)
    np.testing.assert_allclose(p, p[:, :1, :].repeat(4, axis=1), rtol=1e-12)
    merged = Market(market.ders, market.grid, [
        Customer(f"M{g}", market.customers[4 * g].kind, 4 * np.asarray(market.customers[4 * g].p_ori_kw),
                 alpha=float(market.alpha[4 * g]), beta=float(market.beta[4 * g] / 4)) for g in range(3)],
        n_periods=3)
    alone = MasterProblem(merged).solve()
    assert alone.objective == pytest.approx(sol.objective, rel=1e-12)
    np.testing.assert_allclose(alone.transactions.p_customer_kw, p.sum(axis=1), rtol=1e-10)


def test_warm_solves_equal_a_fresh_master_with_all_cuts():
    market = random_market(21, n_customer=7, T=4)
    warm = MasterProblem(market)
    sol = warm.solve()
    cuts = random_cuts(market, sol.x_kw, 8, 6)
    for k in range(0, 6, 2):
        warm.add_cuts(cuts[k:k + 2])
        last = warm.solve()
    assert last.objective == pytest.approx(solved(market, cuts).objective, rel=1e-12)


def test_a_slack_cut_changes_nothing_and_a_daily_floor_can_bind_or_not():
    market = random_market(3, n_customer=6, T=4)
    free = MasterProblem(market).solve()
    lay = market.layout()
    idx = lay.der_index(0, np.arange(4)).astype(np.int64)
    slack = FeasibilityCut(idx, np.ones(4), float(free.x_kw[idx].sum() + 10.0), (0, 1, 2, 3))
    sol = solved(market, [slack])
    assert sol.objective == pytest.approx(free.objective, rel=1e-12) and sol.cut_duals[0] == 0.0
    energy = sol.transactions.p_customer_kw.sum(axis=1)
    binding = np.isclose(energy, market.energy_min, rtol=1e-12)
    assert binding.any() and (energy >= market.energy_min - 1e-9).all()


def test_cuts_that_cannot_hold_are_reported_as_unsecurable():
    market = random_market(5, n_customer=4, T=3)
    lay = market.layout()
    everyone = lay.customer_index(np.arange(4), 1).astype(np.int64)
    # customers' consumption in period 1 below what their bands allow
    impossible = FeasibilityCut(everyone, np.ones(4), float(market.p_lo[:, 1].sum()) - 1.0, (1,))
    master = MasterProblem(market)
    master.solve()
    master.add_cuts([impossible])
    with pytest.raises(NetworkUnsecurableError, match=r"\[1\]"):
        master.solve()


def test_a_market_short_of_supply_is_reported():
    market = random_market(5, n_customer=4, T=3)
    short = Market(market.ders, MainGrid(market.lmp, p_max_kw=0.0), market.customers, n_periods=3)
    lacking = np.flatnonzero(short.p_lo.sum(axis=0) > short.der_p_max.sum(axis=0))
    assert lacking.size
    with pytest.raises(MarketInfeasibleError, match="period"):
        MasterProblem(short).solve()


def test_parallel_kernels_give_the_same_result_on_one_and_two_threads(tmp_path):
    """The cached parallel kernels, loaded from one cache by processes with 1 and 2 threads,
    return bit-identical solutions (numba caches of parallel kernels and thread counts)."""
    import os
    import subprocess
    import sys

    code = ("import numpy as np, sys; from tests.test_master import random_market, random_cuts, solved; "
            "from tempp_core.market import MasterProblem; m = random_market(2, n_customer=300, T=6); "
            "s = solved(m, random_cuts(m, MasterProblem(m).solve().x_kw, 2, 4)); "
            "np.save(sys.argv[1], np.concatenate([s.x_kw, s.rho, s.cut_duals]))")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    results = []
    for threads in ("1", "2", "1"):
        out = tmp_path / f"x{threads}_{len(results)}.npy"
        subprocess.run([sys.executable, "-c", code, str(out)], check=True, env={**env, "NUMBA_NUM_THREADS": threads},
                       cwd=os.path.dirname(os.path.dirname(__file__)))
        results.append(np.load(out))
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])


def test_tied_suppliers_split_within_their_capacities():
    """Two DERs at the same cost with different capacities, marginal together: the optimum is
    the exact QP's (the split between them is free; each stays within its capacity)."""
    base = random_market(13, n_der=1, n_customer=5, T=3)
    small = np.full(3, 10.0)
    ders = [DER("A", small, 0.1), DER("B", 10 * small, 0.1)]  # an even split would overload A
    market = Market(ders, MainGrid(np.full(3, 0.3), p_max_kw=base.grid.p_max_kw), base.customers, n_periods=3)
    sol = MasterProblem(market).solve()
    assert sol.objective == pytest.approx(reference(market, [])[0], rel=1e-9)
    assert (sol.transactions.p_der_kw <= np.array([[10.0], [100.0]]) + 1e-12).all()
    assert np.allclose(sol.rho, 0.1)  # the tie is marginal: the split between A and B is free
