"""(A1)-(A4) as one exact QP over the transactions, with every safety limit of every period a
row: the truth the centralized reference (constraint generation over the dual Newton master,
explicit rows solved by sparse LU) is checked against; small cases only.

The explicit LinDist3Flow rows are solved for the network columns by a dense inverse, which
makes each limit a row over the transactions. Clarabel's interior point method finds the
active set (HiGHS's active-set QP solver was seen to cycle on these degenerate rows), and its
optimality (KKT) equations are then solved exactly. Where they have one solution the
duals are unique and every sign is checked; where they have many (limits that bind together
and move alike, such as the voltages of a leaf bus without load and of its parent) any split
is a valid dual and no prices are returned. Prices follow the definitions of
``CentralizedOutcome``, by the chain rule: rho is the balance rows' dual, the explicit rows'
duals are the limits' duals times d(limit row bound)/d(explicit row right-hand side); a
connection's price is rho plus its active balance row's dual over S_base, a participant's is
rho plus (DERs) or minus (customers) the duals its coefficients in the explicit rows see.
"""
import clarabel
import numpy as np
import scipy.sparse as sp

from tempp_core.market import MasterProblem
from tempp_core.market.master import transaction_bounds
from tempp_core.market.supply import supply_block
from tempp_core.network.explicit_rows import network_block


