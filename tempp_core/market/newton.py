"""The master solved in its dual: a semismooth Newton method over the coupling prices.

The master (A1)-(A3) plus cuts is ``max sum_c revenue_c(p_c) - cost . z`` over customers'
boxes and daily floors, supply boxes ``0 <= z <= z_max`` (DER sales, the MG purchase), T
balance rows and K cuts. Its Lagrangian dual in y = (rho, eta) (one price per balance row,
eta >= 0 per cut),

    q(y) = sum_c h_c(psi_c(y)) + sum_j z_max,j max(0, (B'y)_j - cost_j) + eta . b,

has a small variable (T + K numbers) and is cheap to evaluate: ``h_c`` is customer c's best
response value at its prices ``psi_c = rho + (cuts' coefficients on c)' eta``, closed form up
to a one-dimensional search (:mod:`.kernels`). ``h`` is convex and piecewise quadratic, the
supply part piecewise linear. Each Newton step replaces ``sum h_c`` by its second-order
model at the current y (generalized Hessian: the curvature of the customers' aggregate
response, summed per class of customers that cuts treat alike) and keeps the supply part
exact, which makes the step a small QP in (y, s) solved by HiGHS; the step is then polished
by solving the KKT equations of the QP's active set exactly, and a backtracking line search
on q keeps the method globally convergent. Once the customers' active pattern (free periods,
binding floors) stops changing, the model is exact and the step lands on the optimum.

Primal infeasibility would make q unbounded below; every multiplier is therefore boxed by
:data:`PRICE_BOUND` (an elastic penalty on the rows). A solution that needs a multiplier at
that bound, with rows still violated, is reported infeasible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from ..lp import LinearProgram, LPStatus, solve_qp, solve_qp_interior
from . import kernels
from .cut_classes import CutRows

#: Elastic bound on every price, $/kWh (or $ per unit of a cut's right-hand side): far above
#: any price a feasible market needs (Table C1's prices are below 0.25 $/kWh).
PRICE_BOUND = 1e4
#: Largest number of Newton steps per solve.
MAX_STEPS = 200
#: Steps in a row with no predicted decrease after which the optimum is taken as reached.
STALLED_STEPS = 3
#: Fixed ranges of customers the kernels run in parallel (results do not depend on threads).
CHUNKS = 16
#: Price gap ($/kWh) within which a supply variable counts as marginal (price equals cost).
MARGINAL_PRICE = 1e-8
#: Armijo constant of the line search.
ARMIJO = 1e-4
#: Weight of the proximal term of each Newton step, relative to the largest curvature.
PROXIMAL = 1e-10


class InfeasibleRows(Exception):
    """The rows cannot all hold: the elastic solution still violates them.

    Attributes
    ----------
    periods : list of int
        Balance rows (periods) that cannot be met.
    cuts : list of int
        Cuts that cannot all hold (their multipliers reached :data:`PRICE_BOUND`).
    """

    def __init__(self, periods: list[int], cuts: list[int]) -> None:
        super().__init__(f"infeasible rows: periods {periods}, cuts {cuts}")
        self.periods, self.cuts = periods, cuts


@dataclass(frozen=True, eq=False)
class Customers:
    """Customers' economics, one row per customer (kW, $/kWh).

    ``four_beta`` is 4 beta_c: revenue ``alpha p - four_beta p^2 / 2`` = ``alpha p - 2 beta p^2``.
    """

    alpha: np.ndarray
    four_beta: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    energy_min: np.ndarray


@dataclass(frozen=True, eq=False)
class Supply:
    """DER sales and the MG purchase: ``0 <= z <= upper`` at ``cost`` ($/kWh), in period ``period``."""

    cost: np.ndarray
    upper: np.ndarray
    period: np.ndarray


@dataclass(frozen=True, eq=False)
class DualSolution:
    """Optimal prices and the transactions they clear.

    Attributes
    ----------
    rho : ndarray (T,)
        Balance prices, $/kWh.
    eta : ndarray (K,)
        Cut multipliers (>= 0).
    p : ndarray (N, T)
        Customers' consumption, kW.
    z : ndarray (n_z,)
        Supply, kW.
    psi : ndarray (n_class, T)
        Price each class of customers pays at the margin, $/kWh.
    revenue : float
        Customers' revenue ``sum alpha p - 2 beta p^2`` at p, $.
    dual_value : float
        q(y), $; equals ``revenue - cost . z`` at the optimum.
    steps : int
        Newton steps taken.
    """

    rho: np.ndarray
    eta: np.ndarray
    p: np.ndarray
    z: np.ndarray
    psi: np.ndarray
    revenue: float
    dual_value: float
    steps: int


class _Evaluation:
    """Customers' responses at one y (one pass over customers x periods)."""

    def __init__(self, customers: Customers, cuts: CutRows, y: np.ndarray, T: int,
                 mu_guess: np.ndarray | None = None) -> None:
        cls = cuts.classes
        rho, eta = y[:T], y[T:]
        self.psi = np.empty((cls.n_class, T))
        kernels.class_prices(rho, eta[cuts.piece_cut], cuts.coef, cuts.piece_period, self.psi)
        N = customers.alpha.size
        self.p = np.empty((N, T))
        self.mu = np.zeros(N) if mu_guess is None else mu_guess.copy()
        self.h = kernels.respond(self.psi, cls.label, customers.alpha, customers.four_beta, customers.lo,
                                 customers.hi, customers.energy_min, self.p, self.mu, CHUNKS)
        self.class_sum = np.empty((cls.n_class, T))
        kernels.class_sums(self.p, cls.ptr, cls.members, self.class_sum)

    def revenue(self) -> float:
        """Customers' revenue at their responses, $: h + sum psi . p (no extra pass)."""
        return self.h + float(np.einsum("kt,kt->", self.psi, self.class_sum))

    def gradient(self, cuts: CutRows, T: int) -> np.ndarray:
        """d h / d y = -(customers' use of each row): (T + K,)."""
        g_rho = -self.class_sum.sum(axis=0)
        g_piece = -np.einsum("kj,kj->j", cuts.coef, self.class_sum[:, cuts.piece_period])
        return np.concatenate([g_rho, cuts.piece_to_cut() @ g_piece])


