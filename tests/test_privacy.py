"""Privacy options (TEMO's cut mechanisms) and the audit of what the market learns.

The hand-made feeder: swing n0 -> n1 (r = 0.4), n1 -> n2 (0.8), n1 -> n3 (0.6) p.u., phase a
only, S_base 1000 kVA; DER g at n3, customers c1 at n2 and c2 at n3 (unity power factor, so
no reactive power moves). With net loads in kW and transactions ordered (g, MG, c1, c2):
P_L1 = c1 + c2 - g, P_L2 = c1, P_L3 = c2 - g (/1000 p.u.), v2_n1 = 1 - 2 r1 P_L1,
v2_n2 = v2_n1 - 2 r2 P_L2, v2_n3 = v2_n1 - 2 r3 P_L3. Every expected row below comes from
these formulas, not from the code.
"""
import warnings

import numpy as np
import pytest
from scipy.optimize import nnls

from tempp_core.case import Case, Placement
from tempp_core.clearing.benders import BendersRun
from tempp_core.clearing.centralized import solve_centralized
from tempp_core.errors import OptionsError, SolverError
from tempp_core.market import DER, Customer, MainGrid, Market
from tempp_core.messages import FeasibilityCut, TemoReply
from tempp_core.network.feeder import Feeder
from tempp_core.network.temo import Temo
from tempp_core.network.temo.privacy import KEEP, coarsen, loosen
from tempp_core.options import ClearingOptions, PrivacyMode
from tempp_core.privacy import TrueRows, audit, learning_figure, learning_table, trade_off_table

from tests.market_cases import max_violation, random_case

R1, R2, R3 = 0.4, 0.8, 0.6
V_MIN, P_MAX_L2 = 0.955, 0.031
S_BASE = 1000.0
MODES = [m.value for m in PrivacyMode]
#: Scenario seed whose first three variants (and two fresh ones) of the hand case can all be
#: secured and all need the network (other seeds draw loads beyond line L2's rating).
SEED = 27


def hand_case() -> Case:
    r = np.zeros((3, 3, 3))
    for k, rk in enumerate((R1, R2, R3)):
        r[k, 0, 0] = rk
    feeder = Feeder.from_arrays(["n0", "n1", "n2", "n3"], ["n0", "n1", "n1"], ["n1", "n2", "n3"], r, 0.5 * r,
                                swing="n0", bus_phases=["abc", "a", "a", "a"], line_phases=["a", "a", "a"],
                                p_max_pu=np.array([1.0, P_MAX_L2, 1.0]), v_min_pu=V_MIN)
    market = Market([DER("g", np.array([10.0, 15.0]), 0.0)], MainGrid(np.array([0.10, 0.15])),
                    [Customer("c1", "RL", np.array([30.0, 30.0]), power_factor=1.0),
                     Customer("c2", "RL", np.array([20.0, 25.0]), power_factor=1.0)], n_periods=2)
    return Case(feeder, market, (Placement("g", "n3", "a"), Placement("c1", "n2", "a"),
                                 Placement("c2", "n3", "a")), "hand")


def hand_constraints():
    """Every constraint of the hand feeder: (name, raw row per kW over (g, MG, c1, c2), right-hand side
    ``row . x <= rhs`` in the raw scale), from the path formulas of the module docstring."""
    path = {"L1": np.array([-1, 0, 1, 1.0]), "L2": np.array([0, 0, 1, 0.0]), "L3": np.array([-1, 0, 0, 1.0])}
    dv2 = {"n1": -2 * R1 * path["L1"], "n2": -2 * R1 * path["L1"] - 2 * R2 * path["L2"],
           "n3": -2 * R1 * path["L1"] - 2 * R3 * path["L3"]}
    out = []
    for bus, d in dv2.items():
        out.append((f"v2_max {bus}", d / S_BASE, 1.05**2 - 1.0))
        out.append((f"v2_min {bus}", -d / S_BASE, 1.0 - V_MIN**2))
    for line, d in path.items():
        limit = P_MAX_L2 if line == "L2" else 1.0
        out.append((f"P_max {line}", d / S_BASE, limit))
        out.append((f"P_min {line}", -d / S_BASE, limit))
    return out


def _normalised(row):
    return row / np.abs(row).max()


def _hand_values(x_period):
    """u_l (<= 0 is safe) of every hand constraint at one period's transactions (g, MG, c1, c2), kW."""
    return np.array([row @ x_period - rhs for _, row, rhs in hand_constraints()])


