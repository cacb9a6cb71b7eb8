"""LinDist3Flow as explicit LP rows, for the centralized reference (A1)-(A4).

Columns added per period t (period-major blocks): ``v2`` (n_bus*3), ``P`` (n_line*3),
``Q`` (n_line*3), each flattened (element, phase). Rows per period:

- active balance (B1):   ``P_l - sum_children P_c - p_{l+1}(x_t) = 0``
- reactive balance (B2): ``Q_l - sum_children Q_c - q_{l+1}(x_t) = -q_cap_{l+1}`` (the
  feeder's fixed capacitors, at nominal voltage)
- voltage (model.md):    ``v_j - ratio_j^2 v_parent - M^P_l P_l - M^Q_l Q_l = 0``

and the safety limits (A4) are column bounds. Built from sparse blocks for all periods at
once (no loop over buses or periods).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .feeder import Feeder
from .placement import InjectionMap
from .temo.limits import SafetyLimits


@dataclass(frozen=True, eq=False)
class NetworkBlock:
    """Network columns and rows of the centralized LP.

    Attributes
    ----------
    A_x : csr_matrix (n_rows, n_x)
        Coefficients on the transaction vector (kW).
    A_net : csr_matrix (n_rows, n_cols)
        Coefficients on the network columns.
    rhs : ndarray (n_rows,)
        Right-hand side of every row (equalities).
    col_lower, col_upper : ndarray (n_cols,)
        Bounds of the network columns (the safety limits).
    n_cols_per_period : int
    """

    A_x: sp.csr_matrix
    A_net: sp.csr_matrix
    rhs: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    n_cols_per_period: int
    n_bus: int
    n_line: int

    def unpack(self, values: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split solved network columns into bus-major (v2, P, Q) arrays (n, T, 3)."""
        block = values.reshape(T, self.n_cols_per_period)
        nb, nl = self.n_bus * 3, self.n_line * 3
        v2 = block[:, :nb].reshape(T, self.n_bus, 3)
        P = block[:, nb:nb + nl].reshape(T, self.n_line, 3)
        Q = block[:, nb + nl:].reshape(T, self.n_line, 3)
        return tuple(np.ascontiguousarray(a.transpose(1, 0, 2)) for a in (v2, P, Q))


def network_block(feeder: Feeder, injections: InjectionMap, n_periods: int) -> NetworkBlock:
    """Assemble the explicit LinDist3Flow rows for ``n_periods`` periods."""
    nb, nl, T = feeder.n_bus, feeder.n_line, n_periods
    eye3 = sp.identity(3, format="csr")
    # Children-sum operator on lines: (C P)_l = sum of flows on lines leaving bus l+1.
    lines = np.arange(nl)
    up = feeder.parent[1:] - 1  # line feeding the parent of each bus l+1 (-1 at the root)
    has_up = up >= 0
    C = sp.csr_matrix((np.ones(has_up.sum()), (up[has_up], lines[has_up])), shape=(nl, nl))
    balance = sp.kron(sp.identity(nl) - C, eye3, format="csr")
    # Voltage rows for buses 1..n-1: v_j - ratio^2 v_parent - MP P - MQ Q.
    sel = sp.csr_matrix((np.ones(nl), (lines, lines + 1)), shape=(nl, nb))
    par = sp.csr_matrix((np.ones(nl), (lines, feeder.parent[1:])), shape=(nl, nb))
    ratio2 = sp.diags(feeder.ratio2.ravel())
    v_rows = sp.kron(sel, eye3) - ratio2 @ sp.kron(par, eye3)
    MP, MQ = (_block_diagonal(M) for M in (feeder.MP, feeder.MQ))
    zero_v = sp.csr_matrix((3 * nl, 3 * nb))
    zero_l = sp.csr_matrix((3 * nl, 3 * nl))
    per_period = sp.bmat([
        [zero_v, balance, zero_l],
        [zero_v, zero_l, balance],
        [v_rows, -MP, -MQ],
    ], format="csr")
    A_net = sp.kron(sp.identity(T), per_period, format="csr")
    n_rows_t = per_period.shape[0]
    A_x = _coupling(injections, T, nl, n_rows_t)
    lower, upper = _bounds(feeder, SafetyLimits.of(feeder))
    rhs_t = np.zeros(n_rows_t)
    rhs_t[3 * nl:6 * nl] = -feeder.cap_q_pu[1:].ravel()
    return NetworkBlock(A_x, A_net, np.tile(rhs_t, T), np.tile(lower, T), np.tile(upper, T), per_period.shape[1],
                        nb, nl)


def _block_diagonal(blocks: np.ndarray) -> sp.csr_matrix:
    """Block-diagonal sparse matrix of (n, 3, 3) blocks."""
    n = blocks.shape[0]
    return sp.bsr_matrix((blocks, np.arange(n), np.arange(n + 1)), shape=(3 * n, 3 * n)).tocsr()


def _coupling(injections: InjectionMap, T: int, nl: int, n_rows_t: int) -> sp.csr_matrix:
    """-p_{l+1}(x_t) and -q_{l+1}(x_t) in the balance rows of every period."""
    blocks = []
    for offset, G in ((0, injections.Gp), (3 * nl, injections.Gq)):
        g = G[3:].tocoo()  # bus 0 (swing) has no balance row
        r = np.repeat(g.row, T) + offset
        k = np.repeat(g.col, T)
        t = np.tile(np.arange(T), g.nnz)
        blocks.append((t * n_rows_t + r, k * T + t, -np.repeat(g.data, T)))
    rows, cols, vals = (np.concatenate(c) for c in zip(*blocks))
    n_x = injections.layout.size
    return sp.csr_matrix((vals, (rows, cols)), shape=(T * n_rows_t, n_x))


def _bounds(feeder: Feeder, limits: SafetyLimits) -> tuple[np.ndarray, np.ndarray]:
    lo_v = limits.v2_lo[:, 0, :].ravel().copy()
    hi_v = limits.v2_hi[:, 0, :].ravel().copy()
    lo_v[:3] = hi_v[:3] = feeder.v_swing_pu**2
    p_max = limits.p_max[:, 0, :].ravel()
    q_max = limits.q_max[:, 0, :].ravel()
    return np.concatenate([lo_v, -p_max, -q_max]), np.concatenate([hi_v, p_max, q_max])