def _supply_value(supply: Supply, cuts: CutRows, y: np.ndarray, T: int) -> float:
    margin = y[:T][supply.period] - cuts.supply.T @ y[T:] - supply.cost
    return float(supply.upper @ np.maximum(margin, 0.0))


def dual_value(customers, supply, cuts, y, T, near: "_Evaluation | None" = None) -> tuple[float, _Evaluation]:
    """q(y) and the customers' evaluation at y (floor multipliers started from ``near``'s)."""
    ev = _Evaluation(customers, cuts, y, T, None if near is None else near.mu)
    return ev.h + _supply_value(supply, cuts, y, T) + float(cuts.rhs @ y[T:]), ev


def solve(customers: Customers, supply: Supply, cuts: CutRows, T: int, y0: np.ndarray | None = None,
          tol_kw: float = 1e-9, exact_kw: float = 1e-12) -> DualSolution:
    """Minimize q over y = (rho, eta >= 0); see the module docstring.

    Parameters
    ----------
    y0 : ndarray (T + K,), optional
        Starting prices (a previous solution, new cuts at 0); the LMP-free default is 0.
    tol_kw, exact_kw : float
        Residual of the balance and cut rows, relative to the largest transaction (kW): a
        step that reaches ``exact_kw`` ends the solve (the polish landed on the optimum); one
        within ``tol_kw`` is accepted once steps stop making progress.

    Raises
    ------
    InfeasibleRows
        The balance and cut rows cannot all hold (the elastic optimum violates them).
    SolverError
        No convergence within :data:`MAX_STEPS`.
    """
    K = cuts.n_cut
    y = np.zeros(T + K) if y0 is None else np.clip(np.asarray(y0, dtype=np.float64), *_bounds(T, K))
    q, ev = dual_value(customers, supply, cuts, y, T)
    stalls = 0
    for step in range(1, MAX_STEPS + 1):
        y_new, z_new, predicted = _newton_step(customers, supply, cuts, ev, y, q, T)
        q_new, ev_new = dual_value(customers, supply, cuts, y_new, T, ev)
        residual, scale = _residual(supply, cuts, ev_new, z_new, T)
        worst = residual.max(initial=0.0)
        stalls = stalls + 1 if q - predicted <= 1e-12 * max(1.0, abs(q)) else 0
        if worst <= exact_kw * scale or (worst <= tol_kw * scale and stalls >= STALLED_STEPS):
            return DualSolution(y_new[:T].copy(), y_new[T:].copy(), ev_new.p, z_new, ev_new.psi, ev_new.revenue(),
                                q_new, step)
        direction = y_new - y
        if stalls >= STALLED_STEPS:  # the (elastic) optimum: nothing left to gain
            z_fit = _supply_at_responses(supply, cuts, ev_new, T)
            if z_fit is not None:
                residual, scale = _residual(supply, cuts, ev_new, z_fit, T)
                if residual.max(initial=0.0) <= tol_kw * scale:
                    return DualSolution(y_new[:T].copy(), y_new[T:].copy(), ev_new.p, z_fit, ev_new.psi,
                                        ev_new.revenue(), q_new, step)
            elastic = np.abs(y_new) >= PRICE_BOUND * (1.0 - 1e-6)
            rows = np.flatnonzero((residual > tol_kw * scale) & elastic)
            if rows.size:
                raise InfeasibleRows([int(r) for r in rows if r < T], [int(r - T) for r in rows if r >= T])
            raise SolverError(f"master: stalled at step {step} with a residual of {residual.max():.3g} kW")
        decrease = min(predicted - q, 0.0)
        tau, q_try, ev_try = 1.0, q_new, ev_new
        while q_try > q + ARMIJO * tau * decrease + 1e-13 * max(1.0, abs(q)):
            tau *= 0.5
            if tau < 1e-12:
                raise SolverError(f"master: line search failed at step {step} (q = {q!r})")
            q_try, ev_try = dual_value(customers, supply, cuts, y + tau * direction, T, ev)
        y, q, ev = y + tau * direction, q_try, ev_try
    raise SolverError(f"master: no convergence in {MAX_STEPS} Newton steps")


