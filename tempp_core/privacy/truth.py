"""The network model the market must not learn, as the market would see it: every safety
constraint's row of sensitivities to the participants' transactions.

Only the audit computes this (it runs both sides). A constraint ``s * state_l <= limit``
(``s = +1`` for an upper limit, ``-1`` for a lower one) moves with the transactions as
``s * dstate_l/dx``: a row over the participant rows of the transaction layout (per kW, the
same in every period). An exact per-constraint cut is that row scaled so that its largest
|coefficient| is 1, which is how rows are normalised here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..case import Case
from ..network.physics.sensitivity import Sensitivity
from ..network.temo import Temo
from ..network.temo.limits import KINDS, SafetyLimits, constraint_values
from ..options import LoadMode

#: Rows equal to this (max-abs difference, normalised) are one row.
SAME_ROW = 1e-9


@dataclass(frozen=True, eq=False)
class TrueRows:
    """Every safety constraint's normalised sensitivity row over the participants.

    Attributes
    ----------
    rows : ndarray (n_constraint, n_participant_rows)
        ``s * dstate/dx`` divided by its largest |entry| (dimensionless); zero columns for
        the MG and for participants held fixed.
    scale : ndarray (n_constraint,)
        That largest |entry|, p.u. of state per kW.
    rhs : ndarray (n_constraint,)
        The right-hand side of the constraint in the row's scale: ``row . x_t <= rhs`` is
        the constraint itself (what an exact per-constraint cut says), kW.
    kind, element, phase : int ndarray (n_constraint,)
        :data:`~tempp_core.network.temo.limits.KINDS` index, bus (voltage) or line (flow), phase.
    distinct : int ndarray (n_constraint,)
        Label of each row among the distinct rows (0..n_distinct-1).
    """

    rows: np.ndarray
    scale: np.ndarray
    rhs: np.ndarray
    kind: np.ndarray
    element: np.ndarray
    phase: np.ndarray
    distinct: np.ndarray

    @classmethod
    def of(cls, case: Case, loads: LoadMode | str = LoadMode.JOINT) -> "TrueRows":
        """The rows of every constraint of ``case`` that some participant can move.

        Uses :meth:`~tempp_core.network.physics.sensitivity.Sensitivity.matrix` (small and
        medium feeders only).
        """
        f = case.feeder
        S = Sensitivity(f).matrix()
        n3 = f.n_bus * 3
        inj = case.injections
        Sx = np.asarray((S[:, :n3] @ inj.Gp + S[:, n3:] @ inj.Gq).todense())
        if LoadMode(loads) is LoadMode.FIXED:
            Sx[:, case.market.layout().customer_rows] = 0.0
        lim = SafetyLimits.of(f)
        # u(x) = u(0) + s dstate/dx . x: the constant part is the state with no transactions.
        at_zero = Temo(f, inj).state(np.zeros(case.market.layout().size))
        u0 = [u[:, 0, :].ravel() for u in constraint_values(lim, at_zero.v2, at_zero.P, at_zero.Q)]
        # State rows of S: v2 (bus, phase), P (line, phase), Q (line, phase), each row-major.
        n_v, n_l = f.n_bus * 3, f.n_line * 3
        exists = [np.isfinite(lim.v2_hi[:, 0]).ravel(), np.isfinite(lim.v2_lo[:, 0]).ravel(),
                  np.isfinite(lim.p_max[:, 0]).ravel(), np.isfinite(lim.p_max[:, 0]).ravel(),
                  np.isfinite(lim.q_max[:, 0]).ravel(), np.isfinite(lim.q_max[:, 0]).ravel()]
        offset = [0, 0, n_v, n_v, n_v + n_l, n_v + n_l]
        parts = []
        for k, on in enumerate(exists):
            flat = np.flatnonzero(on)
            sign = 1.0 if k % 2 == 0 else -1.0
            parts.append((sign * Sx[offset[k] + flat], -u0[k][flat], np.full(flat.size, k), flat // 3, flat % 3))
        rows, room, kind, element, phase = (np.concatenate(c) for c in zip(*parts))
        scale = np.abs(rows).max(axis=1)
        moved = scale > 0
        rows, scale = rows[moved] / scale[moved, None], scale[moved]
        _, distinct = np.unique(np.round(rows / SAME_ROW), axis=0, return_inverse=True)
        return cls(rows, scale, room[moved] / scale, kind[moved], element[moved], phase[moved], distinct.ravel())

    @property
    def n_distinct(self) -> int:
        return int(self.distinct.max()) + 1 if self.distinct.size else 0

    @property
    def is_flow(self) -> np.ndarray:
        """Flow-limit constraints (P or Q), whose support is the set of participants below the line."""
        return self.kind >= KINDS.index("P_max")

    def representatives(self) -> np.ndarray:
        """One row per distinct row, (n_distinct, n_participant_rows), in label order."""
        first = np.unique(self.distinct, return_index=True)[1]
        return self.rows[first]
