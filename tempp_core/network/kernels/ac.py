"""Unbalanced three-phase AC power flow on a radial tree: backward/forward sweeps.

Tree contract as in :mod:`tempp_core.network.kernels.sweeps`: buses in depth-first preorder,
``parent[j] < j``, line ``j - 1`` feeds bus ``j``; int64 indices, float64 values; every
output is caller-provided.

The model of line ``l`` from bus ``i`` to bus ``j``: a series impedance ``Z_l`` (3x3) on the
sending side of an ideal per-phase ratio ``a_l``,

    V_j = a_l * (V_i - Z_l J_l),        J_l = a_l * (I_j + sum of J_c over the lines c leaving j),

where ``J_l`` is the current through ``Z_l`` and ``I_j`` the current drawn at bus ``j`` by its
load and its shunts. One iteration is a backward sweep (currents from voltages) and a forward
sweep (voltages from currents): the fixed-point map ``V <- F(V)``.

Layout of the iteration: real and imaginary parts apart, ``(n, 3, bc)`` for a chunk of ``bc``
batch columns, the batch innermost, so that the arithmetic vectorizes over the batch. Work in
descending bus order (the backward sweep) was measured 4-5x slower per bus than in ascending
order, so the backward sweep only adds up the tree; the load currents are computed in the
ascending forward sweep as soon as a bus's voltage is known, and the drops ``Z J`` in an
ascending pass of their own. Measured at 100k buses x 24 periods, one thread: 1.7 s for complex
``(n, B, 3)`` arrays swept bus by bus, 0.56 s with this layout and the loads in a pass of their
own; the loads moved into the forward sweep then took it from 1.14 to 0.82 s (back to back, on
a machine busy with other jobs). A parallel call gives each thread its own chunk, a separate
block of memory (no cache line is written by two threads), and each thread sweeps the whole
tree for its columns.

Absent phases: ``ratio_on`` is zero where the receiving bus lacks the phase, so voltages and
currents stay exactly zero there.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

#: status codes of a batch column
RUNNING, CONVERGED, NOT_CONVERGED, COLLAPSED = 0, 1, 2, 3
#: |V|^2 below this (p.u.^2) or above its inverse counts as a collapse
COLLAPSE_V2 = 1e-6


@njit(cache=True, error_model="numpy")
def prepare_loads(bus_phase, p, q, b0, sp, sq):
    """Copy batch columns ``b0:b0 + bc`` of the loads into a chunk, checking them once.

    Parameters
    ----------
    bus_phase : bool (n_bus, 3)
    p, q : float64 (n_bus, B, 3)
        Net loads, any strides (e.g. the bus-major view of a (B, n_bus, 3) array).
    b0 : int
    sp, sq : float64 (n_bus, 3, bc), written
        The chunk's loads; columns past ``B`` (padding) are zero.

    Returns
    -------
    code, bus : int
        (0, -1) when all is well, (1, j) for a non-finite load at bus j, (2, j) for a
        non-zero load on a phase bus j lacks.
    """
    nb = p.shape[1]
    bc = sp.shape[2]
    for j in range(p.shape[0]):
        for f in range(3):
            for k in range(bc):
                b = b0 + k
                pf = 0.0
                qf = 0.0
                if b < nb:
                    pf = p[j, b, f]
                    qf = q[j, b, f]
                    if not (np.isfinite(pf) and np.isfinite(qf)):
                        return 1, j
                    if not bus_phase[j, f] and (pf != 0.0 or qf != 0.0):
                        return 2, j
                sp[j, f, k] = pf
                sq[j, f, k] = qf
    return 0, -1


@njit(cache=True, error_model="numpy", inline="always")
def _load_current(pf, qf, zp, ip, zq, iq, has_zip, xr, xi):
    """Current drawn by a net load p + jq (at 1 p.u.) at the voltage xr + j xi:
    ``conj(S(V) / V) = (p - jq) V / |V|^2``, p and q each scaled by their ZIP dependence."""
    # absent phases hold V = 0 and no load: the floor makes their current 0, not 0/0
    m2 = max(xr * xr + xi * xi, 1e-300)
    pf = pf / m2
    qf = qf / m2
    if has_zip:
        m = np.sqrt(m2)
        pf *= 1.0 - zp - ip + ip * m + zp * m2
        qf *= 1.0 - zq - iq + iq * m + zq * m2
    return pf * xr + qf * xi, pf * xi - qf * xr


@njit(cache=True, error_model="numpy")
def _load_currents(sp, sq, shares, has_zip, vr, vi, jr, ji):
    """Current drawn by every bus's net load at its voltage into ``jr``, ``ji`` (one chunk),
    one flat ascending pass (the sweeps compute it on the fly; this starts and ends them)."""
    n = vr.shape[0]
    bc = vr.shape[2]
    for j in range(n):
        for f in range(3):
            zp, ip, zq, iq = shares[j, f, 0], shares[j, f, 1], shares[j, f, 2], shares[j, f, 3]
            for k in range(bc):
                jr[j, f, k], ji[j, f, k] = _load_current(sp[j, f, k], sq[j, f, k], zp, ip, zq, iq, has_zip,
                                                         vr[j, f, k], vi[j, f, k])


@njit(cache=True, error_model="numpy")
def _backward(child_ptr, child, ratio_on, bsh, has_shunt, vr, vi, jr, ji):
    """Currents through every line's impedance (one chunk): on entry ``jr``, ``ji`` hold the
    current each bus's load draws; on exit row ``j`` is the current of the line feeding bus
    ``j`` (row 0 unused). Only the tree's sums are left to this descending pass: per-bus work in
    descending order measured 4-5x slower than the same work ascending."""
    n = vr.shape[0]
    bc = vr.shape[2]
    for j in range(n - 1, 0, -1):
        if has_shunt:  # j B V
            for f in range(3):
                for g in range(3):
                    s = bsh[j, f, g]
                    if s != 0.0:
                        for k in range(bc):
                            jr[j, f, k] -= s * vi[j, g, k]
                            ji[j, f, k] += s * vr[j, g, k]
        for c in range(child_ptr[j], child_ptr[j + 1]):
            cj = child[c]
            for f in range(3):
                for k in range(bc):
                    jr[j, f, k] += jr[cj, f, k]
                    ji[j, f, k] += ji[cj, f, k]
        for f in range(3):
            a = ratio_on[j - 1, f]
            for k in range(bc):
                jr[j, f, k] *= a
                ji[j, f, k] *= a


@njit(cache=True, error_model="numpy")
def _drops(zr, zi, jr, ji):
    """Replace each line's current by its voltage drop ``Z J`` (one chunk, in place). No tree
    dependence: one ascending pass, each bus's columns in one loop with the phases unrolled."""
    for j in range(1, jr.shape[0]):
        r00, r01, r02 = zr[j - 1, 0, 0], zr[j - 1, 0, 1], zr[j - 1, 0, 2]
        r10, r11, r12 = zr[j - 1, 1, 0], zr[j - 1, 1, 1], zr[j - 1, 1, 2]
        r20, r21, r22 = zr[j - 1, 2, 0], zr[j - 1, 2, 1], zr[j - 1, 2, 2]
        x00, x01, x02 = zi[j - 1, 0, 0], zi[j - 1, 0, 1], zi[j - 1, 0, 2]
        x10, x11, x12 = zi[j - 1, 1, 0], zi[j - 1, 1, 1], zi[j - 1, 1, 2]
        x20, x21, x22 = zi[j - 1, 2, 0], zi[j - 1, 2, 1], zi[j - 1, 2, 2]
        for k in range(jr.shape[2]):
            a0, a1, a2 = jr[j, 0, k], jr[j, 1, k], jr[j, 2, k]
            b0, b1, b2 = ji[j, 0, k], ji[j, 1, k], ji[j, 2, k]
            jr[j, 0, k] = r00 * a0 - x00 * b0 + r01 * a1 - x01 * b1 + r02 * a2 - x02 * b2
            ji[j, 0, k] = r00 * b0 + x00 * a0 + r01 * b1 + x01 * a1 + r02 * b2 + x02 * a2
            jr[j, 1, k] = r10 * a0 - x10 * b0 + r11 * a1 - x11 * b1 + r12 * a2 - x12 * b2
            ji[j, 1, k] = r10 * b0 + x10 * a0 + r11 * b1 + x11 * a1 + r12 * b2 + x12 * a2
            jr[j, 2, k] = r20 * a0 - x20 * b0 + r21 * a1 - x21 * b1 + r22 * a2 - x22 * b2
            ji[j, 2, k] = r20 * b0 + x20 * a0 + r21 * b1 + x21 * a1 + r22 * b2 + x22 * a2