def solve_primal(customers: Customers, supply: Supply, cuts: CutRows, T: int) -> DualSolution:
    """The master as one QP in the transactions, by Clarabel's interior point: the fallback
    for the rare solve where the Newton method stalls short of the tolerance (long runs of
    nearly parallel cuts). Exact like :func:`solve` but slower (N T columns; seconds at 10^4
    customers); prices from the QP's duals.

    Raises
    ------
    InfeasibleRows
        The rows cannot all hold (every period and cut named: the QP does not say which).
    """
    N, n_z, K = customers.alpha.size, supply.cost.size, cuts.n_cut
    n = n_z + N * T
    hessian = sp.diags(np.concatenate([np.zeros(n_z), np.repeat(customers.four_beta, T)]))
    cost = np.concatenate([supply.cost, -np.repeat(customers.alpha, T)])
    p_col = n_z + np.arange(N * T).reshape(N, T)  # column of p_c,t
    balance = sp.hstack([sp.csr_matrix((np.ones(n_z), (supply.period, np.arange(n_z))), shape=(T, n_z)),
                         -sp.kron(np.ones((1, N)), sp.identity(T))])
    floors = sp.csr_matrix((np.ones(N * T), (np.repeat(np.arange(N), T), p_col.ravel())), shape=(N, n))
    # Each piece j puts coef[class of c, j] on p_c,period(j) in cut piece_cut[j].
    members = cuts.coef[cuts.classes.label]  # (N, P)
    c_idx, j_idx = np.nonzero(members)
    on_customers = sp.csr_matrix((members[c_idx, j_idx], (cuts.piece_cut[j_idx], p_col[c_idx, cuts.piece_period[j_idx]])),
                                 shape=(K, n))
    rows = sp.vstack([balance, floors, sp.hstack([cuts.supply, sp.csr_matrix((K, N * T))]) + on_customers], format="csr")
    status, x, duals = solve_qp_interior(
        hessian, cost, np.concatenate([np.zeros(n_z), customers.lo.ravel()]),
        np.concatenate([supply.upper, customers.hi.ravel()]), rows,
        np.concatenate([np.zeros(T), customers.energy_min, np.full(K, -np.inf)]),
        np.concatenate([np.zeros(T), np.full(N, np.inf), cuts.rhs]))
    if status is not LPStatus.OPTIMAL:
        raise InfeasibleRows(list(range(T)), list(range(K)))
    rho, eta = duals[:T], np.maximum(-duals[T + N:], 0.0)
    z, p = np.clip(x[:n_z], 0.0, supply.upper), np.clip(x[n_z:].reshape(N, T), customers.lo, customers.hi)
    psi = np.empty((cuts.classes.n_class, T))
    kernels.class_prices(rho, eta[cuts.piece_cut], cuts.coef, cuts.piece_period, psi)
    revenue = float((customers.alpha[:, None] * p - 0.5 * customers.four_beta[:, None] * p**2).sum())
    return DualSolution(rho, eta, p, z, psi, revenue, revenue - float(supply.cost @ z), 0)


