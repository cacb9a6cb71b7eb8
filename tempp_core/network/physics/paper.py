"""The appendix's "paper" sensitivities: distribution coefficients (B7) and (B8)-(B14).

They are derived by reasoning about how an injection spreads through the feeder, and
differ from the exact LinDist3Flow sensitivities of :mod:`.sensitivity` (see
docs/sensitivities.md for a worked comparison). Implemented faithfully so that their effect
on Benders convergence can be measured (``clear(..., sensitivity='paper')``).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..feeder import Feeder
from ..kernels.paper import distribution_coefficients_kernel, paper_adjoint_kernel
from .layout import as_bus_major, to_public
from .sensitivity import MATRIX_MAX_BUSES


def distribution_coefficients(feeder: Feeder, P) -> np.ndarray:
    """Distribution coefficients alpha (B7) of every line, from line flows.

    For the line feeding bus k, child of bus j: ``alpha = P_jk / sum over j's children of P``
    per phase, so the coefficients of a bus's children sum to 1 on each phase. Where the
    children's flows sum to zero the split is equal; with reverse flow a coefficient can leave
    [0, 1] (the ratio is kept as written).

    Parameters
    ----------
    P : array (..., n_line, 3)
        Line flows, p.u. (NaN or any value on absent phases).

    Returns
    -------
    alpha : ndarray, shape of P (NaN on absent phases)
    """
    P_bm, batch = as_bus_major(np.nan_to_num(np.asarray(P, dtype=np.float64)), feeder.n_line, "P")
    alpha = np.empty(P_bm.shape)
    distribution_coefficients_kernel(feeder.child_ptr, feeder.child, feeder.line_phases,
                                     np.ascontiguousarray(P_bm), alpha)
    return to_public(alpha, batch)


class PaperSensitivity:
    """(B8)-(B14) at given flows, with the interface of :class:`~.sensitivity.Sensitivity`.

    Parameters
    ----------
    feeder : Feeder
    P : array (..., n_line, 3)
        Line flows at the operating point (they set alpha); the batch shape must match the
        weights later given to :meth:`adjoint`.

    Notes
    -----
    The appendix differentiates with respect to a DER *injection*; like the exact mode this
    class returns gradients with respect to net *load* (consumption positive), i.e. the
    negated appendix values. (B14) sets reactive-flow terms of active injections to 0;
    for reactive load (customers' q = p tan(phi)) the same rules are applied with M^Q and
    Q flows (our extension; the appendix covers DERs only).
    """

    def __init__(self, feeder: Feeder, P) -> None:
        self.feeder = feeder
        self.alpha = distribution_coefficients(feeder, P)

    def adjoint(self, y_v2, y_P, y_Q):
        """``(g_p, g_q)``: gradient of ``y . state`` w.r.t. net load by (B8)-(B14), (..., n_bus, 3)."""
        f = self.feeder
        yv, batch = as_bus_major(y_v2, f.n_bus, "y_v2")
        yP, _ = as_bus_major(y_P, f.n_line, "y_P", batch)
        yQ, _ = as_bus_major(y_Q, f.n_line, "y_Q", batch)
        alpha, _ = as_bus_major(self.alpha, f.n_line, "alpha", batch)
        g_p = np.empty(yv.shape)
        g_q = np.empty(yv.shape)
        paper_adjoint_kernel(f.parent, f.child_ptr, f.child, f.bus_phases, f.MP, f.MQ,
                             np.ascontiguousarray(alpha), np.ascontiguousarray(yv), np.ascontiguousarray(yP),
                             np.ascontiguousarray(yQ), g_p, g_q)
        # The kernel works with injections; loads are their negatives.
        return to_public(-g_p, batch), to_public(-g_q, batch)

    def matrix(self) -> sp.csr_matrix:
        """The paper's S (single snapshot), same layout as :meth:`Sensitivity.matrix`."""
        f = self.feeder
        if f.n_bus > MATRIX_MAX_BUSES:
            raise ValueError(f"matrix() refused above {MATRIX_MAX_BUSES} buses; use adjoint()")
        if self.alpha.ndim != 2:
            raise ValueError("matrix() needs the flows of a single snapshot, shape (n_line, 3)")
        n3, l3 = 3 * f.n_bus, 3 * f.n_line
        rows = n3 + 2 * l3
        eye = np.eye(rows)
        y_v2 = eye[:, :n3].reshape(rows, f.n_bus, 3)
        y_P = eye[:, n3:n3 + l3].reshape(rows, f.n_line, 3)
        y_Q = eye[:, n3 + l3:].reshape(rows, f.n_line, 3)
        tiled = PaperSensitivity.__new__(PaperSensitivity)
        tiled.feeder, tiled.alpha = f, np.broadcast_to(self.alpha, (rows,) + self.alpha.shape).copy()
        g_p, g_q = tiled.adjoint(y_v2, y_P, y_Q)
        return sp.csr_matrix(np.hstack([g_p.reshape(rows, n3), g_q.reshape(rows, n3)]))