def _run(case, temo, options):
    run = BendersRun(case.market, options)
    while (proposal := run.propose()) is not None:
        run.receive(temo.check(proposal))
    return run.outcome


# ------------------------------------------------------------------ the truth and the audit
def test_true_rows_of_the_hand_feeder_are_the_path_formulas():
    truth = TrueRows.of(hand_case())
    expected = {tuple(np.round(_normalised(row), 12)) for _, row, _ in hand_constraints()}
    got = {tuple(r) for r in np.round(truth.rows, 12)}
    assert got == expected
    # v2_min at n1 and P_max on L1 have the same row: 10 distinct rows out of 12 constraints.
    assert len(expected) == 10 and truth.n_distinct == 10 and truth.rows.shape[0] == 12
    # the right-hand side of P_max on L2 in its own scale is the rating, 31 kW
    l2 = np.flatnonzero(np.all(np.isclose(truth.rows, [0, 0, 1, 0]), axis=1))
    assert truth.rhs[l2] == pytest.approx([P_MAX_L2 * S_BASE])


def test_the_audit_recovers_exactly_the_rows_of_the_violated_constraints(monkeypatch):
    """Exact per-constraint cuts: the market learns the row (and right-hand side) of every
    constraint violated at some proposal, and nothing else; the support {c1} of line L2 is
    one of the flow partitions (as are {g, c1, c2} under L1 and {g, c2} under L3)."""
    proposals = []
    check = Temo.check

    def spy(self, transactions):
        proposals.append(transactions.to_vector())
        return check(self, transactions)

    monkeypatch.setattr(Temo, "check", spy)
    result = audit(hand_case(), scenarios=3, fresh=1, cuts="constraint", privacy="exact", seed=SEED)
    rows = [_normalised(row) for _, row, _ in hand_constraints()]
    learned = set()
    for x in proposals:
        X = x.reshape(4, 2)  # (g, MG, c1, c2) x T
        for t in range(2):
            learned |= {tuple(np.round(rows[k], 12)) for k in np.flatnonzero(_hand_values(X[:, t]) > 1e-9)}
    assert learned, "the hand case must need the network"
    flow_supports = {(True, False, True, True), (False, False, True, False), (True, False, False, True)}
    revealed = {tuple(np.array(r) != 0) for r in learned} & flow_supports
    leak = result.leakage
    assert leak.rows_exact == leak.rows_close == len(learned)
    assert leak.rhs_exact == len(learned)
    assert leak.median_error == 0.0
    assert leak.partitions == len(revealed)
    assert leak.rank == np.linalg.matrix_rank(np.array(sorted(learned)))
    frame = result.to_frame()
    assert frame.loc[0, "true_rows"] == 10 and frame.loc[0, "secure"] == 3
    assert len(result.to_frame("learning")) == 3 and len(result.to_frame("fresh")) == 1


def test_the_operational_test_clears_fresh_markets_safely_with_learned_rows():
    """With exact cuts the market's library holds the binding rows, so it clears a fresh market of
    the hand case at the secure optimum without TEMO (checked against the centralized optimum)."""
    result = audit(hand_case(), scenarios=3, fresh=2, cuts="constraint", privacy="exact", seed=SEED)
    for f in result.fresh:
        assert f.safe(1e-9)
        assert f.objective == pytest.approx(f.reference, rel=1e-6)


# ------------------------------------------------------------------ validity and convergence
def _feasible_points(case, x_opt, rng, n=40):
    """Non-negative transaction vectors that satisfy every network limit (checked by the explicit
    LinDist3Flow rows of tests/market_cases.py), from random scalings of the optimum and convex
    combinations with it."""
    points = [x_opt]
    for _ in range(n):
        x = x_opt * rng.uniform(0.0, 1.3, x_opt.size)
        if max_violation(case, x) <= 0.0:
            points.append(x)
            lam = rng.uniform()
            points.append(lam * x + (1 - lam) * x_opt)
    return np.array(points)


@pytest.fixture(scope="module")
def random_cases():
    out = []
    for seed in (3, 6):
        case = random_case(seed, n_bus=7, n_der=2, n_customer=3, T=2)
        out.append((case, solve_centralized(case)))
    return out