def _bounds(T: int, K: int) -> tuple[np.ndarray, np.ndarray]:
    lower = np.concatenate([np.full(T, -PRICE_BOUND), np.zeros(K)])
    return lower, np.full(T + K, PRICE_BOUND)


def _supply_map(supply: Supply, cuts: CutRows, T: int) -> sp.csr_matrix:
    """B' with ``(B'y)_j = rho_t(j) - (cuts' coefficients on z_j) . eta``: (n_z, T + K)."""
    n_z = supply.cost.size
    period = sp.csr_matrix((np.ones(n_z), (np.arange(n_z), supply.period)), shape=(n_z, T))
    return sp.hstack([period, -cuts.supply.T], format="csr")


def _newton_step(customers, supply, cuts, ev, y, q, T):
    """The QP step from y: (y_new, z_new, model value of q at y_new)."""
    cls = cuts.classes
    K = cuts.n_cut
    H_piece = np.empty((T + cuts.piece_cut.size,) * 2)
    kernels.price_hessian(ev.p, ev.mu, cls.label, cls.members, customers.four_beta, customers.lo, customers.hi,
                          cuts.coef, cuts.piece_period, CHUNKS, H_piece)
    R = sp.block_diag([sp.identity(T), cuts.piece_to_cut()], format="csr")
    H = (R @ (R @ H_piece).T).T
    # Symmetric, and strictly convex by a proximal term far below the curvature: it keeps
    # HiGHS's QP well posed where no customer is free (zero curvature) and vanishes at the
    # fixed point, so the optimum is unchanged.
    H = 0.5 * (H + H.T) + PROXIMAL * max(1.0, float(np.abs(np.diag(H_piece)).max(initial=0.0))) * np.eye(T + K)
    g = ev.gradient(cuts, T)
    Bt = _supply_map(supply, cuts, T)
    b_full = np.concatenate([np.zeros(T), cuts.rhs])
    lower_y, upper_y = _bounds(T, K)
    x, row_duals = _step_qp(H, g - H @ y + b_full, Bt, supply, lower_y, upper_y)
    y_new, z_new = _polish(H, g - H @ y + b_full, Bt, x[:T + K], np.clip(row_duals, 0.0, supply.upper),
                           supply, lower_y, upper_y)
    d = y_new - y
    predicted = ev.h + g @ d + 0.5 * d @ H @ d + _supply_value(supply, cuts, y_new, T) + cuts.rhs @ y_new[T:]
    return y_new, z_new, float(predicted)


