"""A naive dense LinDist3Flow: every equation (B1)-(B3) written out and solved with numpy.

Independent of tempp_core's kernels and of tempp_core.network.feeder.lindist: the M^P, M^Q entries
are written here entry by entry from model.md.
"""
from __future__ import annotations

import numpy as np

S3 = np.sqrt(3.0)


def m_matrices(r: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M^P and M^Q of one line from its 3x3 r and x (model.md, row by row)."""
    MP = np.array([
        [-2 * r[0, 0], r[0, 1] - S3 * x[0, 1], r[0, 2] + S3 * x[0, 2]],
        [r[1, 0] + S3 * x[1, 0], -2 * r[1, 1], r[1, 2] - S3 * x[1, 2]],
        [r[2, 0] - S3 * x[2, 0], r[2, 1] + S3 * x[2, 1], -2 * r[2, 2]],
    ])
    MQ = np.array([
        [-2 * x[0, 0], x[0, 1] + S3 * r[0, 1], x[0, 2] - S3 * r[0, 2]],
        [x[1, 0] - S3 * r[1, 0], -2 * x[1, 1], x[1, 2] + S3 * r[1, 2]],
        [x[2, 0] + S3 * r[2, 0], x[2, 1] - S3 * r[2, 1], -2 * x[2, 2]],
    ])
    return MP, MQ


def dense_power_flow(n_bus, line_from, line_to, r, x, ratio, bus_phases, line_phases, v_swing, p, q):
    """Solve LinDist3Flow for one snapshot by a dense linear solve.

    Buses 0..n-1 with bus 0 the swing; ``line_from``/``line_to`` oriented away from bus 0.
    Unknowns (all phases, absent ones forced to zero / carried through): P, Q per line and
    phase, v per bus and phase. Returns v2 (n_bus, 3), P, Q (n_line, 3).
    """
    n_line = len(line_from)
    nP, nQ, nV = 3 * n_line, 3 * n_line, 3 * n_bus
    N = nP + nQ + nV
    A = np.zeros((N, N))
    b = np.zeros(N)
    Pi = lambda l, f: 3 * l + f
    Qi = lambda l, f: nP + 3 * l + f
    Vi = lambda j, f: nP + nQ + 3 * j + f
    feeding = {int(t): l for l, t in enumerate(line_to)}
    row = 0
    for l in range(n_line):
        j = int(line_to[l])
        for f in range(3):
            # P_l - sum over lines leaving j - p_j = 0 (zero when the phase is absent)
            A[row, Pi(l, f)] = 1.0
            A[row + 1, Qi(l, f)] = 1.0
            if line_phases[l][f]:
                for k in range(n_line):
                    if int(line_from[k]) == j:
                        A[row, Pi(k, f)] -= 1.0
                        A[row + 1, Qi(k, f)] -= 1.0
                b[row] = p[j, f]
                b[row + 1] = q[j, f]
            row += 2
    for f in range(3):
        A[row, Vi(0, f)] = 1.0
        b[row] = v_swing[f] ** 2
        row += 1
    for j in range(1, n_bus):
        l = feeding[j]
        i = int(line_from[l])
        MP, MQ = m_matrices(r[l], x[l])
        for f in range(3):
            A[row, Vi(j, f)] = 1.0
            A[row, Vi(i, f)] = -ratio[l, f] ** 2
            if bus_phases[j][f]:
                for g in range(3):
                    if line_phases[l][g]:
                        A[row, Pi(l, g)] -= MP[f, g]
                        A[row, Qi(l, g)] -= MQ[f, g]
            row += 1
    sol = np.linalg.solve(A, b)
    return sol[nP + nQ:].reshape(n_bus, 3), sol[:nP].reshape(n_line, 3), sol[nP:nP + nQ].reshape(n_line, 3)
