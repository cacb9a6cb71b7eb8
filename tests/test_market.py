"""Market side: the LP wrapper's duals, the tangent-refined master vs an exact QP, participants,
and the privacy boundary (what crosses it, what the market can import)."""

import numpy as np
import pytest
import scipy.sparse as sp

import tempp_core as tc
from tempp_core.errors import CaseError
from tempp_core.lp import LinearProgram, LPStatus, solve_qp, solve_qp_interior
from tempp_core.market import DER, Customer, MainGrid, Market
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


@pytest.mark.parametrize("seed", range(4))
def test_both_qp_solvers_give_the_optimum_and_its_derivatives(seed):
    """HiGHS and Clarabel agree on random strictly convex QPs with two-sided, equality and
    one-sided rows and mixed bounds, and each one's row duals are finite differences of its
    own optimum (the sign convention of the module)."""
    rng = np.random.default_rng(seed)
    n, n_h, m = 7, 5, 4
    M = rng.normal(size=(n_h, n_h))
    H = M @ M.T + 0.1 * np.eye(n_h)
    cost = rng.normal(size=n)
    A = sp.csr_matrix(rng.uniform(-1.0, 1.0, (m, n)))
    row_lower = np.array([-1.0, 0.3, -np.inf, -0.5])
    row_upper = np.array([1.0, 0.3, 0.4, np.inf])
    lower = np.array([-2.0, -np.inf, 0.0, -1.0, -np.inf, 0.0, -3.0])
    upper = np.array([2.0, np.inf, 1.0, np.inf, 5.0, 4.0, 3.0])

    def optimum(solver, lo, hi):
        status, x, duals = solver(H, cost, lower, upper, A, lo, hi)
        assert status is LPStatus.OPTIMAL
        return 0.5 * x[:n_h] @ H @ x[:n_h] + cost @ x, x, duals

    f_highs, x_highs, d_highs = optimum(solve_qp, row_lower, row_upper)
    f_ip, x_ip, d_ip = optimum(solve_qp_interior, row_lower, row_upper)
    assert f_ip == pytest.approx(f_highs, rel=1e-7, abs=1e-8)
    np.testing.assert_allclose(x_ip, x_highs, atol=1e-5)
    np.testing.assert_allclose(d_ip, d_highs, atol=1e-5)
    h = 1e-6
    for i in range(m):
        lo, hi = row_lower.copy(), row_upper.copy()
        lo[i] += h if np.isfinite(lo[i]) else 0.0
        hi[i] += h if np.isfinite(hi[i]) else 0.0
        fd = (optimum(solve_qp, lo, hi)[0] - f_highs) / h
        assert d_highs[i] == pytest.approx(fd, rel=1e-4, abs=1e-5)


def test_infeasible_lp_status():
    lp = LinearProgram()
    lp.add_columns([1.0], 0.0, 1.0)
    lp.add_rows(sp.csr_matrix([[1.0]]), 2.0, np.inf)
    assert lp.solve() is LPStatus.INFEASIBLE


# ----------------------------------------------------------------------------- participants
def _customer(**kw):
    base = dict(name="c", kind="RL", p_ori_kw=np.full(24, 10.0))
    return Customer(**{**base, **kw})


@pytest.mark.parametrize(
    "ders, customers, match",
    [
        ([DER("x", 10.0, 0.1)], [_customer(name="x")], "more than once"),
        ([], [_customer(p_ori_kw=np.ones(5))], "expected \\(24,\\)"),
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
    (folder / "manifest.json").unlink()  # edited by hand from here on
    (folder / "ders.csv").write_text((folder / "ders.csv").read_text().replace("avail_WT", "nope"))
    with pytest.raises(CaseError, match="'nope'"):
        tc.io.read_case(folder)
