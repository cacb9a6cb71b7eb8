"""LinDist3Flow as explicit rows, for the centralized reference (A1)-(A4).

Every period has the same rows over its own network columns ``w_t``: ``v2`` (n_bus*3), ``P``
(n_line*3), ``Q`` (n_line*3), each flattened (element, phase), and its own transactions
``x_t`` (kW, one per participant row of the layout):

- active balance (B1):   ``P_l - sum_children P_c - p_{l+1}(x_t) = 0``
- reactive balance (B2): ``Q_l - sum_children Q_c - q_{l+1}(x_t) = -q_cap_{l+1}`` (the
  feeder's fixed capacitors, at nominal voltage)
- voltage (model.md):    ``v_j - ratio_j^2 v_parent - M^P_l P_l - M^Q_l Q_l = 0``

and the safety limits (A4) are bounds on ``w_t``. Built from sparse blocks (no loop over
buses). :class:`ExplicitNetwork` solves the rows for ``w_t``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ..messages import FeasibilityCut
from .feeder import Feeder
from .placement import InjectionMap
from .temo.limits import SafetyLimits

#: Coefficients of a limit row smaller than this fraction of its largest are dropped.
RELATIVE_DROP = 1e-12
#: Violated limit rows considered per period and round (the most violated).
CANDIDATES = 64
#: A limit row is taken in a round if its gradient keeps this fraction of its norm outside
#: the span of the rows taken before it.
INDEPENDENT = 1e-3


@dataclass(frozen=True, eq=False)
class NetworkBlock:
    """The explicit rows of one period, ``A_net w_t + A_x x_t = rhs``, ``col_lower <= w_t <= col_upper``.

    Attributes
    ----------
    A_x : csr_matrix (n_rows, n_participant_rows)
        Coefficients on the period's transactions (kW), participants in layout order.
    A_net : csr_matrix (n_rows, n_cols)
        Coefficients on the network columns.
    rhs : ndarray (n_rows,)
    col_lower, col_upper : ndarray (n_cols,)
        Bounds of the network columns: the safety limits, and the swing bus's squared
        voltage held (its three columns come first).
    """

    A_x: sp.csr_matrix
    A_net: sp.csr_matrix
    rhs: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    n_bus: int
    n_line: int

    def unpack(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split network columns (T, n_cols) into bus-major (v2, P, Q) arrays (n, T, 3)."""
        T = values.shape[0]
        nb, nl = self.n_bus * 3, self.n_line * 3
        v2 = values[:, :nb].reshape(T, self.n_bus, 3)
        P = values[:, nb:nb + nl].reshape(T, self.n_line, 3)
        Q = values[:, nb + nl:].reshape(T, self.n_line, 3)
        return tuple(np.ascontiguousarray(a.transpose(1, 0, 2)) for a in (v2, P, Q))


def network_block(feeder: Feeder, injections: InjectionMap) -> NetworkBlock:
    """Assemble the explicit LinDist3Flow rows of one period."""
    nb, nl = feeder.n_bus, feeder.n_line
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
    A_net = sp.bmat([
        [zero_v, balance, zero_l],
        [zero_v, zero_l, balance],
        [v_rows, -MP, -MQ],
    ], format="csr")
    # -p_{l+1}(x_t) and -q_{l+1}(x_t) in the balance rows (bus 0, the swing, has none).
    A_x = sp.vstack([-injections.Gp[3:], -injections.Gq[3:], sp.csr_matrix((3 * nl, injections.Gp.shape[1]))],
                    format="csr")
    lower, upper = _bounds(feeder, SafetyLimits.of(feeder))
    rhs = np.zeros(A_net.shape[0])
    rhs[3 * nl:6 * nl] = -feeder.cap_q_pu[1:].ravel()
    return NetworkBlock(A_x, A_net, rhs, lower, upper, nb, nl)