def _step_qp(H, linear, Bt, supply, lower_y, upper_y) -> tuple[np.ndarray, np.ndarray]:
    """The Newton step's QP in [y (T + K), s (n_z)]: min 1/2 y'Hy + linear'y + upper's subject
    to s_j - (B'y)_j >= -cost_j, s >= 0 (so upper's = the supply part of q), prices within
    their bounds; returns (x, row duals). HiGHS first; Clarabel where HiGHS's active-set QP
    solver stops with an error, as it does on degenerate steps (many nearly parallel cuts,
    e.g. mixed ones, :mod:`tempp_core.network.temo.privacy`)."""
    n_z = supply.cost.size
    problem = (H, np.concatenate([linear, supply.upper]), np.concatenate([lower_y, np.zeros(n_z)]),
               np.concatenate([upper_y, np.full(n_z, np.inf)]), sp.hstack([-Bt, sp.identity(n_z)], format="csr"),
               -supply.cost, np.full(n_z, np.inf))
    try:
        status, x, row_duals = solve_qp(*problem)
    except SolverError:
        status = LPStatus.OTHER
    if status is not LPStatus.OPTIMAL:
        status, x, row_duals = solve_qp_interior(*problem)
    if status is not LPStatus.OPTIMAL:
        raise SolverError(f"master: the Newton QP ended {status.value} (HiGHS and Clarabel)")
    return x, row_duals


def _polish(H, linear, Bt, y_qp, z_qp, supply, lower_y, upper_y):
    """Solve the QP's optimality conditions exactly on the active set HiGHS found.

    With ``linear = g - H y0 + b``, stationarity reads ``H y + linear + B z = 0`` in every
    price strictly inside its bounds, ``>= 0`` in a price held at its lower bound (a cut with
    eta = 0 must hold) and ``<= 0`` at its upper bound. Prices strictly inside their bounds and
    marginal supply (price equal to cost) are the unknowns; the rest is held at its bound. The
    prices come from the KKT equations; the supply from a small LP on those conditions, which
    splits ties between marginal suppliers (equal costs) within their capacities and so
    that held cuts hold. Falls back to the QP's own solution when any of this fails."""
    upper = supply.upper
    tiny = 1e-9 * np.maximum(upper, 1.0)
    # Supply is marginal where it sits strictly inside its bounds, or where its price equals
    # its cost (to the QP's accuracy) whatever its quantity: a tiny z at its cost is marginal.
    Bd = Bt.toarray()
    margin_qp = Bd @ y_qp - supply.cost
    inside = (z_qp > tiny) & (z_qp < upper - tiny)
    marginal = (inside | (np.abs(margin_qp) <= MARGINAL_PRICE)) & (upper > 0)
    at_upper = ~marginal & (z_qp >= 0.5 * upper) & (upper > 0)
    span = 1e-9 * np.maximum(np.abs(y_qp), 1.0)
    free = (y_qp > lower_y + span) & (y_qp < upper_y - span)
    F, M = np.flatnonzero(free), np.flatnonzero(marginal)
    y = np.where(y_qp - lower_y < upper_y - y_qp, lower_y, upper_y)  # held prices at their bound
    z = np.where(at_upper, upper, 0.0)
    held = ~free
    system = np.block([[H[np.ix_(F, F)], Bd[M][:, F].T], [Bd[M][:, F], np.zeros((M.size, M.size))]])
    rhs = np.concatenate([-(linear + Bd.T @ z + H[:, held] @ y[held])[F],
                          supply.cost[M] - Bd[M][:, held] @ y[held]])
    # Least squares: on a degenerate active set (parallel cuts, ties) any solution will do.
    solution = np.linalg.lstsq(system, rhs, rcond=None)[0]
    if not np.isfinite(solution).all() or \
            np.abs(system @ solution - rhs).max(initial=0.0) > 1e-9 * max(1.0, np.abs(rhs).max(initial=0.0)):
        return y_qp, z_qp
    y[F] = solution[:F.size]
    z_marginal = _split_supply(Bd[M].T, -(H @ y + linear + Bd.T @ z), free, y <= lower_y, upper[M])
    if z_marginal is None:
        return y_qp, z_qp
    z[M] = z_marginal
    margin = Bd @ y - supply.cost
    consistent = ((y >= lower_y - 1e-12).all() and (y <= upper_y + 1e-12).all()
                  and (margin[~marginal & ~at_upper & (upper > 0)] <= 1e-12).all()
                  and (margin[at_upper] >= -1e-12).all())
    if not consistent:
        return y_qp, z_qp
    return np.clip(y, lower_y, upper_y), np.clip(z, 0.0, upper)


