"""Market side: the LP wrapper's duals, the tangent-refined master vs an exact QP, participants,
and the privacy boundary (what crosses it, what the market can import)."""
import ast
from pathlib import Path

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import tempp_core as tc
from tempp_core.errors import CaseError
from tempp_core.lp import LinearProgram, LPStatus
from tempp_core.market import DER, Customer, MainGrid, Market, MasterProblem
from tempp_core.messages import FeasibilityCut, TemoReply, Transactions


# ----------------------------------------------------------------------------- LP wrapper
def test_row_duals_are_derivatives_of_the_optimum():
    rng = np.random.default_rng(0)
    A = sp.csr_matrix(rng.uniform(0.1, 1.0, (4, 6)))
    cost = rng.uniform(1, 2, 6)

    def solve(lower):
        lp = LinearProgram()
        lp.add_columns(cost, 0.0, 10.0)
        lp.add_rows(A, lower, np.inf)
        assert lp.solve() is LPStatus.OPTIMAL
        return lp

    lower = np.array([1.0, 2.0, 1.5, 0.5])
    lp = solve(lower)
    for i in range(4):
        bumped = lower.copy()
        bumped[i] += 1e-4
        fd = (solve(bumped).objective - lp.objective) / 1e-4
        assert lp.row_duals[i] == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_infeasible_lp_status():
    lp = LinearProgram()
    lp.add_columns([1.0], 0.0, 1.0)
    lp.add_rows(sp.csr_matrix([[1.0]]), 2.0, np.inf)
    assert lp.solve() is LPStatus.INFEASIBLE


# ----------------------------------------------------------------------------- master vs QP
def _random_market(seed: int, n_der: int, n_customer: int, T: int) -> Market:
    rng = np.random.default_rng(seed)
    ders = [DER(f"D{d}", rng.uniform(10, 60, T), float(rng.uniform(0, 0.12))) for d in range(n_der)]
    customers = []
    for c in range(n_customer):
        shape = 1 + 0.3 * rng.uniform(-1, 1, T)
        customers.append(Customer(f"C{c}", "RLILCLAL"[2 * (c % 4):2 * (c % 4) + 2], rng.uniform(5, 30) * shape))
    grid = MainGrid(rng.uniform(0.03, 0.22, T), p_max_kw=float(rng.uniform(50, 200)))
    return Market(ders, grid, customers, n_periods=T)