@njit(cache=True, error_model="numpy")
def _forward(parent, ratio_on, zr, zi, absent, sp, sq, shares, has_zip, active, jr, ji, vr, vi, dv2, v2_lo, v2_hi):
    """Voltages from the line currents (active columns only; one chunk). ``jr``, ``ji`` hold the
    line currents on entry and the current each bus's load draws at its new voltage on exit
    (what the next backward sweep starts from). Per column: the largest squared update and the
    extreme squared magnitudes on present phases."""
    _drops(zr, zi, jr, ji)
    n = vr.shape[0]
    bc = vr.shape[2]
    for j in range(1, n):
        i = parent[j]
        for f in range(3):
            a = ratio_on[j - 1, f]
            h = absent[j, f]
            zp, ip, zq, iq = shares[j, f, 0], shares[j, f, 1], shares[j, f, 2], shares[j, f, 3]
            for k in range(bc):
                wr = a * (vr[i, f, k] - jr[j, f, k])
                wi = a * (vi[i, f, k] - ji[j, f, k])
                ur = wr - vr[j, f, k]
                ui = wi - vi[j, f, k]
                d = ur * ur + ui * ui
                m = wr * wr + wi * wi + h  # absent phases: 1, never an extreme
                # written so that a NaN makes the column collapse (comparisons with NaN are false)
                if not d <= dv2[k]:
                    dv2[k] = d
                if not m >= v2_lo[k]:
                    v2_lo[k] = m
                if not m <= v2_hi[k]:
                    v2_hi[k] = m
                keep = active[k]
                xr = wr if keep else vr[j, f, k]
                xi = wi if keep else vi[j, f, k]
                vr[j, f, k] = xr
                vi[j, f, k] = xi
                jr[j, f, k], ji[j, f, k] = _load_current(sp[j, f, k], sq[j, f, k], zp, ip, zq, iq, has_zip, xr, xi)


