"""The concave revenue of personalized prices, kept linear by tangent cuts.

The load aggregator earns ``f(p) = alpha p - 2 beta p^2`` from a customer consuming p kW in
one period (price alpha - 2 beta p times p). An LP maximizes an epigraph variable r with
``r <= f(p0) + f'(p0) (p - p0)`` for tangent points p0 (an outer approximation of the
concave f). After each solve a tangent is added at the current p wherever ``r - f(p)``
exceeds the tolerance (Kelley's cutting plane), and the LP is re-solved warm, until none
does. (A Newton-type extra tangent at the point where marginal revenue meets the LP's
marginal price was tried and measured slower: customers are coupled through their daily
floors and the balance, so that price moves.) Shared by the master and the centralized LP.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..lp import LinearProgram, LPStatus

#: Default tolerance on r - f(p) for each customer-period, relative to max(1 $, |f(p)|).
REVENUE_TOL = 1e-8


def revenue(alpha, beta, p_kw):
    """f(p) = alpha p - 2 beta p^2, $ for one hour."""
    return alpha * p_kw - 2.0 * beta * p_kw**2


class RevenueApproximation:
    """Tangent outer approximation of the revenue of every customer-period in one LP.

    Parameters
    ----------
    lp : LinearProgram
        Holds columns ``p_cols`` (kW) and ``r_cols`` ($), aligned.
    alpha, beta, lo, hi : ndarray, like ``p_cols``
        Utility parameters and bounds of each customer-period.
    tol : float
        Accepted gap r - f(p) per customer-period, relative to max(1 $, |f(p)|) (so that
        aggregated customers, whose revenue is large, are held to the same precision).
    """

    def __init__(self, lp: LinearProgram, p_cols, r_cols, alpha, beta, lo, hi, tol: float = REVENUE_TOL) -> None:
        self.lp, self.p_cols, self.r_cols = lp, np.asarray(p_cols), np.asarray(r_cols)
        self.alpha, self.beta, self.lo, self.hi, self.tol = alpha, beta, lo, hi, tol
        everyone = np.arange(self.p_cols.size)
        for p0 in (lo, hi, 0.5 * (lo + hi)):
            self._add(everyone, p0)

    def _add(self, which: np.ndarray, p0: np.ndarray) -> None:
        """Tangents ``r - f'(p0) p <= f(p0) - f'(p0) p0`` for customer-periods ``which``."""
        a, b = self.alpha[which], self.beta[which]
        slope = a - 4.0 * b * p0
        k = which.size
        rows = np.repeat(np.arange(k), 2)
        cols = np.column_stack([self.r_cols[which], self.p_cols[which]]).ravel()
        vals = np.column_stack([np.ones(k), -slope]).ravel()
        A = sp.csr_matrix((vals, (rows, cols)), shape=(k, self.lp.n_cols))
        self.lp.add_rows(A, -np.inf, revenue(a, b, p0) - slope * p0)

    def refine(self) -> int:
        """After an optimal solve, add tangents where the gap exceeds ``tol``; returns how many
        customer-periods were refined (0: the LP optimum is the concave optimum)."""
        x = self.lp.x
        p = x[self.p_cols]
        f = revenue(self.alpha, self.beta, p)
        sel = np.flatnonzero(x[self.r_cols] - f > self.tol * np.maximum(1.0, np.abs(f)))
        if sel.size:
            self._add(sel, p[sel])
        return sel.size

    def solve(self, max_rounds: int = 100, tol: float | None = None) -> tuple[LPStatus, int]:
        """Solve and refine until the revenue is exact; returns (status, rounds).

        Stops early when a round no longer moves the objective (the remaining gap is below
        what the LP solver's own tolerances can resolve)."""
        if tol is not None:
            self.tol = tol
        previous = np.inf
        status = LPStatus.OTHER
        for rounds in range(1, max_rounds + 1):
            status = self.lp.solve()
            if status is not LPStatus.OPTIMAL:
                return status, rounds
            objective = self.lp.objective
            stalled = abs(previous - objective) <= 1e-13 * max(1.0, abs(objective))
            if stalled or self.refine() == 0:
                return status, rounds
            previous = objective
        return status, max_rounds
