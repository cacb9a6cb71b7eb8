"""A plain nodal AC power flow: Kirchhoff's current law at every bus-phase, solved by Newton
with a finite-difference Jacobian. Independent of tempp_core's kernels (no sweeps, no tree).

Line model (the one documented for tempp_core.ac_power_flow): impedance Z on the sending side
of an ideal per-phase ratio D, charging B split between the two ends:

    J = Z^-1 (V_from - D^-1 V_to)          current through Z
    into the line at its sending end:      J + j B/2 V_from
    into the line at its receiving end:    -D^-1 J + j B/2 V_to
"""
from __future__ import annotations

import numpy as np


def dense_ac_power_flow(lines, bus_phases, v_swing, p, q, cap=None, shares=None, tol=1e-12, max_iter=50):
    """Solve one snapshot.

    Parameters
    ----------
    lines : list of dict
        ``from``, ``to`` (bus positions), ``z`` (3x3 complex, p.u.), ``ratio`` (3,), ``b`` (3x3, total
        charging), ``phases`` (bool (3,)).
    bus_phases : bool (n_bus, 3)
    v_swing : complex (3,)
        Bus 0's voltages.
    p, q : (n_bus, 3)
        Loads at 1 p.u., p.u.
    cap : (n_bus, 3), optional
        Shunt capacitors' Q at 1 p.u. (a constant susceptance).
    shares : (n_bus, 3, 2, 3), optional
        ZIP shares (z, i, p) of P and of Q.

    Returns
    -------
    v : complex (n_bus, 3), NaN on absent phases
    """
    n = len(bus_phases)
    cap = np.zeros((n, 3)) if cap is None else cap
    unknown = [(j, f) for j in range(1, n) for f in range(3) if bus_phases[j, f]]
    pos = {k: i for i, k in enumerate(unknown)}

    def voltages(xv):
        v = np.zeros((n, 3), dtype=complex)
        v[0] = v_swing
        for (j, f), i in pos.items():
            v[j, f] = xv[2 * i] + 1j * xv[2 * i + 1]
        return v

    def residual(xv):
        v = voltages(xv)
        into_lines = np.zeros((n, 3), dtype=complex)
        for ln in lines:
            ph = np.flatnonzero(ln["phases"])
            i, k = ln["from"], ln["to"]
            z = ln["z"][np.ix_(ph, ph)]
            d = ln["ratio"][ph]
            b = ln["b"][np.ix_(ph, ph)]
            j_series = np.linalg.solve(z, v[i, ph] - v[k, ph] / d)
            into_lines[i, ph] += j_series + 0.5j * b @ v[i, ph]
            into_lines[k, ph] += -j_series / d + 0.5j * b @ v[k, ph]
        out = np.empty(2 * len(unknown))
        for (j, f), r in pos.items():
            vm = abs(v[j, f])
            kp = kq = 1.0
            if shares is not None:
                zp, ip, pp = shares[j, f, 0]
                zq, iq, pq = shares[j, f, 1]
                kp, kq = zp * vm**2 + ip * vm + pp, zq * vm**2 + iq * vm + pq
            s_load = kp * p[j, f] + 1j * kq * q[j, f]
            i_load = np.conj(s_load / v[j, f]) + 1j * cap[j, f] * v[j, f]  # a capacitor draws j B V
            mis = into_lines[j, f] + i_load
            out[2 * r], out[2 * r + 1] = mis.real, mis.imag
        return out

    # flat start: the swing voltages everywhere
    xv = np.array([c for (j, f) in unknown for c in (v_swing[f].real, v_swing[f].imag)])
    for _ in range(max_iter):
        f0 = residual(xv)
        if np.abs(f0).max() < tol:
            break
        jac = np.empty((xv.size, xv.size))
        h = 1e-7
        for c in range(xv.size):
            step = np.zeros_like(xv)
            step[c] = h
            jac[:, c] = (residual(xv + step) - residual(xv - step)) / (2 * h)
        xv = xv - np.linalg.solve(jac, f0)
    else:
        raise RuntimeError("dense Newton did not converge")
    v = voltages(xv)
    v[~bus_phases] = np.nan
    return v