@njit(cache=True, error_model="numpy")
def _flat_start(parent, ratio_on, root_r, root_i, cold, vr, vi):
    """Swing voltages carried down the tree through the ratios (no drop), in the columns
    where ``cold`` is true (the others keep the voltages they hold)."""
    bc = vr.shape[2]
    for f in range(3):
        for k in range(bc):
            if cold[k]:
                vr[0, f, k] = root_r[f]
                vi[0, f, k] = root_i[f]
    for j in range(1, vr.shape[0]):
        i = parent[j]
        for f in range(3):
            a = ratio_on[j - 1, f]
            for k in range(bc):
                if cold[k]:
                    vr[j, f, k] = a * vr[i, f, k]
                    vi[j, f, k] = a * vi[i, f, k]


@njit(cache=True, error_model="numpy")
def solve_chunk(parent, child_ptr, child, ratio_on, zr, zi, absent, bsh, has_shunt, sp, sq, shares, has_zip,
                root_r, root_i, tol, max_iter, warm, vr, vi, jr, ji, iterations, mismatch, status):
    """Iterate the sweeps for one chunk of columns until each converges, collapses or reaches
    ``max_iter``; a column stops being updated as soon as it is done. A column starts from the
    voltages it holds if ``warm`` and its ``status`` says it converged, else from a flat start.

    Parameters
    ----------
    parent, child_ptr, child : int64
        Tree (see :func:`tempp_core.network.kernels.sweeps.flow_sweep`).
    ratio_on : float64 (n_line, 3)
        Ratio of each line, zero on the phases its receiving bus lacks.
    zr, zi : float64 (n_line, 3, 3)
        Series impedance, p.u., on the sending side of the ratio.
    absent : float64 (n_bus, 3)
        1.0 on absent phases, 0.0 on present ones.
    bsh : float64 (n_bus, 3, 3)
        Shunt susceptance at each bus (capacitors, half of each adjacent line's charging), p.u.
    has_shunt : bool
        False when ``bsh`` is all zero (skips it).
    sp, sq : float64 (n_bus, 3, bc)
        Net loads at 1 p.u. voltage, p.u. (consumption positive), from :func:`prepare_loads`.
    shares : float64 (n_bus, 3, 4)
        Constant-impedance and constant-current shares of each load's P and of its Q,
        ``(z_P, i_P, z_Q, i_Q)`` (the rest is constant power).
    has_zip : bool
        False when every load is constant power (``shares`` unused).
    root_r, root_i : float64 (3,)
        Swing bus voltage.
    tol : float
        A column converges when its largest voltage update ``max |F(V) - V|`` over
        bus-phases is at most ``tol`` (p.u.).
    max_iter : int
    warm : bool
        Start converged columns from the voltages in ``vr``, ``vi`` (a previous solution).
    vr, vi : float64 (n_bus, 3, bc), written
        Voltages, p.u. (zero on absent phases).
    jr, ji : float64 (n_bus, 3, bc), work
        Row ``j``: current through the impedance of the line feeding bus ``j``.
    iterations : int64 (bc,), written
        Sweeps applied to each column.
    mismatch : float64 (bc,), written
        Last ``max |F(V) - V|`` of each column (inf where it collapsed).
    status : int8 (bc,), read when ``warm``, written
        CONVERGED, NOT_CONVERGED or COLLAPSED.
    """
    bc = vr.shape[2]
    cold = np.empty(bc, dtype=np.bool_)
    for k in range(bc):
        cold[k] = not (warm and status[k] == CONVERGED)
    _flat_start(parent, ratio_on, root_r, root_i, cold, vr, vi)
    _load_currents(sp, sq, shares, has_zip, vr, vi, jr, ji)
    active = np.ones(bc, dtype=np.bool_)
    dv2 = np.empty(bc)
    v2_lo = np.empty(bc)
    v2_hi = np.empty(bc)
    iterations[:] = 0
    mismatch[:] = np.inf
    status[:] = RUNNING
    n_active = bc
    for _ in range(max_iter):
        if n_active == 0:
            break
        _backward(child_ptr, child, ratio_on, bsh, has_shunt, vr, vi, jr, ji)
        dv2[:] = 0.0
        v2_lo[:] = np.inf
        v2_hi[:] = 0.0
        _forward(parent, ratio_on, zr, zi, absent, sp, sq, shares, has_zip, active, jr, ji, vr, vi, dv2, v2_lo,
                 v2_hi)
        for k in range(bc):
            if not active[k]:
                continue
            iterations[k] += 1
            if not (v2_lo[k] > COLLAPSE_V2 and v2_hi[k] < 1.0 / COLLAPSE_V2 and dv2[k] < np.inf):
                status[k] = COLLAPSED
            elif dv2[k] <= tol * tol:
                status[k] = CONVERGED
            mismatch[k] = np.sqrt(dv2[k]) if status[k] != COLLAPSED else np.inf
            if status[k] != RUNNING:
                active[k] = False
                n_active -= 1
    for k in range(bc):
        if status[k] == RUNNING:
            status[k] = NOT_CONVERGED


