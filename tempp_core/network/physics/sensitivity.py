"""Exact LinDist3Flow sensitivities: the linear map from net loads to (v2, P, Q) and its
adjoint, both by tree sweeps (no matrix is formed unless :meth:`Sensitivity.matrix` is asked).

Because LinDist3Flow is linear, ``state(p + dp) = state(p) + S dp`` exactly; ``forward``
applies ``S`` and ``adjoint`` applies ``S^T`` (what a Benders cut gradient ``S^T y`` needs).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..feeder import Feeder
from ..kernels.sweeps import adjoint_voltage_sweep, flow_sweep, path_sum_sweep, voltage_sweep
from .layout import as_bus_major, to_public
from .power_flow import PowerFlowBuffers

#: Above this many buses :meth:`Sensitivity.matrix` refuses (it is dense in v2 rows).
MATRIX_MAX_BUSES = 3000


@dataclass(frozen=True, eq=False)
class AdjointBuffers:
    """Bus-major buffers of :meth:`Sensitivity.adjoint`: ``lam`` (work), ``g_p``, ``g_q``,
    each (n_bus, B, 3)."""

    lam: np.ndarray
    g_p: np.ndarray
    g_q: np.ndarray

    @classmethod
    def allocate(cls, feeder: Feeder, batch_size: int) -> "AdjointBuffers":
        return cls(*(np.full((feeder.n_bus, batch_size, 3), 0.0) for _ in range(3)))


class Sensitivity:
    """Exact sensitivities of (v2, P, Q) to net loads (p, q) on one feeder.

    Parameters
    ----------
    feeder : Feeder

    Notes
    -----
    Shapes follow :func:`tempp_core.power_flow`: loads and gradients (..., n_bus, 3),
    voltages (..., n_bus, 3), flows (..., n_line, 3). Absent phases carry zeros. The swing
    bus's load does not enter (the swing supplies the balance) and its voltage is fixed.
    """

    def __init__(self, feeder: Feeder) -> None:
        self.feeder = feeder

    def forward(self, dp, dq, *, out: PowerFlowBuffers | None = None):
        """``(dv2, dP, dQ) = S (dp, dq)``, p.u., by the same two sweeps as the power flow."""
        f = self.feeder
        p_bm, batch = as_bus_major(dp, f.n_bus, "dp")
        q_bm, _ = as_bus_major(dq, f.n_bus, "dq", batch)
        out = out or PowerFlowBuffers.allocate(f, p_bm.shape[1])
        flow_sweep(f.child_ptr, f.child, f.bus_phases, p_bm, q_bm, np.zeros((f.n_bus, 3)), out.P, out.Q)
        zero_root = np.zeros((p_bm.shape[1], 3))
        voltage_sweep(f.parent, f.bus_phases, f.ratio2, f.MP, f.MQ, zero_root, out.P, out.Q,
                      out.v2, out.vm, False)
        return to_public(out.v2, batch), to_public(out.P, batch), to_public(out.Q, batch)

    def adjoint(self, y_v2, y_P, y_Q, *, out: AdjointBuffers | None = None):
        """``(g_p, g_q) = S^T (y_v2, y_P, y_Q)``: gradients of ``y . state`` w.r.t. net loads.

        Parameters
        ----------
        y_v2 : array (..., n_bus, 3)
            Weights on squared voltages.
        y_P, y_Q : array (..., n_line, 3)
            Weights on line flows.
        out : AdjointBuffers, optional
            Reused buffers; the results are views of them.

        Returns
        -------
        g_p, g_q : ndarray (..., n_bus, 3)
            Per p.u. of net load (consumption positive).
        """
        f = self.feeder
        yv, batch = as_bus_major(y_v2, f.n_bus, "y_v2")
        yP, _ = as_bus_major(y_P, f.n_line, "y_P", batch)
        yQ, _ = as_bus_major(y_Q, f.n_line, "y_Q", batch)
        out = self.adjoint_bus_major(yv, yP, yQ, out)
        return to_public(out.g_p, batch), to_public(out.g_q, batch)

    def adjoint_bus_major(self, y_v2, y_P, y_Q, out: AdjointBuffers | None = None) -> AdjointBuffers:
        """:meth:`adjoint` on bus-major arrays (n, B, 3), for callers that repeat it."""
        f = self.feeder
        out = out or AdjointBuffers.allocate(f, y_v2.shape[1])
        adjoint_voltage_sweep(f.child_ptr, f.child, f.bus_phases, f.ratio2, f.MP, f.MQ,
                              y_v2, y_P, y_Q, out.lam, out.g_p, out.g_q)
        path_sum_sweep(f.parent, f.bus_phases, out.g_p, out.g_q)
        return out

    def matrix(self) -> sp.csr_matrix:
        """``S`` as a sparse matrix, for small feeders.

        Rows: ``[v2 (n_bus*3), P (n_line*3), Q (n_line*3)]``; columns ``[p (n_bus*3),
        q (n_bus*3)]``; each block flattened (element, phase) in row-major order.
        Built column by column with :meth:`forward` on an identity batch.
        """
        f = self.feeder
        if f.n_bus > MATRIX_MAX_BUSES:
            raise ValueError(
                f"matrix() forms S with {f.n_bus * 3} dense voltage rows; refused above "
                f"{MATRIX_MAX_BUSES} buses. Use forward()/adjoint() sweeps instead."
            )
        n3 = f.n_bus * 3
        eye = np.eye(n3).reshape(n3, f.n_bus, 3)
        zero = np.zeros_like(eye)
        blocks = []
        for dp, dq in ((eye, zero), (zero, eye)):
            dv, dP, dQ = self.forward(dp, dq)
            blocks.append(np.concatenate([dv.reshape(n3, -1), dP.reshape(n3, -1), dQ.reshape(n3, -1)], axis=1).T)
        return sp.csr_matrix(np.hstack(blocks))


def sensitivity(feeder: Feeder) -> Sensitivity:
    """Exact sensitivities of ``feeder`` (see :class:`Sensitivity`)."""
    return Sensitivity(feeder)