def _cuts_sent(case, options, seed=5):
    """Run Benders with a seeded TEMO; (outcome or None if the master failed, every cut sent)."""
    run = BendersRun(case.market, options)
    temo = Temo(case.feeder, case.injections, options, seed=seed)
    try:
        while (proposal := run.propose()) is not None:
            run.receive(temo.check(proposal))
    except SolverError:
        return None, run.cuts_sent
    return run.outcome, run.cuts_sent


@pytest.mark.filterwarnings("ignore:Benders stopped after max_iter")
@pytest.mark.parametrize("privacy", MODES)
@pytest.mark.parametrize("cuts", ["constraint", "period"])
def test_every_option_sends_valid_cuts(random_cases, privacy, cuts):
    """No cut, of any option, excludes the centralized optimum or any network-feasible point
    (the first 15 rounds' cuts: validity does not need the loop to end)."""
    rng = np.random.default_rng(0)
    for case, central in random_cases:
        _, sent = _cuts_sent(case, ClearingOptions(cuts=cuts, privacy=privacy, max_iter=15))
        assert sent
        points = _feasible_points(case, central.transactions.to_vector(), rng)
        assert len(points) >= 5
        for cut in sent:
            lhs = points[:, cut.index] @ cut.coef
            assert np.all(lhs <= cut.rhs + 1e-7 * max(1.0, abs(cut.rhs))), (privacy, cuts, cut)


@pytest.mark.parametrize("privacy", MODES)
@pytest.mark.parametrize("cuts", ["constraint", "period"])
def test_every_option_reaches_the_secure_optimum(privacy, cuts):
    """Valid cuts and a secure end make the end optimal: the objective of the centralized
    reference, every hand-computed constraint satisfied."""
    case = hand_case()
    central = solve_centralized(case)
    out, _ = _cuts_sent(case, ClearingOptions(cuts=cuts, privacy=privacy, max_iter=400))
    assert out is not None and out.status.value == "optimal"
    X = out.solution.x_kw.reshape(4, 2)
    assert max(float(np.max(_hand_values(X[:, t]))) for t in range(2)) <= 1e-9
    assert out.solution.objective == pytest.approx(central.objective, rel=1e-6)


@pytest.mark.parametrize("privacy", ["exact", "coarse", "withhold"])
def test_options_without_mixing_converge_on_random_cases(random_cases, privacy):
    for case, central in random_cases:
        out, _ = _cuts_sent(case, ClearingOptions(cuts="constraint", privacy=privacy, max_iter=400))
        assert out is not None and out.status.value == "optimal"
        assert max_violation(case, out.solution.x_kw) <= 1e-8
        assert out.solution.objective == pytest.approx(central.objective, rel=1e-6)


@pytest.mark.parametrize("temo_seed", [5, 6, 7])
def test_mixed_cuts_converge_on_random_cases(random_cases, temo_seed):
    """Mixed cuts are nearly parallel (a mix repeated with shrinking decoys): the master's
    degenerate steps must still end at the centralized optimum."""
    options = ClearingOptions(cuts="constraint", privacy="mix", max_iter=400)
    for case, central in random_cases:
        out, _ = _cuts_sent(case, options, seed=temo_seed)
        assert out is not None and out.status.value == "optimal"
        assert max_violation(case, out.solution.x_kw) <= 1e-8
        assert out.solution.objective == pytest.approx(central.objective, rel=1e-6)


