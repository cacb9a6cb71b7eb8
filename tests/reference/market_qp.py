"""The master (A1)-(A3) plus cuts as one exact QP, every customer-period a column: the truth
the dual Newton master is checked against (small markets only).

HiGHS's QP solver finds the active set; the optimality (KKT) equations of that active set are
then solved exactly with a dense linear solve, and every sign condition is checked, so the
answer is exact to rounding and independent of the master's own algorithm.
"""
import numpy as np
import scipy.sparse as sp

from tempp_core.lp import LPStatus, solve_qp


def solve_master_qp(alpha, beta, lo, hi, energy_min, supply_cost, supply_upper, supply_period, cut_supply,
                    cut_customer, cut_rhs, free_energy=None):
    """Exact optimum of ``max sum (alpha p - 2 beta p^2) - cost . z``.

    Shapes: alpha, beta, energy_min (N,); lo, hi (N, T); supply_* (n_z,); cut_supply (K, n_z);
    cut_customer (K, N, T); cut_rhs (K,). Balance: sum_c p_c,t = sum of z in period t, plus
    ``free_energy`` (T,) kWh when given (for finite differences of rho).

    Returns (objective $, p (N, T), z (n_z,), rho (T,), eta (K,)) with rho_t = d obj / d(free
    energy in period t) and eta_k = d obj / d b_k (>= 0).
    """
    N, T = lo.shape
    n_z, K = supply_cost.size, cut_rhs.size
    # minimize 1/2 x' Q x + c' x  (= -objective), x = [p (N*T), z]
    q_diag = np.concatenate([np.repeat(4.0 * beta, T), np.zeros(n_z)])
    cost = np.concatenate([-np.repeat(alpha, T), supply_cost])
    lower = np.concatenate([lo.ravel(), np.zeros(n_z)])
    upper = np.concatenate([hi.ravel(), supply_upper])
    balance = sp.hstack([sp.kron(np.ones((1, N)), sp.identity(T)),
                         -sp.csr_matrix((np.ones(n_z), (supply_period, np.arange(n_z))), shape=(T, n_z))])
    floors = sp.hstack([sp.kron(sp.identity(N), np.ones((1, T))), sp.csr_matrix((N, n_z))])
    cuts = sp.hstack([sp.csr_matrix(cut_customer.reshape(K, N * T)), sp.csr_matrix(cut_supply)])
    A = sp.vstack([balance, floors, cuts], format="csr").toarray()
    free = np.zeros(T) if free_energy is None else np.asarray(free_energy, dtype=np.float64)
    row_lo = np.concatenate([free, energy_min, np.full(K, -np.inf)])
    row_hi = np.concatenate([free, np.full(N, np.inf), cut_rhs])
    status, x, duals = solve_qp(np.diag(q_diag), cost, lower, upper, sp.csr_matrix(A), row_lo, row_hi)
    assert status is LPStatus.OPTIMAL, status
    x, duals = _exact_on_active_set(q_diag, cost, lower, upper, A, row_lo, row_hi, x, duals, T)
    p, z = x[:N * T].reshape(N, T), x[N * T:]
    objective = float((alpha[:, None] * p - 2 * beta[:, None] * p**2).sum() - supply_cost @ z)
    # duals are d(-objective)/d(row bound); the balance row's bound is the free energy.
    return objective, p, z, -duals[:T].copy(), -duals[T + N:].copy()


def _exact_on_active_set(q_diag, cost, lower, upper, A, row_lo, row_hi, x, duals, T):
    """KKT of the equality QP on HiGHS's active set, solved exactly; signs checked."""
    m = A.shape[0]
    span = 1e-7 * np.maximum(1.0, np.abs(x))
    at_lo, at_hi = x <= lower + span, x >= upper - span
    fixed = at_lo | at_hi
    act = A @ x
    rspan = 1e-7 * np.maximum(1.0, np.abs(act))
    equal = row_lo == row_hi
    active = equal | ((np.abs(duals) > 1e-9) & ((act <= row_lo + rspan) | (act >= row_hi - rspan)))
    bound_value = np.where(equal, row_lo, np.where(np.abs(act - row_lo) < np.abs(act - row_hi), row_lo, row_hi))
    F, R = np.flatnonzero(~fixed), np.flatnonzero(active)
    x_exact = np.where(at_lo, lower, np.where(at_hi, upper, 0.0))
    # [Q_FF  A_RF'] [x_F ]   [-c_F - Q_F,fixed x_fixed]
    # [A_RF   0   ] [-lam] = [b_R - A_R,fixed x_fixed  ]
    K = np.block([[np.diag(q_diag[F]), A[np.ix_(R, F)].T], [A[np.ix_(R, F)], np.zeros((R.size, R.size))]])
    rhs = np.concatenate([-cost[F], bound_value[R] - A[np.ix_(R, np.flatnonzero(fixed))] @ x_exact[fixed]])
    sol, *_ = np.linalg.lstsq(K, rhs, rcond=None)
    x_exact[F] = sol[:F.size]
    lam = np.zeros(m)
    lam[R] = -sol[F.size:]
    # Checks: primal feasibility, and reduced costs with the right sign at the bounds.
    assert (x_exact >= lower - 1e-9).all() and (x_exact <= upper + 1e-9).all()
    act = A @ x_exact
    assert (act >= row_lo - 1e-8).all() and (act <= row_hi + 1e-8).all()
    reduced = q_diag * x_exact + cost - A.T @ lam
    assert np.abs(reduced[F]).max(initial=0.0) < 1e-8
    assert (reduced[at_lo & ~at_hi] >= -1e-8).all() and (reduced[at_hi & ~at_lo] <= 1e-8).all()
    return x_exact, lam