def solve_central_qp(case, loads: str = "joint"):
    """Exact optimum of (A1)-(A4) for ``case``.

    With ``loads='fixed'``, customers are held at the market's optimum without the network.

    Returns a dict: objective ($), x (layout.size,) kW, rho (T,), participant (n_participant_rows,
    T) and connection (T, n_bus, 3) prices in $/kWh (NaN on absent phases), the prices None
    when the duals are not unique; None when (A1)-(A4) is infeasible.
    """
    market, f = case.market, case.feeder
    lay = market.layout()
    T, n_x, n_z, n_p = lay.n_periods, lay.size, lay.customer_slice.start, lay.n_participant_rows
    lower, upper = transaction_bounds(market)
    if loads == "fixed":
        p = MasterProblem(market).solve().x_kw[n_z:]
        lower[n_z:] = upper[n_z:] = p
    # Network columns w = base + S x_t (swing held), by a dense inverse of the explicit rows.
    block = network_block(f, case.injections)
    A_net = block.A_net.toarray()
    inverse = np.linalg.inv(A_net[:, 3:])
    base = inverse @ (block.rhs - A_net[:, :3] @ block.col_lower[:3])
    S = -inverse @ block.A_x.toarray()
    lo, hi = block.col_lower[3:], block.col_upper[3:]
    upper_rows, lower_rows = np.flatnonzero(np.isfinite(hi)), np.flatnonzero(np.isfinite(lo))
    # Limit rows of every period over x (position k*T + t is participant k in period t).
    limits, limit_hi = [], []
    for t in range(T):
        for rows, sign, bound in ((upper_rows, 1.0, hi - base), (lower_rows, -1.0, base - lo)):
            block_t = np.zeros((rows.size, n_x))
            block_t[:, np.arange(n_p) * T + t] = sign * S[rows]
            limits.append(block_t)
            limit_hi.append(bound[rows])
    limits, limit_hi = np.vstack(limits), np.concatenate(limit_hi)
    q_diag = np.concatenate([np.zeros(n_z), np.repeat(4.0 * market.beta, T)])
    cost = np.concatenate([supply_block(market).cost, -np.repeat(market.alpha, T)])
    period = np.arange(n_x) % T
    balance = np.zeros((T, n_x))
    balance[period, np.arange(n_x)] = np.where(np.arange(n_x) < n_z, 1.0, -1.0)  # supply - consumption
    floors = np.zeros((lay.n_customer, n_x))
    floors[np.arange(n_x - n_z) // T, np.arange(n_z, n_x)] = 1.0
    A = np.vstack([balance, floors, limits])
    row_lo = np.concatenate([np.zeros(T), market.energy_min, np.full(limit_hi.size, -np.inf)])
    row_hi = np.concatenate([np.zeros(T), np.full(lay.n_customer, np.inf), limit_hi])
    x = _interior_point(q_diag, cost, lower, upper, A, row_lo, row_hi)
    if x is None:
        return None
    x, duals = _exact_on_active_set(q_diag, cost, lower, upper, A, row_lo, row_hi, x)
    p = x[n_z:].reshape(-1, T)
    objective = float((market.alpha[:, None] * p - 2 * market.beta[:, None] * p**2).sum()
                      - supply_block(market).cost @ x[:n_z])
    if duals is None:
        return dict(objective=objective, x=x, rho=None, participant=None, connection=None)
    # duals: d(minimum of the negative social objective)/d(row bound). An upper row's bound is
    # hi - base, a lower row's base - lo, and d base/d rhs = inverse.
    rho = duals[:T]
    limit_duals = duals[T + lay.n_customer:].reshape(T, -1)
    nu = np.zeros((T, lo.size))
    nu[:, upper_rows] -= limit_duals[:, :upper_rows.size]
    nu[:, lower_rows] += limit_duals[:, upper_rows.size:]
    net = nu @ inverse  # (T, n_rows): duals of the explicit rows
    shadow = block.A_x.T @ net.T
    customer = np.zeros(n_p, dtype=bool)
    customer[lay.customer_rows] = True
    participant = rho[None, :] + np.where(customer[:, None], -shadow, shadow)
    connection = np.empty((T, f.n_bus, 3))
    connection[:, 0, :] = rho[:, None]
    connection[:, 1:, :] = rho[:, None, None] + net[:, :3 * f.n_line].reshape(T, f.n_line, 3) / f.s_base_kva
    return dict(objective=objective, x=x, rho=rho, participant=participant,
                connection=np.where(f.bus_phases[None], connection, np.nan))


def _interior_point(q_diag, cost, lower, upper, A, row_lo, row_hi):
    """Clarabel's solution of ``min 1/2 x' diag(q) x + c' x`` on the rows and bounds (tight
    tolerances), or None when it finds the problem infeasible."""
    n = cost.size
    equal = row_lo == row_hi
    eye = np.eye(n)
    parts = [(A[equal], row_lo[equal])]
    for M, lo, hi in ((A[~equal], row_lo[~equal], row_hi[~equal]), (eye, lower, upper)):
        parts += [(M[np.isfinite(hi)], hi[np.isfinite(hi)]), (-M[np.isfinite(lo)], -lo[np.isfinite(lo)])]
    G = sp.csc_matrix(np.vstack([M for M, _ in parts]))
    h = np.concatenate([b for _, b in parts])
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = 1e-12
    settings.max_iter = 400
    cones = [clarabel.ZeroConeT(int(equal.sum())), clarabel.NonnegativeConeT(G.shape[0] - int(equal.sum()))]
    solution = clarabel.DefaultSolver(sp.csc_matrix(np.diag(q_diag)), cost, G, h, cones, settings).solve()
    status = str(solution.status)
    if "Infeasible" in status:
        return None
    assert status in ("Solved", "AlmostSolved"), status
    return np.clip(np.array(solution.x), lower, upper)


def _exact_on_active_set(q_diag, cost, lower, upper, A, row_lo, row_hi, x):
    """(x, duals) from the KKT equations of the active set at x; duals None when those
    equations leave them free. Duals: d(minimum)/d(row bound), as in tempp_core.lp."""
    span = 1e-7 * np.maximum(1.0, np.abs(x))
    at_lo, at_hi = x <= lower + span, x >= upper - span
    fixed = at_lo | at_hi
    act = A @ x
    equal = row_lo == row_hi
    rspan = 1e-7 * np.maximum(1.0, np.abs(act))
    active = equal | (act <= row_lo + rspan) | (act >= row_hi - rspan)
    bound = np.where(equal | (np.abs(act - row_lo) < np.abs(act - row_hi)), row_lo, row_hi)
    F, R = np.flatnonzero(~fixed), np.flatnonzero(active)
    x_exact = np.where(at_lo, lower, np.where(at_hi, upper, 0.0))
    # [Q_FF  A_RF'] [x_F ]   [-c_F                  ]
    # [A_RF   0   ] [-lam] = [b_R - A_R,fixed x_fixed]
    K = np.block([[np.diag(q_diag[F]), A[np.ix_(R, F)].T], [A[np.ix_(R, F)], np.zeros((R.size, R.size))]])
    rhs = np.concatenate([-cost[F], bound[R] - A[np.ix_(R, np.flatnonzero(fixed))] @ x_exact[fixed]])
    sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
    assert np.abs(K @ sol - rhs).max(initial=0.0) <= 1e-8 * max(1.0, np.abs(rhs).max(initial=0.0))
    x_exact[F] = sol[:F.size]
    assert (x_exact >= lower - 1e-9).all() and (x_exact <= upper + 1e-9).all()
    act = A @ x_exact
    assert (act >= row_lo - 1e-8).all() and (act <= row_hi + 1e-8).all()
    if np.linalg.matrix_rank(K) < K.shape[0]:
        return x_exact, None
    lam = np.zeros(A.shape[0])
    lam[R] = -sol[F.size:]
    # Signs: reduced costs at the bounds, and the duals of one-sided active rows.
    reduced = q_diag * x_exact + cost - A.T @ lam
    assert (reduced[at_lo & ~at_hi] >= -1e-8).all() and (reduced[at_hi & ~at_lo] <= 1e-8).all()
    at_row_lo = ~equal & (bound == row_lo)
    assert (lam[at_row_lo] >= -1e-8).all() and (lam[~equal & ~at_row_lo] <= 1e-8).all()
    return x_exact, lam
