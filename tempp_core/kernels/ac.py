"""Unbalanced three-phase AC power flow on a radial tree: backward/forward sweeps.

Array contract (as in :mod:`tempp_core.kernels.sweeps`): buses in depth-first preorder,
``parent[j] < j``, line ``j - 1`` feeds bus ``j``; batched arrays bus-major ``(n, B, 3)``;
int64 indices, float64 / complex128 values; every output is caller-provided.

The model of line ``l`` from bus ``i`` to bus ``j``: a series impedance ``Z_l`` (3x3) on the
sending side of an ideal per-phase ratio ``a_l``,

    V_j = a_l * (V_i - Z_l J_l),        J_l = a_l * (I_j + sum of J_c over the lines c leaving j),

where ``J_l`` is the current through ``Z_l`` and ``I_j`` the current drawn at bus ``j`` by its
load and its shunts. One iteration is a backward sweep (currents from the voltages) and a
forward sweep (voltages from the currents); it is the fixed-point map ``V <- F(V)``.

Absent phases: ``a_l`` is zeroed where bus ``j`` lacks the phase (``ratio_on``), so voltages
and currents stay exactly zero there, and ``absent`` (1.0 on absent phases) keeps the load
current's denominator away from zero without a branch.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

#: status codes of a batch element
RUNNING, CONVERGED, NOT_CONVERGED, COLLAPSED = 0, 1, 2, 3
#: |V|^2 below this (p.u.^2) or above its inverse counts as a collapse
COLLAPSE_V2 = 1e-6


@njit(cache=True)
def _bus_currents(j, b, v, p, q, shares, has_zip, absent, bsh, has_shunt, out):
    """Current drawn at bus j, column b, by its net load and its shunts, into out (3,)."""
    for f in range(3):
        vv = v[j, b, f]
        m2 = vv.real * vv.real + vv.imag * vv.imag + absent[j, f]
        # conj(S / V) = (p - jq) V / |V|^2, each of p and q scaled by its voltage dependence
        pf = p[j, b, f] / m2
        qf = q[j, b, f] / m2
        if has_zip:
            m = np.sqrt(m2)
            zp, ip, zq, iq = shares[j, f, 0], shares[j, f, 1], shares[j, f, 2], shares[j, f, 3]
            pf *= 1.0 - zp - ip + ip * m + zp * m2
            qf *= 1.0 - zq - iq + iq * m + zq * m2
        out[f] = complex(pf * vv.real + qf * vv.imag, pf * vv.imag - qf * vv.real)
    if has_shunt:
        for f in range(3):
            s = 0.0j
            for g in range(3):
                s += bsh[j, f, g] * v[j, b, g]
            out[f] += 1j * s


@njit(cache=True)
def _backward(child_ptr, child, ratio_on, act, n_act, v, p, q, shares, has_zip, absent, bsh, has_shunt, cur):
    """Currents through every line's impedance from the voltages (active columns only)."""
    n = v.shape[0]
    inj = np.empty(3, dtype=np.complex128)
    for j in range(n - 1, 0, -1):
        line = j - 1
        a0, a1, a2 = ratio_on[line, 0], ratio_on[line, 1], ratio_on[line, 2]
        c0, c1 = child_ptr[j], child_ptr[j + 1]
        for t in range(n_act):
            b = act[t]
            _bus_currents(j, b, v, p, q, shares, has_zip, absent, bsh, has_shunt, inj)
            s0, s1, s2 = inj[0], inj[1], inj[2]
            for c in range(c0, c1):
                lc = child[c] - 1
                s0 += cur[lc, b, 0]
                s1 += cur[lc, b, 1]
                s2 += cur[lc, b, 2]
            cur[line, b, 0] = a0 * s0
            cur[line, b, 1] = a1 * s1
            cur[line, b, 2] = a2 * s2