def _split_supply(A, target, free, at_lower, upper):
    """Marginal supply z (0 <= z <= upper) with ``A z = target`` on free prices and
    ``A z >= target`` on prices held at their lower bound (``<=`` at their upper bound), by a
    small LP; None when no such z exists (to rounding)."""
    n = upper.size
    z = np.zeros(0)
    if n:
        lp = LinearProgram()
        lp.add_columns(np.zeros(n), np.zeros(n), upper)
        lp.add_rows(sp.csr_matrix(A), np.where(free | at_lower, target, -np.inf),
                    np.where(free | ~at_lower, target, np.inf))
        if lp.solve() is not LPStatus.OPTIMAL:
            return None
        z = np.clip(lp.x, 0.0, upper)
    scale = max(1.0, float(np.abs(target).max(initial=0.0)))
    gap = A @ z - target
    held_low, held_high = at_lower & ~free, ~at_lower & ~free
    if (np.abs(gap[free]).max(initial=0.0) > 1e-9 * scale or -gap[held_low].min(initial=0.0) > 1e-9 * scale
            or gap[held_high].max(initial=0.0) > 1e-9 * scale):
        return None
    return z


def _supply_at_responses(supply, cuts, ev, T) -> np.ndarray | None:
    """The cheapest supply z (n_z,) that meets the balance and cut rows with the customers'
    responses held, by a small LP; None if none does.

    Used once the prices have stopped improving: the customers' responses are then optimal
    (their part of the master is strictly concave), but on a degenerate set of rows (nearly
    parallel cuts, e.g. mixed ones) the supply of the Newton step may miss the rows by more
    than the tolerance, while the supply LP with the responses fixed is exact.
    """
    n_z = supply.cost.size
    demand = ev.class_sum.sum(axis=0)
    use = cuts.piece_to_cut() @ np.einsum("kj,kj->j", cuts.coef, ev.class_sum[:, cuts.piece_period])
    period = sp.csr_matrix((np.ones(n_z), (supply.period, np.arange(n_z))), shape=(T, n_z))
    lp = LinearProgram()
    lp.add_columns(supply.cost, np.zeros(n_z), supply.upper)
    lp.add_rows(sp.vstack([period, cuts.supply], format="csr"), np.concatenate([demand, np.full(cuts.n_cut, -np.inf)]),
                np.concatenate([demand, cuts.rhs - use]))
    if lp.solve() is not LPStatus.OPTIMAL:
        return None
    return np.clip(lp.x, 0.0, supply.upper)


def _residual(supply, cuts, ev, z, T) -> tuple[np.ndarray, float]:
    """Violation of every balance and cut row at (p, z), (T + K,), and the scale (kW) it is
    judged on."""
    supply_t = np.bincount(supply.period, weights=z, minlength=T)
    balance = ev.class_sum.sum(axis=0) - supply_t
    use = np.einsum("kj,kj->j", cuts.coef, ev.class_sum[:, cuts.piece_period])
    lhs = cuts.piece_to_cut() @ use + cuts.supply @ z
    violation = np.maximum(lhs - cuts.rhs, 0.0)
    scale = max(1.0, float(np.abs(z).max(initial=0.0)), float(np.abs(ev.class_sum).max(initial=0.0)))
    return np.concatenate([np.abs(balance), violation]), scale
