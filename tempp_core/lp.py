"""A thin wrapper over HiGHS (highspy) for a live LP that grows by rows and columns, and
small dense-Hessian QPs (HiGHS, or Clarabel's interior point where HiGHS's QP solver fails).

Sense: **minimize** ``c . x`` subject to ``row_lower <= A x <= row_upper`` and
``col_lower <= x <= col_upper``.

Dual sign convention (checked by finite differences in tests/test_lp.py): after an optimal
solve, ``row_duals[i]`` is d(optimal objective)/d(bound of row i that is active) — moving
an active bound by +delta changes the minimum by ``row_duals[i] * delta``. So a binding
``<=`` row has a dual <= 0 and a binding ``>=`` row a dual >= 0; for an equality row it is
the derivative with respect to its right-hand side.

Adding rows keeps HiGHS's basis, so the next :meth:`LinearProgram.solve` is warm (dual
simplex from the previous optimum).
"""
from __future__ import annotations

import enum

import highspy
import numpy as np
import scipy.sparse as sp

from .errors import SolverError

INF = highspy.kHighsInf
#: Primal and dual feasibility tolerance given to HiGHS.
FEASIBILITY_TOL = 1e-9


class LPStatus(enum.Enum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    OTHER = "other"


_STATUS = {
    highspy.HighsModelStatus.kOptimal: LPStatus.OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: LPStatus.INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: LPStatus.UNBOUNDED,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: LPStatus.INFEASIBLE,
}


def _finite(values: np.ndarray) -> np.ndarray:
    """Map +-inf to HiGHS's infinity."""
    out = np.asarray(values, dtype=np.float64).copy()
    out[np.isposinf(out)] = INF
    out[np.isneginf(out)] = -INF
    return out


def _new_highs() -> highspy.Highs:
    """A silent Highs instance. HiGHS prints a banner from C++ when the first instance of a
    process is created, before any option can be set; the file descriptor is muted then."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        import os
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(devnull)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    # Tighter than HiGHS's 1e-7 defaults: cuts work at small scales.
    h.setOptionValue("primal_feasibility_tolerance", FEASIBILITY_TOL)
    h.setOptionValue("dual_feasibility_tolerance", FEASIBILITY_TOL)
    return h


_BANNER_SHOWN = False


class LinearProgram:
    """A minimization LP held live in HiGHS.

    Examples
    --------
    >>> lp = LinearProgram()
    >>> cols = lp.add_columns(cost=[1.0, 2.0], lower=[0, 0], upper=[10, 10])
    >>> rows = lp.add_rows(sp.csr_matrix([[1.0, 1.0]]), lower=[3.0], upper=[np.inf])
    >>> lp.solve()
    <LPStatus.OPTIMAL: 'optimal'>
    >>> float(lp.objective)
    3.0
    """

    def __init__(self) -> None:
        self._h = _new_highs()
        self.n_cols = 0
        self.n_rows = 0
        self._solution = None

    # ------------------------------------------------------------------ building
    def add_columns(self, cost, lower, upper) -> np.ndarray:
        """Add columns in bulk; returns their indices."""
        cost = np.asarray(cost, dtype=np.float64)
        n = cost.size
        lower = np.broadcast_to(_finite(lower), (n,))
        upper = np.broadcast_to(_finite(upper), (n,))
        self._h.addCols(n, cost, lower, upper, 0, np.zeros(n, dtype=np.int32),
                        np.zeros(0, dtype=np.int32), np.zeros(0))
        idx = np.arange(self.n_cols, self.n_cols + n)
        self.n_cols += n
        return idx

    def add_rows(self, A, lower, upper) -> np.ndarray:
        """Add rows ``lower <= A x <= upper`` in bulk (A: sparse, n_new x n_cols or fewer
        columns); returns their indices."""
        A = sp.csr_matrix(A)
        n = A.shape[0]
        if A.shape[1] > self.n_cols:
            raise ValueError(f"rows have {A.shape[1]} columns but the LP has {self.n_cols}")
        lower = np.broadcast_to(_finite(lower), (n,))
        upper = np.broadcast_to(_finite(upper), (n,))
        if n:
            self._h.addRows(n, lower, upper, A.nnz, A.indptr[:-1].astype(np.int32),
                            A.indices.astype(np.int32), A.data.astype(np.float64))
        idx = np.arange(self.n_rows, self.n_rows + n)
        self.n_rows += n
        return idx

    def set_column_bounds(self, idx, lower, upper) -> None:
        """Change bounds of columns ``idx``."""
        idx = np.asarray(idx, dtype=np.int32)
        n = idx.size
        self._h.changeColsBounds(n, idx, np.broadcast_to(_finite(lower), (n,)).copy(),
                                 np.broadcast_to(_finite(upper), (n,)).copy())

    def set_row_bounds(self, idx, lower, upper) -> None:
        """Change bounds of rows ``idx``."""
        idx = np.asarray(idx, dtype=np.int32)
        n = idx.size
        self._h.changeRowsBounds(n, idx, np.broadcast_to(_finite(lower), (n,)).copy(),
                                 np.broadcast_to(_finite(upper), (n,)).copy())

    # ------------------------------------------------------------------ solving
    def solve(self) -> LPStatus:
        """Solve (warm when the model was solved before); returns the status."""
        self._h.run()
        status = _STATUS.get(self._h.getModelStatus(), LPStatus.OTHER)
        if status is LPStatus.OTHER:
            raise SolverError(f"HiGHS stopped with status {self._h.modelStatusToString(self._h.getModelStatus())}")
        self._solution = self._h.getSolution() if status is LPStatus.OPTIMAL else None
        return status

    def _require(self):
        if self._solution is None:
            raise SolverError("no optimal solution available")
        return self._solution

    @property
    def x(self) -> np.ndarray:
        return np.asarray(self._require().col_value)

    @property
    def row_activity(self) -> np.ndarray:
        return np.asarray(self._require().row_value)

    @property
    def row_duals(self) -> np.ndarray:
        """d(objective)/d(active row bound); see the module docstring."""
        return np.asarray(self._require().row_dual)

    @property
    def col_duals(self) -> np.ndarray:
        return np.asarray(self._require().col_dual)

    @property
    def objective(self) -> float:
        self._require()
        return float(self._h.getInfo().objective_function_value)

    @property
    def simplex_iterations(self) -> int:
        return int(self._h.getInfo().simplex_iteration_count)


def solve_qp(hessian: np.ndarray, cost, lower, upper, A, row_lower, row_upper) -> tuple[LPStatus, np.ndarray, np.ndarray]:
    """Solve ``min 1/2 x' H x + c' x`` s.t. ``row_lower <= A x <= row_upper``, bounds on x.

    Parameters
    ----------
    hessian : ndarray (n_h, n_h)
        Dense, symmetric positive semidefinite, on the first n_h columns (the others enter
        linearly).
    cost, lower, upper : ndarray (n,)
    A : sparse (m, n); row_lower, row_upper : ndarray (m,)

    Returns
    -------
    status : LPStatus
    x : ndarray (n,)
    row_duals : ndarray (m,)
        d(optimal objective)/d(active row bound), as in :class:`LinearProgram`.
    """
    lp = LinearProgram()
    lp.add_columns(cost, lower, upper)
    lp.add_rows(A, row_lower, row_upper)
    n_h, n = hessian.shape[0], lp.n_cols
    lower_triangle = sp.csc_matrix(np.tril(hessian), shape=(n_h, n_h))
    lower_triangle.resize((n, n))
    lp._h.passHessian(n, lower_triangle.nnz, highspy.HessianFormat.kTriangular,
                      lower_triangle.indptr.astype(np.int32), lower_triangle.indices.astype(np.int32),
                      lower_triangle.data.astype(np.float64))
    status = lp.solve()
    if status is not LPStatus.OPTIMAL:
        return status, np.zeros(0), np.zeros(0)
    return status, lp.x, lp.row_duals


def solve_qp_interior(hessian: np.ndarray, cost, lower, upper, A, row_lower, row_upper
                      ) -> tuple[LPStatus, np.ndarray, np.ndarray]:
    """:func:`solve_qp` by Clarabel's interior-point method, same arguments (the Hessian dense
    or sparse), results and dual sign convention. Slower than HiGHS on small QPs but sure-footed where HiGHS's active-set
    QP solver stops with an error (degenerate rows, far-away bounds)."""
    import clarabel

    A = sp.csr_matrix(A)
    n_h, n = hessian.shape[0], A.shape[1]
    lower, upper = np.broadcast_to(lower, (n,)), np.broadcast_to(upper, (n,))
    row_lower, row_upper = np.asarray(row_lower, dtype=np.float64), np.asarray(row_upper, dtype=np.float64)
    upper_triangle = sp.triu(hessian) if sp.issparse(hessian) else np.triu(hessian)
    P = sp.block_diag([sp.csc_matrix(upper_triangle), sp.csc_matrix((n - n_h, n - n_h))], format="csc")
    # Clarabel's form: G x + s = h with s >= 0, i.e. G x <= h: every finite bound one row.
    identity = sp.identity(n, format="csr")
    blocks = [(A, row_upper), (-A, -row_lower), (identity, upper), (-identity, -lower)]
    kept = [np.flatnonzero(np.isfinite(bound)) for _, bound in blocks]
    G = sp.vstack([matrix[rows] for (matrix, _), rows in zip(blocks, kept)], format="csc")
    h = np.concatenate([bound[rows] for (_, bound), rows in zip(blocks, kept)])
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    # tighter than Clarabel's defaults (1e-8): its answers stand in for HiGHS's
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = 1e-10
    solution = clarabel.DefaultSolver(P, np.asarray(cost, dtype=np.float64), G, h,
                                      [clarabel.NonnegativeConeT(h.size)], settings).solve()
    if str(solution.status) not in ("Solved", "AlmostSolved"):
        return LPStatus.OTHER, np.zeros(0), np.zeros(0)
    z = np.asarray(solution.z)
    # d(min)/d(row_upper) = -z of the "<= row_upper" row; d(min)/d(row_lower) = +z of the other.
    duals = np.zeros(A.shape[0])
    duals[kept[0]] -= z[:kept[0].size]
    duals[kept[1]] += z[kept[0].size:kept[0].size + kept[1].size]
    return LPStatus.OPTIMAL, np.asarray(solution.x), duals