@njit(cache=True)
def _forward(parent, ratio_on, z, absent, act, n_act, cur, v, dv2, v2_lo, v2_hi):
    """Voltages from the line currents; per active column the largest squared update and the
    extreme squared magnitudes on present phases (for the convergence and collapse tests)."""
    n = v.shape[0]
    for j in range(1, n):
        line = j - 1
        i = parent[j]
        a0, a1, a2 = ratio_on[line, 0], ratio_on[line, 1], ratio_on[line, 2]
        z00, z01, z02 = z[line, 0, 0], z[line, 0, 1], z[line, 0, 2]
        z10, z11, z12 = z[line, 1, 0], z[line, 1, 1], z[line, 1, 2]
        z20, z21, z22 = z[line, 2, 0], z[line, 2, 1], z[line, 2, 2]
        h0, h1, h2 = absent[j, 0], absent[j, 1], absent[j, 2]
        for t in range(n_act):
            b = act[t]
            j0, j1, j2 = cur[line, b, 0], cur[line, b, 1], cur[line, b, 2]
            w0 = a0 * (v[i, b, 0] - (z00 * j0 + z01 * j1 + z02 * j2))
            w1 = a1 * (v[i, b, 1] - (z10 * j0 + z11 * j1 + z12 * j2))
            w2 = a2 * (v[i, b, 2] - (z20 * j0 + z21 * j1 + z22 * j2))
            d = abs2(w0 - v[j, b, 0]) + abs2(w1 - v[j, b, 1]) + abs2(w2 - v[j, b, 2])
            v[j, b, 0] = w0
            v[j, b, 1] = w1
            v[j, b, 2] = w2
            # absent phases add 1.0 to |V|^2: never the minimum, and 1 + 0 never the maximum
            m0, m1, m2 = abs2(w0) + h0, abs2(w1) + h1, abs2(w2) + h2
            lo = min(m0, min(m1, m2))
            hi = max(m0, max(m1, m2))
            # written so that a NaN makes the column collapse (comparisons with NaN are false)
            if not d <= dv2[t]:
                dv2[t] = d
            if not lo >= v2_lo[t]:
                v2_lo[t] = lo
            if not hi <= v2_hi[t]:
                v2_hi[t] = hi


@njit(cache=True)
def abs2(w):
    """|w|^2 of a complex number."""
    return w.real * w.real + w.imag * w.imag


@njit(cache=True)
def _flat_start(parent, ratio_on, v_root, b0, b1, v):
    """Swing voltages carried down the tree through the ratios (no drop)."""
    for b in range(b0, b1):
        for f in range(3):
            v[0, b, f] = v_root[b, f]
    for j in range(1, v.shape[0]):
        i = parent[j]
        for b in range(b0, b1):
            for f in range(3):
                v[j, b, f] = ratio_on[j - 1, f] * v[i, b, f]


@njit(cache=True)
def solve_range(parent, child_ptr, child, ratio_on, z, absent, bsh, has_shunt, p, q, shares, has_zip,
                v_root, tol, max_iter, b0, b1, v, cur, iterations, mismatch, status):
    """Iterate the sweeps for batch columns ``b0:b1`` until each converges, collapses or
    reaches ``max_iter``; a column stops being updated as soon as it is done.

    Parameters
    ----------
    parent, child_ptr, child : int64
        Tree (see :func:`tempp_core.kernels.sweeps.flow_sweep`).
    ratio_on : float64 (n_line, 3)
        Ratio of each line, zero on the phases its receiving bus lacks.
    z : complex128 (n_line, 3, 3)
        Series impedance, p.u., on the sending side of the ratio.
    absent : float64 (n_bus, 3)
        1.0 on absent phases, 0.0 on present ones.
    bsh : float64 (n_bus, 3, 3)
        Shunt susceptance at each bus (capacitors, half of each adjacent line's charging), p.u.
    has_shunt : bool
        False when ``bsh`` is all zero (skips the product).
    p, q : float64 (n_bus, B, 3)
        Net load at 1 p.u. voltage, p.u. (consumption positive).
    shares : float64 (n_bus, 3, 4)
        Constant-impedance and constant-current shares of each load's P and of its Q,
        ``(z_P, i_P, z_Q, i_Q)`` (the rest is constant power).
    has_zip : bool
        False when every load is constant power (``shares`` unused).
    v_root : complex128 (B, 3)
        Swing bus voltage.
    tol : float
        Convergence when the largest voltage update of a sweep, ``max |F(V) - V|``, is below it (p.u.).
    max_iter : int
    b0, b1 : int
        Batch columns to solve.
    v : complex128 (n_bus, B, 3), written
        Voltages, p.u. (zero on absent phases).
    cur : complex128 (n_line, B, 3), work
    iterations : int64 (B,), written
        Sweeps done per column.
    mismatch : float64 (B,), written
        Last ``max |F(V) - V|`` per column (inf when it collapsed).
    status : int8 (B,), written
        CONVERGED, NOT_CONVERGED or COLLAPSED.
    """
    _flat_start(parent, ratio_on, v_root, b0, b1, v)
    nb = b1 - b0
    act = np.arange(b0, b1)
    n_act = nb
    dv2 = np.empty(nb)
    v2_lo = np.empty(nb)
    v2_hi = np.empty(nb)
    tol2 = tol * tol
    for b in range(b0, b1):
        status[b] = RUNNING
        iterations[b] = 0
        mismatch[b] = np.inf
    for _ in range(max_iter):
        if n_act == 0:
            break
        _backward(child_ptr, child, ratio_on, act, n_act, v, p, q, shares, has_zip, absent, bsh, has_shunt, cur)
        dv2[:n_act] = 0.0
        v2_lo[:n_act] = np.inf
        v2_hi[:n_act] = 0.0
        _forward(parent, ratio_on, z, absent, act, n_act, cur, v, dv2, v2_lo, v2_hi)
        keep = 0
        for t in range(n_act):
            b = act[t]
            iterations[b] += 1
            if not (v2_lo[t] > COLLAPSE_V2 and v2_hi[t] < 1.0 / COLLAPSE_V2 and dv2[t] < np.inf):
                status[b] = COLLAPSED
                mismatch[b] = np.inf
                continue
            mismatch[b] = np.sqrt(dv2[t])
            if dv2[t] <= tol2:
                status[b] = CONVERGED
                continue
            act[keep] = b
            keep += 1
        n_act = keep
    for t in range(n_act):
        status[act[t]] = NOT_CONVERGED