def test_mixed_cuts_are_positive_combinations_of_true_rows():
    """Each period's slice of a mixed cut lies in the cone of the hand feeder's rows (non-negative
    least squares leaves no residual), and it is not one row alone."""
    case = hand_case()
    options = ClearingOptions(cuts="constraint", privacy="mix")
    out = _run(case, Temo(case.feeder, case.injections, options, seed=1), options)
    rows = np.array([row for _, row, _ in hand_constraints()]).T  # (4, 12)
    singles = 0
    for cut in out.cuts:
        for t in cut.periods:
            sl = np.zeros(4)
            at = cut.index % 2 == t
            sl[cut.index[at] // 2] = cut.coef[at]
            w, residual = nnls(rows, sl)
            assert residual <= 1e-9 * np.abs(sl).max()
            singles += int((w > 1e-9 * w.max()).sum() == 1)
    assert singles < sum(len(c.periods) for c in out.cuts)


def test_coarsening_rounds_down_blurs_the_support_and_keeps_x_star_cut_off():
    T = 2
    cut = FeasibilityCut(np.array([0, 4, 6]), np.array([-1 / 3, 1.0, 1 / 3]), 36.0, (0,))
    x = np.array([10.0, 15.0, 45.0, 35.0, 40.0, 27.0, 22.0, 23.0])
    margin = cut.violation(x)
    assert margin > 0
    out = coarsen(cut, x, np.array([0, 2, 3]), T, np.random.default_rng(0))
    assert out.rhs == cut.rhs
    full_old = np.zeros(x.size)
    full_old[cut.index] = cut.coef
    full_new = np.zeros(x.size)
    full_new[out.index] = out.coef
    assert np.all(full_new <= full_old)  # valid for every x >= 0 that the exact cut admits
    assert set(out.index % T) == {0}  # stays in its period, off the MG row (index 2)
    assert 2 not in out.index
    assert out.violation(x) >= KEEP * margin
    q = np.min(np.abs(np.diff(np.unique(np.concatenate([out.coef, [0.0]])))))
    assert np.allclose(out.coef / q, np.round(out.coef / q))  # on a grid


def test_loosening_raises_the_right_hand_side_within_the_margin():
    cut = FeasibilityCut(np.array([4]), np.array([1.0]), 31.0, (0,))
    x = np.zeros(8)
    x[4] = 35.0
    rng = np.random.default_rng(0)
    for _ in range(20):
        out = loosen(cut, x, rng)
        assert cut.rhs <= out.rhs and out.violation(x) >= KEEP * cut.violation(x)


def test_withholding_hides_the_violation_until_the_proposal_is_safe():
    case = hand_case()
    options = ClearingOptions(cuts="constraint", privacy="withhold")
    temo = Temo(case.feeder, case.injections, options, seed=0)
    run = BendersRun(case.market, options)
    replies = []
    while (proposal := run.propose()) is not None:
        replies.append(temo.check(proposal))
        run.receive(replies[-1])
    assert all(type(r) is TemoReply for r in replies)
    assert all(r.violation == np.inf and r.cuts for r in replies[:-1])
    assert replies[-1].violation == 0.0 and replies[-1].cuts == ()
    assert run.outcome.status.value == "optimal"


# ------------------------------------------------------------------ options, CLI, figure
def test_privacy_is_a_clearing_option():
    assert ClearingOptions(privacy="mix").privacy is PrivacyMode.MIX
    assert ClearingOptions().as_dict()["privacy"] == "exact"
    with pytest.raises(OptionsError, match="privacy must be one of"):
        ClearingOptions(privacy="secret")


def test_cli_privacy_prints_the_trade_off_table(tmp_path, capsys):
    from tempp_core.cli import main
    from tempp_core.io import write_case

    folder = write_case(hand_case(), tmp_path / "hand")
    out = tmp_path / "privacy.csv"
    assert main(["privacy", "--case", str(folder), "--scenarios", "1", "--fresh", "0", "--seed", str(SEED),
                 "--privacy", "exact,coarse", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "rows_exact" in text and "coarse" in text
    import pandas as pd

    table = pd.read_csv(out)
    assert list(table["privacy"]) == ["exact", "coarse"] and (table["secure"] == 1).all()


def test_learning_figure_and_table():
    result = audit(hand_case(), scenarios=2, fresh=0, cuts="constraint", privacy="coarse", seed=SEED)
    table = trade_off_table([result])
    assert table.loc[0, "privacy"] == "coarse"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = learning_figure(learning_table([result]))
    assert fig.axes[0].get_xlabel().startswith("clearings")


@pytest.mark.parametrize("argv, message", [
    (["--privacy", "secret"], "--privacy must be one of"),
    (["--cuts", "exact"], "--cuts must be one of"),
    (["--privacy", ","], "expected comma-separated values"),
    (["--scenarios", "0"], "--scenarios must be at least 1"),
    (["--out", "/proc/version/table.csv"], "--out"),
])
def test_cli_privacy_refuses_bad_arguments_before_the_audit(argv, message, capsys):
    from tempp_core.cli import main

    assert main(["privacy", "--case", "paper", *argv]) == 2
    assert message in capsys.readouterr().err


def test_cli_run_takes_a_privacy_option(capsys):
    from tempp_core.cli import main

    assert main(["run", "--case", "paper", "--privacy", "private", "--quiet"]) == 0
    assert "optimal" in capsys.readouterr().out