def _exact_qp(market: Market) -> float:
    """The same market solved as a QP by HiGHS (no tangents): maximize sum(alpha p - 2 beta p^2) - costs."""
    lay = market.layout()
    T, nd, nc = lay.n_periods, lay.n_der, lay.n_customer
    n = lay.size
    cost = np.concatenate([np.repeat(market.der_cost, T), market.lmp, -np.repeat(market.alpha, T)])
    lower = np.concatenate([np.zeros((nd + 1) * T), market.p_lo.ravel()])
    upper = np.concatenate([market.der_p_max.ravel(), np.full(T, market.grid.p_max_kw), market.p_hi.ravel()])
    sign = np.concatenate([np.ones((nd + 1) * T), -np.ones(nc * T)])
    balance = sp.csr_matrix((sign, (np.arange(n) % T, np.arange(n))), shape=(T, n))
    floor = sp.csr_matrix((np.ones(nc * T), (np.repeat(np.arange(nc), T), np.arange((nd + 1) * T, n))), shape=(nc, n))
    A = sp.vstack([balance, floor]).tocsc()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    model = highspy.HighsModel()
    lp = model.lp_
    lp.num_col_, lp.num_row_ = n, A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_ = np.concatenate([np.zeros(T), market.energy_min])
    lp.row_upper_ = np.concatenate([np.zeros(T), np.full(nc, highspy.kHighsInf)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    # Hessian of 2 beta p^2 (objective 0.5 x'Hx): diagonal 4 beta on the customer columns.
    diag = np.concatenate([np.zeros((nd + 1) * T), 4 * np.repeat(market.beta, T)])
    H = sp.diags(diag).tocsc()
    hess = model.hessian_
    hess.dim_ = n
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_, hess.index_, hess.value_ = H.indptr, H.indices, H.data
    h.passModel(model)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return -h.getInfo().objective_function_value


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n_der=st.integers(1, 4), n_customer=st.integers(1, 6), T=st.integers(1, 6))
def test_tangent_refined_master_equals_exact_qp(seed, n_der, n_customer, T):
    market = _random_market(seed, n_der, n_customer, T)
    try:
        sol = MasterProblem(market).solve()
    except tc.errors.MarketInfeasibleError:
        return
    assert sol.objective == pytest.approx(_exact_qp(market), rel=1e-7, abs=1e-7)


def test_slack_cut_changes_nothing_and_binding_cut_has_positive_dual():
    market = _random_market(3, 2, 3, 4)
    mp = MasterProblem(market)
    sol = mp.solve()
    lay = market.layout()
    idx = lay.der_index(0, np.arange(4)).astype(np.int64)
    slack = FeasibilityCut(idx, np.ones(4), float(sol.x_kw[idx].sum() + 10.0), tuple(range(4)))
    mp.add_cuts([slack])
    again = mp.solve()
    assert again.objective == pytest.approx(sol.objective, rel=1e-8)  # the revenue tolerance
    assert again.cut_duals[0] == pytest.approx(0.0, abs=1e-9)
    cheap = int(np.argmin(market.der_cost))
    idx = lay.der_index(cheap, np.arange(4)).astype(np.int64)
    binding = FeasibilityCut(idx, np.ones(4), float(sol.x_kw[idx].sum() * 0.5), tuple(range(4)))
    mp.add_cuts([binding])
    cut_sol = mp.solve()
    assert cut_sol.x_kw[idx].sum() <= binding.rhs + 1e-7
    assert cut_sol.cut_duals[1] > 0
    fresh = MasterProblem(market)
    fresh.add_cuts([slack, binding])
    assert fresh.solve().objective == pytest.approx(cut_sol.objective, rel=1e-8)


# ----------------------------------------------------------------------------- participants
def _customer(**kw):
    base = dict(name="c", kind="RL", p_ori_kw=np.full(24, 10.0))
    return Customer(**{**base, **kw})


@pytest.mark.parametrize(
    "ders, customers, match",
    [
        ([DER("x", 10.0, 0.1)], [_customer(name="x")], "more than once"),
        ([], [_customer(p_ori_kw=np.ones(5))], "24 finite values"),
        ([], [_customer(p_ori_kw=-np.ones(24))], "finite values >= 0"),
        ([], [_customer(band=(1.1, 0.9))], "lo <= hi"),
        ([], [_customer(kind="XX")], "kind"),
        ([DER("d", np.ones(3), 0.1)], [_customer()], "DER 'd'"),
        ([DER("d", 10.0, -0.1)], [_customer()], "cost_per_kwh"),
        ([], [_customer(p_ori_kw=np.r_[20.0, np.full(23, 1.0)])], "price-responsive range"),
        ([], [_customer(power_factor=0.0)], "power_factor"),
    ],
)
def test_bad_participants_are_named(ders, customers, match):
    with pytest.raises(CaseError, match=match):
        Market(ders, MainGrid(np.full(24, 0.1)), customers)


def test_default_calibration_keeps_daily_energy():
    """model.md: with the default calibration the daily cap is exactly sum p >= sum p_ori."""
    p_ori = 20 + 5 * np.sin(np.arange(24))
    m = Market([], MainGrid(np.full(24, 0.1)), [_customer(p_ori_kw=p_ori)])
    assert m.energy_min[0] == pytest.approx(p_ori.sum(), rel=1e-12)
    assert m.beta[0] == pytest.approx(0.002 * 17.5 / p_ori.mean(), rel=1e-12)


# ----------------------------------------------------------------------------- privacy boundary
NETWORK_MODULES = ("tempp_core.network.feeder", "tempp_core.network.physics", "tempp_core.network.kernels", "tempp_core.network.temo",
                   "tempp_core.io", "tempp_core.cases", "tempp_core.network.topology", "tempp_core.network.explicit_rows",
                   "tempp_core.case")


def test_market_side_never_imports_the_network_side():
    market_dir = Path(tc.__file__).parent / "market"
    for path in market_dir.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                name = ("tempp_core." if node.level == 2 else "tempp_core.market." if node.level == 1 else "") \
                    + (node.module or "")
            elif isinstance(node, ast.Import):
                name = " ".join(a.name for a in node.names)
            else:
                continue
            assert not any(name.startswith(m) for m in NETWORK_MODULES), f"{path.name} imports {name}"


def test_only_cuts_and_a_violation_cross_from_temo(monkeypatch):
    """Spy on the exchange: TEMO receives Transactions only and answers TemoReply objects made
    of FeasibilityCut (numbers over transaction variables) and a float; the master holds no
    reference to the feeder, placement or limits."""
    from tempp_core.clearing import benders
    from tempp_core.network.temo import Temo

    seen_in, seen_out = [], []
    original = Temo.check

    def spy(self, transactions):
        seen_in.append(transactions)
        reply = original(self, transactions)
        seen_out.append(reply)
        return reply

    monkeypatch.setattr(Temo, "check", spy)
    masters = []
    original_master = benders.MasterProblem

    def make_master(*a, **k):
        masters.append(original_master(*a, **k))
        return masters[-1]

    monkeypatch.setattr(benders, "MasterProblem", make_master)
    case = tc.cases.paper()
    benders.run_benders(case)
    assert seen_out and all(type(t) is Transactions for t in seen_in)
    for reply in seen_out:
        assert type(reply) is TemoReply and type(reply.violation) is float
        for cut in reply.cuts:
            assert type(cut) is FeasibilityCut
            assert set(vars(cut)) == {"index", "coef", "rhs", "periods"}
            assert cut.index.dtype.kind == "i" and cut.coef.dtype == np.float64
            assert cut.index.max() < case.market.layout().size
    # Nothing reachable from the master is network data.
    forbidden = (tc.Feeder, tc.Placement)
    stack, seen = [masters[0]], set()
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        assert not isinstance(obj, forbidden), f"master reaches {type(obj).__name__}"
        if hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)


