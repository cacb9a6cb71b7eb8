"""The appendix's (B8)-(B14) written out bus by bus, phase by phase (slow; for tests only).

Interpretation (as in docs/sensitivities.md): the children of the injection bus j head
"generalized nodes" (their whole subtrees); alpha_k of child k applies to all of branch k;
M^eq_{j->i} is the sum of M over the lines from j to i; buses neither above nor below j get 0.
"""
from __future__ import annotations

import numpy as np


def _ancestors(parent, j):
    out = []
    while parent[j] >= 0:
        j = parent[j]
        out.append(j)
    return out


def paper_matrix_naive(feeder, alpha):
    """Dense S (rows [v2, P, Q], columns [p, q] as net *load*), from (B8)-(B14)."""
    n, nl = feeder.n_bus, feeder.n_line
    parent = feeder.parent
    n3, l3 = 3 * n, 3 * nl
    S = np.zeros((n3 + 2 * l3, 2 * n3))
    ancestors = [_ancestors(parent, j) for j in range(n)]
    for j in range(1, n):
        kids = [k for k in range(n) if parent[k] == j]
        below = [i for i in range(n) if j in ancestors[i]]
        for f2 in range(3):
            if not feeder.bus_phases[j, f2]:
                continue
            a_sum = sum(alpha[k - 1, f2] for k in kids if feeder.line_phases[k - 1, f2])
            for kind, M, flow_row in ((0, feeder.MP, n3), (1, feeder.MQ, n3 + l3)):
                col = np.zeros(n3 + 2 * l3)
                Mj = M[j - 1]
                for f1 in range(3):
                    if feeder.bus_phases[j, f1]:
                        col[3 * j + f1] = -Mj[f2, f1]                                   # (B8)
                for i in below:                                                          # (B9)
                    path = [i] + [a for a in ancestors[i] if j in ancestors[a]]          # buses j<..<=i
                    k = path[-1]
                    # a branch without phase f2 carries none of the injection: alpha = 0
                    a_k = alpha[k - 1, f2] if feeder.line_phases[k - 1, f2] else 0.0
                    Meq = sum(M[b - 1] for b in path)
                    for f1 in range(3):
                        if feeder.bus_phases[i, f1]:
                            col[3 * i + f1] = -Mj[f2, f1] + a_k * Meq[f2, f1]
                for i in ancestors[j]:                                                   # (B10), (B11)
                    if i == 0:
                        continue
                    for f1 in range(3):
                        if feeder.bus_phases[i, f1]:
                            col[3 * i + f1] = -M[i - 1][f2, f1]
                for b in below:                                                          # (B12)
                    k = ([b] + [a for a in ancestors[b] if j in ancestors[a]])[-1]
                    if feeder.line_phases[b - 1, f2] and feeder.line_phases[k - 1, f2]:
                        col[flow_row + 3 * (b - 1) + f2] = alpha[k - 1, f2]
                for b in [j] + ancestors[j][:-1]:                                        # (B13)
                    col[flow_row + 3 * (b - 1) + f2] = a_sum - 1.0
                S[:, kind * n3 + 3 * j + f2] = -col                                      # load = -injection
    return S