@njit(cache=True, error_model="numpy")
def flows_chunk(parent, child_ptr, child, ratio_on, inv_ratio_on, bus_phase, absent, bsh, has_shunt, b_half, sp,
                sq, shares, has_zip, vr, vi, jr, ji, b0, v, vm, P, Q, loss_p, loss_q):
    """At a chunk's solved voltages: line currents, sending-end flows, losses, and the public
    arrays of its columns ``b0:b0 + bc`` (those below ``B``), NaN on absent phases of ``v``,
    ``vm``, ``P``, ``Q``.

    Parameters
    ----------
    inv_ratio_on : float64 (n_line, 3)
        1 / ratio where the phase is present, else 0.
    bus_phase : bool (n_bus, 3)
    b_half : float64 (n_line, 3, 3)
        Half of each line's charging susceptance (the shunt at each of its ends), p.u.
    v : complex128 (n_bus, B, 3), written
    vm : float64 (n_bus, B, 3), written
    P, Q : float64 (n_line, B, 3), written
        Power entering each line at its sending end (charging of that end included), p.u.
    loss_p, loss_q : float64 (n_line, B), written
        Power entering a line minus power leaving it at the receiving end, over its phases, p.u.

    Other parameters as in :func:`solve_chunk`.
    """
    _load_currents(sp, sq, shares, has_zip, vr, vi, jr, ji)
    _backward(child_ptr, child, ratio_on, bsh, has_shunt, vr, vi, jr, ji)
    n = vr.shape[0]
    bc = min(vr.shape[2], v.shape[1] - b0)
    for j in range(n):
        for f in range(3):
            on = bus_phase[j, f]
            for k in range(bc):
                b = b0 + k
                if on:
                    v[j, b, f] = complex(vr[j, f, k], vi[j, f, k])
                    vm[j, b, f] = np.sqrt(vr[j, f, k] * vr[j, f, k] + vi[j, f, k] * vi[j, f, k])
                else:
                    v[j, b, f] = complex(np.nan, np.nan)
                    vm[j, b, f] = np.nan
        if j == 0:
            continue
        line = j - 1
        i = parent[j]
        for k in range(bc):
            loss_p[line, b0 + k] = 0.0
            loss_q[line, b0 + k] = 0.0
        for f in range(3):
            if not bus_phase[j, f]:
                for k in range(bc):
                    P[line, b0 + k, f] = np.nan
                    Q[line, b0 + k, f] = np.nan
                continue
            for k in range(bc):
                # current into the line at its sending end (through Z, plus that end's charging)
                # and out of it at its receiving end
                sr = jr[j, f, k]
                si = ji[j, f, k]
                rr = sr * inv_ratio_on[line, f]
                ri = si * inv_ratio_on[line, f]
                if has_shunt:
                    for g in range(3):
                        s = b_half[line, f, g]
                        sr -= s * vi[i, g, k]
                        si += s * vr[i, g, k]
                        rr += s * vi[j, g, k]
                        ri -= s * vr[j, g, k]
                # S = V conj(I)
                p_in = vr[i, f, k] * sr + vi[i, f, k] * si
                q_in = vi[i, f, k] * sr - vr[i, f, k] * si
                p_out = vr[j, f, k] * rr + vi[j, f, k] * ri
                q_out = vi[j, f, k] * rr - vr[j, f, k] * ri
                P[line, b0 + k, f] = p_in
                Q[line, b0 + k, f] = q_in
                loss_p[line, b0 + k] += p_in - p_out
                loss_q[line, b0 + k] += q_in - q_out


