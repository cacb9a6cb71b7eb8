"""Tree sweeps of LinDist3Flow and of its adjoint, for a whole batch at once.

Array contract (the public layer converts before calling):

- buses are in depth-first preorder, ``parent[j] < j``, line ``j - 1`` feeds bus ``j``;
- index arrays are int64, values float64;
- batched arrays are laid out **bus-major** ``(n_bus or n_line, B, 3)`` (B = flattened
  batch of periods/scenarios). Measured on 1M buses x 24 periods, bus-major keeps each
  bus's whole batch in one contiguous block, so the parent/child accesses of a sweep touch
  one block instead of B scattered ones. Injection inputs may also be the bus-major *view*
  of a C-contiguous ``(B, n_bus, 3)`` array (Numba compiles that layout once as well).

Every kernel writes into caller-provided outputs, so loops that repeat (Benders) reuse them.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def tree_depths(parent):
    """Depth of every bus (root 0); parents precede children."""
    n = parent.size
    depth = np.zeros(n, dtype=np.int64)
    for j in range(1, n):
        depth[j] = depth[parent[j]] + 1
    return depth


@njit(cache=True)
def path_sums(parent, line_values):
    """Sum of ``line_values`` (n_line,) over the path root -> each bus, (n_bus,)."""
    n = parent.size
    out = np.zeros(n)
    for j in range(1, n):
        out[j] = out[parent[j]] + line_values[j - 1]
    return out


@njit(cache=True)
def tree_subtree_sizes(parent):
    """Buses in each subtree, itself included (reverse preorder accumulation)."""
    n = parent.size
    size = np.ones(n, dtype=np.int64)
    for j in range(n - 1, 0, -1):
        size[parent[j]] += size[j]
    return size


@njit(cache=True)
def flow_sweep(child_ptr, child, bus_phase, p, q, q_shunt, P, Q):
    """Upward sweep: line flows from net loads (lossless balance (B1)-(B2)).

    Parameters
    ----------
    child_ptr, child : int64 arrays
        Children of bus j are ``child[child_ptr[j]:child_ptr[j+1]]``.
    bus_phase : bool (n_bus, 3)
        Phases present at each bus. Injections on absent phases are ignored.
    p, q : float64 (n_bus, B, 3)
        Net active/reactive load, p.u. (consumption positive).
    q_shunt : float64 (n_bus, 3)
        Fixed reactive injection of the feeder's own shunts (capacitors), p.u., the same in
        every batch column.
    P, Q : float64 (n_line, B, 3), written
        Flow on the line feeding each bus (sending end), p.u.

    Returns
    -------
    int
        -1, or the first bus that carries a non-zero load on an absent phase.
    """
    n = p.shape[0]
    nb = p.shape[1]
    bad = -1
    for j in range(n - 1, 0, -1):
        line = j - 1
        for f in range(3):
            if bus_phase[j, f]:
                shunt = q_shunt[j, f]
                for b in range(nb):
                    P[line, b, f] = p[j, b, f]
                    Q[line, b, f] = q[j, b, f] - shunt
            else:
                for b in range(nb):
                    if p[j, b, f] != 0.0 or q[j, b, f] != 0.0:
                        bad = j
                    P[line, b, f] = 0.0
                    Q[line, b, f] = 0.0
        for c in range(child_ptr[j], child_ptr[j + 1]):
            lc = child[c] - 1
            for b in range(nb):
                for f in range(3):
                    P[line, b, f] += P[lc, b, f]
                    Q[line, b, f] += Q[lc, b, f]
    return bad


@njit(cache=True)
def voltage_sweep(parent, bus_phase, ratio2, MP, MQ, v_root, P, Q, v2, vm, mark_absent):
    """Downward sweep: squared voltages ``v_j = ratio^2 v_i + M^P P_ij + M^Q Q_ij``.

    Parameters
    ----------
    ratio2 : float64 (n_line, 3)
        Squared fixed ratio of each line (1 for plain lines).
    MP, MQ : float64 (n_line, 3, 3)
        LinDist3Flow matrices of each line (zero on absent phases).
    v_root : float64 (B, 3)
        Squared voltage of the swing bus.
    P, Q : float64 (n_line, B, 3)
        Line flows from :func:`flow_sweep` (zero on absent phases).
    v2, vm : float64 (n_bus, B, 3), written
        Squared and plain voltage magnitudes, p.u.
    mark_absent : bool
        Write NaN on absent phases of v2, vm, P and Q (after P, Q were used).
    """
    n = v2.shape[0]
    nb = v2.shape[1]
    for b in range(nb):
        for f in range(3):
            if bus_phase[0, f] or not mark_absent:
                v2[0, b, f] = v_root[b, f]
                vm[0, b, f] = np.sqrt(max(v_root[b, f], 0.0))
            else:
                v2[0, b, f] = np.nan
                vm[0, b, f] = np.nan
    for j in range(1, n):
        line = j - 1
        i = parent[j]
        for f in range(3):
            if bus_phase[j, f]:
                a = ratio2[line, f]
                for b in range(nb):
                    s = a * v2[i, b, f]
                    for g in range(3):
                        s += MP[line, f, g] * P[line, b, g] + MQ[line, f, g] * Q[line, b, g]
                    v2[j, b, f] = s
                    # collapsed (v2 <= 0) or overflowed (non-finite): 0, see power_flow
                    vm[j, b, f] = np.sqrt(s) if 0.0 < s < np.inf else 0.0
            elif mark_absent:
                for b in range(nb):
                    v2[j, b, f] = np.nan
                    vm[j, b, f] = np.nan
            else:
                for b in range(nb):
                    v2[j, b, f] = 0.0
                    vm[j, b, f] = 0.0
        if mark_absent:
            for f in range(3):
                if not bus_phase[j, f]:
                    for b in range(nb):
                        P[line, b, f] = np.nan
                        Q[line, b, f] = np.nan


@njit(cache=True)
def adjoint_voltage_sweep(child_ptr, child, bus_phase, ratio2, MP, MQ, y_v2, y_P, y_Q, lam, z_P, z_Q):
    """Upward sweep of the adjoint: weights on line flows from weights on (v2, P, Q).

    ``lam_j = y_v2_j + sum_children ratio2_c * lam_c`` is the total weight on ``v_j``;
    the line feeding j then carries ``z_P = y_P + MP^T lam_j`` and ``z_Q = y_Q + MQ^T lam_j``.
    Shapes as in :func:`voltage_sweep`; ``lam`` (n_bus, B, 3) is a work buffer, ``z_P``,
    ``z_Q`` (n_bus, B, 3) are written (row 0, the swing bus, is zero).

    Two passes (lam upward, then z in bus order), phases unrolled and each line's matrix
    column read once outside the batch loop: measured 0.39 s against 0.69-0.80 s for one
    fused pass at 1M buses x 24 periods (prototype by a helper's profiling).
    """
    n = y_v2.shape[0]
    nb = y_v2.shape[1]
    for j in range(n - 1, 0, -1):
        h0, h1, h2 = bus_phase[j, 0], bus_phase[j, 1], bus_phase[j, 2]
        for b in range(nb):  # a select, not a 0/1 product: NaN weights on absent phases stay out
            lam[j, b, 0] = y_v2[j, b, 0] if h0 else 0.0
            lam[j, b, 1] = y_v2[j, b, 1] if h1 else 0.0
            lam[j, b, 2] = y_v2[j, b, 2] if h2 else 0.0
        for c in range(child_ptr[j], child_ptr[j + 1]):
            k = child[c]
            r0, r1, r2 = ratio2[k - 1, 0], ratio2[k - 1, 1], ratio2[k - 1, 2]
            for b in range(nb):
                lam[j, b, 0] += r0 * lam[k, b, 0]
                lam[j, b, 1] += r1 * lam[k, b, 1]
                lam[j, b, 2] += r2 * lam[k, b, 2]
    for j in range(1, n):
        line = j - 1
        for g in range(3):
            if not bus_phase[j, g]:
                for b in range(nb):
                    z_P[j, b, g] = 0.0
                    z_Q[j, b, g] = 0.0
                continue
            a0, a1, a2 = MP[line, 0, g], MP[line, 1, g], MP[line, 2, g]
            c0, c1, c2 = MQ[line, 0, g], MQ[line, 1, g], MQ[line, 2, g]
            for b in range(nb):
                l0, l1, l2 = lam[j, b, 0], lam[j, b, 1], lam[j, b, 2]
                z_P[j, b, g] = y_P[line, b, g] + a0 * l0 + a1 * l1 + a2 * l2
                z_Q[j, b, g] = y_Q[line, b, g] + c0 * l0 + c1 * l1 + c2 * l2
    for b in range(nb):
        for g in range(3):
            z_P[0, b, g] = 0.0
            z_Q[0, b, g] = 0.0


@njit(cache=True)
def path_sum_sweep(parent, bus_phase, z_P, z_Q):
    """Downward sweep of the adjoint, in place: ``g_j = g_parent(j) + z_j`` turns the
    per-line weights into gradients with respect to the net load at every bus (zero on
    absent phases)."""
    n = z_P.shape[0]
    nb = z_P.shape[1]
    for j in range(1, n):
        i = parent[j]
        if i > 0:
            for b in range(nb):
                for f in range(3):
                    if bus_phase[j, f]:
                        z_P[j, b, f] += z_P[i, b, f]
                        z_Q[j, b, f] += z_Q[i, b, f]
