"""The slack problem (A5)-(A6) solved as an LP with HiGHS, beside its closed form.

TEMO measures the violation of the proposal with ``min sum(eps) s.t. u_l - eps_l <= 0,
eps >= 0``. Without TEMO-owned controls its optimum has the closed form of
:func:`tempp_core.network.temo.limits.assess`; the LP is kept so that controls can enter as
variables, and tests check that both agree.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ...errors import SolverError


def solve_slack_lp(u: np.ndarray) -> tuple[float, np.ndarray]:
    """Solve (A5)-(A6) for constraint values ``u`` (any shape; -inf entries are absent).

    Returns
    -------
    E : float
        Optimal total violation E* (= Φ* by strong duality).
    y : ndarray, shape of ``u``
        Optimal dual of each row ``u_l - eps_l <= 0`` as the weight ``y_l = dE/du_l`` in
        [0, 1] of the dual (A9)-(A10); 0 for absent constraints.
    """
    u = np.asarray(u, dtype=np.float64)
    flat = u.ravel()
    live = np.flatnonzero(np.isfinite(flat))
    n = live.size
    y = np.zeros(flat.size)
    if n == 0:
        return 0.0, y.reshape(u.shape)
    # Rows: -eps_l <= -u_l. Columns: eps_l >= 0.
    res = linprog(np.ones(n), A_ub=-sp.identity(n, format="csr"), b_ub=-flat[live],
                  bounds=(0, None), method="highs")
    if res.status != 0:
        raise SolverError(f"slack LP failed: {res.message}")
    # HiGHS marginals are d(objective)/d(b_ub); b_ub = -u, so dE/du = -marginal.
    y[live] = -res.ineqlin.marginals
    return float(res.fun), y.reshape(u.shape)