@njit(cache=True, error_model="numpy")
def _chunk(c, parent, child_ptr, child, ratio_on, inv_ratio_on, zr, zi, bus_phase, absent, bsh, has_shunt, b_half,
           p, q, shares, has_zip, root_r, root_i, tol, max_iter, warm, sp, sq, vr, vi, jr, ji, iterations, mismatch,
           status, v, vm, P, Q, loss_p, loss_q, codes):
    """Prepare, solve and report chunk ``c`` (columns ``c * bc`` on); its check result goes to
    ``codes[c]``, ``codes[c + n_chunk]``."""
    b0 = c * sp.shape[3]
    code, bus = prepare_loads(bus_phase, p, q, b0, sp[c], sq[c])
    codes[c], codes[c + codes.size // 2] = code, bus
    if code != 0:
        return
    solve_chunk(parent, child_ptr, child, ratio_on, zr, zi, absent, bsh, has_shunt, sp[c], sq[c],
                shares, has_zip, root_r, root_i, tol, max_iter, warm, vr[c], vi[c], jr[c], ji[c], iterations[c],
                mismatch[c], status[c])
    flows_chunk(parent, child_ptr, child, ratio_on, inv_ratio_on, bus_phase, absent, bsh, has_shunt, b_half, sp[c],
                sq[c], shares, has_zip, vr[c], vi[c], jr[c], ji[c], b0, v, vm, P, Q, loss_p, loss_q)


@njit(cache=True, error_model="numpy")
def solve_serial(parent, child_ptr, child, ratio_on, inv_ratio_on, zr, zi, bus_phase, absent, bsh, has_shunt,
                 b_half, p, q, shares, has_zip, root_r, root_i, tol, max_iter, warm, sp, sq, vr, vi, jr, ji, iterations,
                 mismatch, status, v, vm, P, Q, loss_p, loss_q, codes):
    """The whole batch, chunk after chunk: for each chunk ``c`` of the work arrays
    ``(n_chunk, n, 3, bc)`` and per-column arrays ``(n_chunk, bc)``, :func:`prepare_loads`,
    :func:`solve_chunk` and :func:`flows_chunk`. ``codes`` (2 n_chunk,) int64 receives each
    chunk's check result (code, then bus); nothing of a chunk is solved unless its code is 0."""
    for c in range(sp.shape[0]):
        _chunk(c, parent, child_ptr, child, ratio_on, inv_ratio_on, zr, zi, bus_phase, absent, bsh, has_shunt,
               b_half, p, q, shares, has_zip, root_r, root_i, tol, max_iter, warm, sp, sq, vr, vi, jr, ji, iterations,
               mismatch, status, v, vm, P, Q, loss_p, loss_q, codes)


@njit(cache=True, parallel=True, error_model="numpy")
def solve_parallel(parent, child_ptr, child, ratio_on, inv_ratio_on, zr, zi, bus_phase, absent, bsh, has_shunt,
                   b_half, p, q, shares, has_zip, root_r, root_i, tol, max_iter, warm, sp, sq, vr, vi, jr, ji,
                   iterations, mismatch, status, v, vm, P, Q, loss_p, loss_q, codes):
    """:func:`solve_serial` with one chunk per thread (bit-identical results: a column's
    arithmetic does not depend on which thread does it)."""
    for c in prange(sp.shape[0]):
        _chunk(c, parent, child_ptr, child, ratio_on, inv_ratio_on, zr, zi, bus_phase, absent, bsh, has_shunt,
               b_half, p, q, shares, has_zip, root_r, root_i, tol, max_iter, warm, sp, sq, vr, vi, jr, ji, iterations,
               mismatch, status, v, vm, P, Q, loss_p, loss_q, codes)