@njit(cache=True)
def flows_range(parent, child_ptr, child, ratio_on, bus_phase, absent, bsh, has_shunt, b_half, p, q, shares,
                has_zip, b0, b1, v, cur, vm, P, Q, loss_p, loss_q):
    """At the solved voltages: line currents, sending-end flows, losses, magnitudes; NaN on
    absent phases of ``v``, ``vm``, ``P``, ``Q``.

    Parameters
    ----------
    bus_phase : bool (n_bus, 3)
    b_half : float64 (n_line, 3, 3)
        Half of each line's charging susceptance (the shunt at each of its ends), p.u.
    vm : float64 (n_bus, B, 3), written
    P, Q : float64 (n_line, B, 3), written
        Power entering each line at its sending end (charging of that end included), p.u.
    loss_p, loss_q : float64 (n_line, B), written
        Power entering a line minus power leaving it at the receiving end, over its phases, p.u.

    Other parameters as in :func:`solve_range`.
    """
    act = np.arange(b0, b1)
    _backward(child_ptr, child, ratio_on, act, b1 - b0, v, p, q, shares, has_zip, absent, bsh, has_shunt, cur)
    n = v.shape[0]
    for j in range(1, n):
        line = j - 1
        i = parent[j]
        for b in range(b0, b1):
            sp = 0.0
            sq = 0.0
            for f in range(3):
                # current into the line at its sending end: through Z plus the sending-end charging
                send = cur[line, b, f]
                recv = 0.0j
                if ratio_on[line, f] != 0.0:
                    recv = cur[line, b, f] / ratio_on[line, f]
                for g in range(3):
                    send += 1j * b_half[line, f, g] * v[i, b, g]
                    recv -= 1j * b_half[line, f, g] * v[j, b, g]
                s_in = v[i, b, f] * np.conj(send)
                s_out = v[j, b, f] * np.conj(recv)
                P[line, b, f] = s_in.real
                Q[line, b, f] = s_in.imag
                sp += s_in.real - s_out.real
                sq += s_in.imag - s_out.imag
            loss_p[line, b] = sp
            loss_q[line, b] = sq
    for j in range(n):
        for f in range(3):
            if bus_phase[j, f]:
                for b in range(b0, b1):
                    vm[j, b, f] = np.abs(v[j, b, f])
            else:
                for b in range(b0, b1):
                    vm[j, b, f] = np.nan
                    v[j, b, f] = complex(np.nan, np.nan)
                    if j > 0:
                        P[j - 1, b, f] = np.nan
                        Q[j - 1, b, f] = np.nan


@njit(cache=True)
def first_bad_load(bus_phase, p, q):
    """Check net loads once: (1, bus) for a non-finite value, (2, bus) for a non-zero load on
    a phase the bus lacks, (0, -1) when all is well. p, q (n_bus, B, 3)."""
    for j in range(p.shape[0]):
        for b in range(p.shape[1]):
            for f in range(3):
                pf, qf = p[j, b, f], q[j, b, f]
                if not (np.isfinite(pf) and np.isfinite(qf)):
                    return 1, j
                if not bus_phase[j, f] and (pf != 0.0 or qf != 0.0):
                    return 2, j
    return 0, -1
