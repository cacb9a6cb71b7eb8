"""Kernel of TEMO's closed-form slack problem: violations and dual weights in one pass."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def assess_kernel(v2, P, Q, v2_lo, v2_hi, p_max, q_max, phi, y_v2, y_P, y_Q):
    """Sum of positive violations per column and the +-1/0 weights of every state entry.

    Parameters
    ----------
    v2 : (n_bus, B, 3); P, Q : (n_line, B, 3)
        State, bus-major, zeros on absent phases.
    v2_lo, v2_hi : (n_bus, 3); p_max, q_max : (n_line, 3)
        Limits, +-inf where a constraint does not exist.
    phi : (B,), y_v2 : (n_bus, B, 3), y_P, y_Q : (n_line, B, 3), written.

    Returns
    -------
    float
        The largest single violation.

    A non-finite state entry (a collapsed power flow) on a constraint that exists counts as
    an infinite violation: never as "no data".
    """
    nb = v2.shape[1]
    worst = 0.0
    for b in range(nb):
        phi[b] = 0.0
    for j in range(v2.shape[0]):
        for b in range(nb):
            for f in range(3):
                hi = v2[j, b, f] - v2_hi[j, f]
                lo = v2_lo[j, f] - v2[j, b, f]
                y = 0.0
                if not np.isfinite(v2[j, b, f]) and np.isfinite(v2_lo[j, f]):
                    phi[b] = np.inf
                    worst = np.inf
                    y = -1.0
                elif hi > 0.0:
                    phi[b] += hi
                    worst = max(worst, hi)
                    y = 1.0
                elif lo > 0.0:
                    phi[b] += lo
                    worst = max(worst, lo)
                    y = -1.0
                y_v2[j, b, f] = y
    for line in range(P.shape[0]):
        for b in range(nb):
            for f in range(3):
                y_P[line, b, f] = _flow_weight(P[line, b, f], p_max[line, f])
                y_Q[line, b, f] = _flow_weight(Q[line, b, f], q_max[line, f])
                over = _excess(P[line, b, f], p_max[line, f])
                over_q = _excess(Q[line, b, f], q_max[line, f])
                phi[b] += over + over_q
                worst = max(worst, max(over, over_q))
    return worst


@njit(cache=True, inline="always")
def _excess(flow, limit):
    """|flow| above its limit; infinite for a non-finite flow on a limited line."""
    if not np.isfinite(flow):
        return np.inf if np.isfinite(limit) else 0.0
    return max(abs(flow) - limit, 0.0)


@njit(cache=True, inline="always")
def _flow_weight(flow, limit):
    """+1 above the upper limit, -1 below the lower, 0 inside."""
    if flow > limit:
        return 1.0
    if flow < -limit:
        return -1.0
    return 0.0
