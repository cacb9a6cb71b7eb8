"""Kernels of the appendix's sensitivities: distribution coefficients (B7) and the adjoint of
(B8)-(B14), for a batch at once (bus-major (n, B, 3) arrays, see :mod:`.sweeps`)."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def distribution_coefficients_kernel(child_ptr, child, line_phase, P, alpha):
    """alpha of the line feeding each bus k, child of j: P_jk / sum_children P (per phase).

    Where the children's flows on a phase sum to zero the split is equal among the
    children that have the phase. Absent phases get NaN.

    Parameters
    ----------
    line_phase : bool (n_line, 3)
    P : float64 (n_line, B, 3), alpha : float64 (n_line, B, 3) written
    """
    n = child_ptr.size - 1
    nb = P.shape[1]
    for j in range(n):
        lo, hi = child_ptr[j], child_ptr[j + 1]
        for b in range(nb):
            for f in range(3):
                total = 0.0
                count = 0
                for c in range(lo, hi):
                    line = child[c] - 1
                    if line_phase[line, f]:
                        total += P[line, b, f]
                        count += 1
                for c in range(lo, hi):
                    line = child[c] - 1
                    if not line_phase[line, f]:
                        alpha[line, b, f] = np.nan
                    elif total != 0.0:
                        alpha[line, b, f] = P[line, b, f] / total
                    else:
                        alpha[line, b, f] = 1.0 / count


@njit(cache=True)
def _matvec(M, line, y, i, b, out):
    for f in range(3):
        s = 0.0
        for g in range(3):
            s += M[line, f, g] * y[i, b, g]
        out[f] = s


@njit(cache=True)
def paper_adjoint_kernel(parent, child_ptr, child, bus_phase, MP, MQ, alpha, y_v2, y_P, y_Q, g_p, g_q):
    """Gradient of ``y . state`` w.r.t. a +1 *injection* at each bus and phase by (B8)-(B14).

    For an injection on phase f2 at bus j (see docs/sensitivities.md):

    - voltage at j (B8) and in each branch k below j (B9): ``-M_j[f2, :] . y_i`` plus
      ``alpha_k[f2] * M^eq_{j->i}[f2, :] . y_i`` with ``M^eq`` the sum of M over the lines j->i;
    - voltage at each ancestor i (B10): ``-M_{into i}[f2, :] . y_i``; the swing bus (B11) 0;
    - flow on every line of branch k (B12): ``alpha_k[f2] y_P``; on every line of the path
      root->j (B13): ``(sum_k alpha_k[f2] - 1) y_P``; reactive flows (B14): 0.

    ``g_p`` uses M^P and y_P; ``g_q`` (a reactive injection, our extension) the same with M^Q
    and y_Q. Outputs are bus-major (n, B, 3); ``alpha`` is (n_line, B, 3) (NaN = absent).
    """
    n = parent.size
    nb = y_v2.shape[1]
    ysub = np.zeros((n, nb, 3))
    zp = np.zeros((n, nb, 3))
    zq = np.zeros((n, nb, 3))
    psub = np.zeros((n, nb, 3))
    qsub = np.zeros((n, nb, 3))
    tmp = np.zeros(3)
    for j in range(n - 1, 0, -1):
        line = j - 1
        for b in range(nb):
            for f in range(3):
                ysub[j, b, f] = y_v2[j, b, f] if bus_phase[j, f] else 0.0
                psub[j, b, f] = y_P[line, b, f] if bus_phase[j, f] else 0.0
                qsub[j, b, f] = y_Q[line, b, f] if bus_phase[j, f] else 0.0
        for c in range(child_ptr[j], child_ptr[j + 1]):
            k = child[c]
            for b in range(nb):
                for f in range(3):
                    ysub[j, b, f] += ysub[k, b, f]
                    zp[j, b, f] += zp[k, b, f]
                    zq[j, b, f] += zq[k, b, f]
                    psub[j, b, f] += psub[k, b, f]
                    qsub[j, b, f] += qsub[k, b, f]
        for b in range(nb):
            _matvec(MP, line, ysub, j, b, tmp)
            for f in range(3):
                zp[j, b, f] += tmp[f]
            _matvec(MQ, line, ysub, j, b, tmp)
            for f in range(3):
                zq[j, b, f] += tmp[f]
    # Downward: ancestors' voltage terms (B10) and path flow sums (B13), then assemble.
    up_p = np.zeros((n, nb, 3))
    up_q = np.zeros((n, nb, 3))
    path_p = np.zeros((n, nb, 3))
    path_q = np.zeros((n, nb, 3))
    for j in range(1, n):
        i = parent[j]
        line = j - 1
        for b in range(nb):
            if i > 0:
                _matvec(MP, i - 1, y_v2, i, b, tmp)
                for f in range(3):
                    up_p[j, b, f] = up_p[i, b, f] + (tmp[f] if bus_phase[i, f] else 0.0)
                _matvec(MQ, i - 1, y_v2, i, b, tmp)
                for f in range(3):
                    up_q[j, b, f] = up_q[i, b, f] + (tmp[f] if bus_phase[i, f] else 0.0)
            for f in range(3):
                path_p[j, b, f] = path_p[i, b, f] + y_P[line, b, f]
                path_q[j, b, f] = path_q[i, b, f] + y_Q[line, b, f]
    for j in range(n):
        for b in range(nb):
            for f in range(3):
                g_p[j, b, f] = 0.0
                g_q[j, b, f] = 0.0
    for j in range(1, n):
        line = j - 1
        for b in range(nb):
            # own branch: -M_j . (y at j and everything below it)  [(B8) + first part of (B9)]
            _matvec(MP, line, ysub, j, b, tmp)
            for f in range(3):
                g_p[j, b, f] = -tmp[f] - up_p[j, b, f]
            _matvec(MQ, line, ysub, j, b, tmp)
            for f in range(3):
                g_q[j, b, f] = -tmp[f] - up_q[j, b, f]
            for f in range(3):
                alpha_sum = 0.0
                for c in range(child_ptr[j], child_ptr[j + 1]):
                    k = child[c]
                    a = alpha[k - 1, b, f]
                    if a == a:  # not NaN: the child has this phase
                        alpha_sum += a
                        g_p[j, b, f] += a * (zp[k, b, f] + psub[k, b, f])
                        g_q[j, b, f] += a * (zq[k, b, f] + qsub[k, b, f])
                g_p[j, b, f] += (alpha_sum - 1.0) * path_p[j, b, f]
                g_q[j, b, f] += (alpha_sum - 1.0) * path_q[j, b, f]
                if not bus_phase[j, f]:
                    g_p[j, b, f] = 0.0
                    g_q[j, b, f] = 0.0
