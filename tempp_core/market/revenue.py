"""The concave revenue of personalized prices, kept linear by tangent cuts.

The load aggregator earns ``f(p) = alpha p - 2 beta p^2`` from a customer consuming p kW in
one period (price alpha - 2 beta p times p). An LP maximizes an epigraph variable r with
``r <= f(p0) + f'(p0) (p - p0)`` for tangent points p0 (an outer approximation of the
concave f); after each solve a tangent is added at the current p wherever ``r - f(p)``
exceeds the tolerance, until none does. Shared by the master and the centralized solver.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..lp import LinearProgram, LPStatus

#: Default tolerance on r - f(p) for each customer-period, $.
REVENUE_TOL = 1e-8


def revenue(alpha, beta, p_kw):
    """f(p) = alpha p - 2 beta p^2, $ for one hour."""
    return alpha * p_kw - 2.0 * beta * p_kw**2


def tangent_rows(n_cols: int, p_cols: np.ndarray, r_cols: np.ndarray, alpha: np.ndarray, beta: np.ndarray,
                 p0: np.ndarray):
    """Rows ``r - f'(p0) p <= f(p0) - f'(p0) p0`` for each (p_col, r_col, p0), as (A, lower, upper)."""
    slope = alpha - 4.0 * beta * p0
    k = p_cols.size
    rows = np.repeat(np.arange(k), 2)
    cols = np.column_stack([r_cols, p_cols]).ravel()
    vals = np.column_stack([np.ones(k), -slope]).ravel()
    A = sp.csr_matrix((vals, (rows, cols)), shape=(k, n_cols))
    upper = revenue(alpha, beta, p0) - slope * p0
    return A, np.full(k, -np.inf), upper


def add_tangents(lp: LinearProgram, p_cols, r_cols, alpha, beta, p0) -> int:
    """Add tangents at points p0 (arrays of equal length); returns how many."""
    A, lower, upper = tangent_rows(lp.n_cols, p_cols, r_cols, alpha, beta, p0)
    lp.add_rows(A, lower, upper)
    return p_cols.size


def initial_tangents(lp: LinearProgram, p_cols, r_cols, alpha, beta, lo, hi) -> int:
    """Tangents at both ends and the middle of each customer-period interval."""
    n = 0
    for p0 in (lo, hi, 0.5 * (lo + hi)):
        n += add_tangents(lp, p_cols, r_cols, alpha, beta, p0)
    return n


def refine_revenue(lp: LinearProgram, p_cols, r_cols, alpha, beta, tol: float = REVENUE_TOL) -> int:
    """After an optimal solve: add a tangent at the current p wherever r - f(p) > tol.

    Returns the number of tangents added (0: the LP optimum is the concave optimum).
    """
    x = lp.x
    p = x[p_cols]
    gap = x[r_cols] - revenue(alpha, beta, p)
    sel = np.flatnonzero(gap > tol)
    if sel.size:
        add_tangents(lp, p_cols[sel], r_cols[sel], alpha[sel], beta[sel], p[sel])
    return sel.size


def solve_refined(lp: LinearProgram, p_cols, r_cols, alpha, beta, tol: float = REVENUE_TOL,
                  max_rounds: int = 200) -> tuple[LPStatus, int]:
    """Solve and refine tangents until the revenue is exact; returns (status, rounds).

    Stops early when a round no longer moves the objective (the remaining gap is below
    what the LP solver's own tolerances can resolve)."""
    previous = np.inf
    for rounds in range(1, max_rounds + 1):
        status = lp.solve()
        if status is not LPStatus.OPTIMAL:
            return status, rounds
        objective = lp.objective
        stalled = abs(previous - objective) <= 1e-13 * max(1.0, abs(objective))
        if stalled or refine_revenue(lp, p_cols, r_cols, alpha, beta, tol) == 0:
            return status, rounds
        previous = objective
    return status, max_rounds