def test_case_folder_round_trip(tmp_path):
    case = tc.cases.paper()
    tc.io.write_case(case, tmp_path / "copy")
    again = tc.io.read_case(tmp_path / "copy")
    assert again.feeder.bus_names == case.feeder.bus_names
    np.testing.assert_array_equal(again.feeder.r_pu, case.feeder.r_pu)
    np.testing.assert_array_equal(again.market.p_lo, case.market.p_lo)
    assert again.placement == case.placement
    from tempp_core.clearing.clear import clear

    assert clear(again).objective == pytest.approx(clear(case).objective, rel=1e-12)


def test_populated_case_round_trips_with_shares(tmp_path):
    case = tc.cases.load("ieee13")
    assert any(p.shares is not None for p in case.placement)
    again = tc.io.read_case(tc.io.write_case(case, tmp_path / "ieee13"))
    by_name = lambda placement: {p.name: p for p in placement}  # noqa: E731
    assert by_name(again.placement) == by_name(case.placement)
    np.testing.assert_array_equal(again.feeder.p_max_pu, case.feeder.p_max_pu)
    np.testing.assert_array_equal(again.feeder.v_max_pu, case.feeder.v_max_pu)
    from tempp_core.clearing.clear import clear

    assert clear(again).objective == pytest.approx(clear(case).objective, rel=1e-12)


def test_case_folder_errors_name_the_problem(tmp_path):
    case = tc.cases.paper()
    folder = tc.io.write_case(case, tmp_path / "bad")
    (folder / "ders.csv").write_text((folder / "ders.csv").read_text().replace("avail_G1", "nope"))
    with pytest.raises(CaseError, match="'nope'"):
        tc.io.read_case(folder)


# ----------------------------------------------------------------------------- groups
def test_identical_customers_are_aggregated_exactly():
    """Duplicated customers: the grouped master equals the exact QP of the full market."""
    base = _random_market(8, 2, 3, 4)
    twins = [Customer(f"{c.name}_{k}", c.kind, c.p_ori_kw) for c in base.customers for k in range(3)]
    market = Market(base.ders, base.grid, twins, n_periods=4)
    mp = MasterProblem(market)
    assert mp.groups.n_group == 3
    sol = mp.solve()
    assert sol.objective == pytest.approx(_exact_qp(market), rel=1e-7, abs=1e-7)
    p = sol.transactions.p_customer_kw.reshape(3, 3, 4)
    np.testing.assert_allclose(p, p[:, :1, :].repeat(3, axis=1))  # twins consume alike


def test_a_cut_that_tells_twins_apart_splits_their_group():
    base = _random_market(9, 2, 2, 3)
    twins = [Customer(f"{c.name}_{k}", c.kind, c.p_ori_kw) for c in base.customers for k in range(2)]
    market = Market(base.ders, base.grid, twins, n_periods=3)
    lay = market.layout()
    mp = MasterProblem(market)
    sol = mp.solve()
    # a cap on the first twin alone in period 0, below what it consumes there
    idx = np.array([lay.customer_index(0, 0)], dtype=np.int64)
    cut = FeasibilityCut(idx, np.ones(1), float(sol.x_kw[idx].sum() * 0.97), (0,))
    mp.add_cuts([cut])
    assert mp.groups.n_group == 3
    split = mp.solve()
    assert cut.violation(split.x_kw) <= 1e-7
    ungrouped = MasterProblem(market)
    from tempp_core.market.groups import CustomerGroups

    ungrouped.groups = CustomerGroups.from_keys(np.arange(len(twins))[:, None].astype(float))
    ungrouped._build()
    ungrouped.add_cuts([cut])
    assert split.objective == pytest.approx(ungrouped.solve().objective, rel=1e-8)