@dataclass(frozen=True)
class LimitRows:
    """Safety limits (bounds of network columns) taken as rows over the transactions.

    Attributes
    ----------
    period, column : int ndarrays (k,)
        The network column ``w_t[column]`` in period ``period``.
    sign : ndarray (k,)
        +1 for its upper bound, -1 for its lower bound.
    """

    period: np.ndarray
    column: np.ndarray
    sign: np.ndarray

    @classmethod
    def none(cls) -> "LimitRows":
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))

    @property
    def size(self) -> int:
        return self.period.size

    def __add__(self, other: "LimitRows") -> "LimitRows":
        return LimitRows(*(np.concatenate([getattr(self, a), getattr(other, a)]) for a in ("period", "column", "sign")))

    def without(self, other: "LimitRows") -> "LimitRows":
        """These rows less those in ``other``."""
        new = ~np.isin(self._key(), other._key())
        return LimitRows(self.period[new], self.column[new], self.sign[new])

    def _key(self) -> np.ndarray:
        return (self.period.astype(np.int64) << 33) | (self.column.astype(np.int64) << 1) | (self.sign > 0)


class ExplicitNetwork:
    """The explicit rows solved for the network columns.

    With the swing bus's squared voltage held, each period's rows are square in the other
    columns and nonsingular (a radial feeder: flows follow from the loads, voltages from the
    root), so ``w_t = M^-1 (rhs' - A_x x_t)`` is linear in the transactions. Factored once
    (sparse LU), this gives the state at any transactions, the safety limits as exact rows
    over the transactions, and the explicit rows' duals from the limits' multipliers.

    Parameters
    ----------
    feeder : Feeder
    injections : InjectionMap
    """

    def __init__(self, feeder: Feeder, injections: InjectionMap) -> None:
        self.block = block = network_block(feeder, injections)
        self.layout = injections.layout
        A = block.A_net.tocsc()
        held = block.col_lower[:3]
        self._lu = splu(A[:, 3:].tocsc())
        self._rhs = block.rhs - A[:, :3] @ held
        self._held = held
        # Gram operator of the rows' gradients over the transactions: <g_i, g_j> = z_i' A_x A_x' z_j.
        self._gram = (block.A_x @ block.A_x.T).tocsr()

    def columns(self, x_kw: np.ndarray) -> np.ndarray:
        """Every network column at transactions ``x_kw`` (layout.size,): (T, n_cols)."""
        X = self.layout.by_participant(x_kw)
        free = self._lu.solve(self._rhs[:, None] - self.block.A_x @ X)
        return np.hstack([np.broadcast_to(self._held, (free.shape[1], 3)), free.T])

    def violated(self, values: np.ndarray, tol: float) -> LimitRows:
        """The limits that ``values`` (T, n_cols) exceed by more than ``tol``."""
        b = self.block
        t_hi, c_hi = np.nonzero(values[:, 3:] > b.col_upper[3:] + tol)
        t_lo, c_lo = np.nonzero(values[:, 3:] < b.col_lower[3:] - tol)
        return LimitRows(np.concatenate([t_hi, t_lo]), np.concatenate([c_hi, c_lo]) + 3,
                         np.concatenate([np.ones(t_hi.size), -np.ones(t_lo.size)]))

    def cuts(self, limits: LimitRows, values: np.ndarray,
             x_kw: np.ndarray) -> tuple[LimitRows, list[FeasibilityCut], np.ndarray]:
        """Violated ``limits`` as rows over the transactions, ``sign * w_t[column](x) <= sign * bound``.

        Of each period's :data:`CANDIDATES` most violated rows, those linearly independent are
        taken (greedily, by violation): a row (nearly) a combination of those taken, such as
        the voltage of a leaf bus without load and of its parent, is left for a later round,
        where it is violated only if it still matters. Dependent rows would make the market's
        dual Newton steps singular. ``values`` are the network columns at ``x_kw``. Each row is
        divided by its largest coefficient (returned as the scale; 1 for a row no transaction
        moves), as TEMO's cuts are, so that the master sees well-scaled rows.

        Returns
        -------
        taken : LimitRows
        cuts : list of FeasibilityCut
        scale : ndarray (taken.size,)
        """
        b, T = self.block, self.layout.n_periods
        bound = np.where(limits.sign > 0, b.col_upper[limits.column], -b.col_lower[limits.column])
        excess = limits.sign * values[limits.period, limits.column] - bound
        X = self.layout.by_participant(x_kw)
        taken, cuts, scales = [], [], []
        for t in np.unique(limits.period):
            rows = np.flatnonzero(limits.period == t)
            rows = rows[np.argsort(-excess[rows], kind="stable")][:CANDIDATES]
            # d(sign * w[column]) / d x_t = -(M^-T sign e)' A_x: one transposed solve per period.
            unit = np.zeros((self._lu.shape[0], rows.size))
            unit[limits.column[rows] - 3, np.arange(rows.size)] = limits.sign[rows]
            adjoint = self._lu.solve(unit, trans="T")
            chosen = _independent(adjoint, self._gram)
            rows = rows[chosen]
            gradient = -(b.A_x.T @ adjoint[:, chosen])
            rhs = gradient.T @ X[:, t] - excess[rows]
            scale = np.abs(gradient).max(axis=0, initial=0.0)
            scale[scale == 0.0] = 1.0
            for k in range(rows.size):
                on = np.flatnonzero(np.abs(gradient[:, k]) > RELATIVE_DROP * scale[k])
                cuts.append(FeasibilityCut(on * T + t, gradient[on, k] / scale[k], float(rhs[k] / scale[k]), (int(t),)))
            taken.append(rows)
            scales.append(scale)
        keep = np.concatenate(taken)
        return LimitRows(limits.period[keep], limits.column[keep], limits.sign[keep]), cuts, np.concatenate(scales)

    def row_duals(self, limits: LimitRows, multipliers: np.ndarray) -> np.ndarray:
        """The explicit rows' duals (T, n_rows) given each limit's multiplier (>= 0, the gain in
        social objective per unit of its bound): in :mod:`tempp_core.lp`'s convention for the
        minimization of the negative social objective, d(minimum)/d(rhs), which the stationarity
        of the network columns fixes as ``M^-T nu`` (``nu``: signed multipliers)."""
        nu = np.zeros((self._lu.shape[0], self.layout.n_periods))
        if not limits.size:
            return nu.T
        np.add.at(nu, (limits.column - 3, limits.period), limits.sign * multipliers)
        return self._lu.solve(nu, trans="T").T


def _independent(adjoint: np.ndarray, gram: sp.csr_matrix) -> np.ndarray:
    """Positions of the adjoint columns to take, in order: each whose gradient ``-A_x' z`` keeps
    more than :data:`INDEPENDENT` of its norm outside the span of those taken before it (a
    column no transaction moves is always taken)."""
    G = adjoint.T @ (gram @ adjoint)
    chosen: list[int] = []
    for j in range(G.shape[0]):
        residual = G[j, j]
        if chosen:
            g = G[chosen, j]
            residual -= g @ np.linalg.lstsq(G[np.ix_(chosen, chosen)], g, rcond=None)[0]
        if G[j, j] == 0.0 or residual > INDEPENDENT**2 * G[j, j]:
            chosen.append(j)
    return np.array(chosen, dtype=np.int64)


def _block_diagonal(blocks: np.ndarray) -> sp.csr_matrix:
    """Block-diagonal sparse matrix of (n, 3, 3) blocks."""
    n = blocks.shape[0]
    return sp.bsr_matrix((blocks, np.arange(n), np.arange(n + 1)), shape=(3 * n, 3 * n)).tocsr()


def _bounds(feeder: Feeder, limits: SafetyLimits) -> tuple[np.ndarray, np.ndarray]:
    lo_v = limits.v2_lo[:, 0, :].ravel().copy()
    hi_v = limits.v2_hi[:, 0, :].ravel().copy()
    lo_v[:3] = hi_v[:3] = feeder.v_swing_pu**2
    p_max = limits.p_max[:, 0, :].ravel()
    q_max = limits.q_max[:, 0, :].ravel()
    return np.concatenate([lo_v, -p_max, -q_max]), np.concatenate([hi_v, p_max, q_max])
