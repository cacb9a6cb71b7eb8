"""Voltage limits from ANSI C84.1, and the limits a network breaks before any market action.

ANSI C84.1 (Electric Power Systems and Equipment — Voltage Ratings, 60 Hz), Table 1, Range A
(the range service voltage is designed to stay in), per bus by its nominal system voltage
``sqrt(3) x`` its phase-to-neutral base (split-phase secondaries, on a 120 V base, count as the
120/240 V low-voltage system they are):

- **low voltage (600 V and below), service voltage: 0.95-1.05 p.u.** (114-126 V on 120 V);
- **medium voltage (above 600 V, up to 34.5 kV), service voltage: 0.975-1.05 p.u.** (e.g.
  12,470Y/7,200 V: 12,160-13,090 V). A primary bus may serve a customer directly, and a feeder
  model that stops at the primary (IEEE 13, the 9500-node primary network) puts its loads there;
- **above 34.5 kV**, where the standard gives only a maximum (about 105 %): 0.95-1.05 p.u.,
  Table C3's defaults.

Range A is chosen over Range B (e.g. 110-127 V): Range B admits excursions "limited in extent,
frequency and duration", which a market clearing every hour should not plan for. The utilization
range (110-125 V at the equipment) is below the service point and outside a feeder model.
"""
from __future__ import annotations

import numpy as np

from ..network.feeder import Feeder

#: (upper bound of the nominal line-to-line voltage, V; v_min, v_max p.u.), in order.
ANSI_RANGE_A = ((600.0, 0.95, 1.05), (34_500.0, 0.975, 1.05), (np.inf, 0.95, 1.05))


def ansi_limits(feeder: Feeder) -> tuple[np.ndarray, np.ndarray]:
    """Range A limits per bus from each bus's voltage base, p.u., two arrays (n_bus,)."""
    nominal = np.sqrt(3.0) * np.asarray(feeder.v_base_v, dtype=float)
    bounds = np.array([b[0] for b in ANSI_RANGE_A])
    k = np.searchsorted(bounds, nominal * (1.0 - 1e-6))  # 600 V itself is low voltage
    table = np.array([b[1:] for b in ANSI_RANGE_A])
    return table[k, 0], table[k, 1]


def violations(feeder: Feeder, vm: np.ndarray, P: np.ndarray, Q: np.ndarray, *, tol: float = 1e-6,
               first: int = 10) -> tuple[list[str], int]:
    """Limits a power-flow state breaks, worst first.

    Parameters
    ----------
    feeder : Feeder
    vm : ndarray (T, n_bus, 3)
        Voltage magnitudes, p.u. (NaN on absent phases; the swing bus is not checked).
    P, Q : ndarray (T, n_line, 3)
        Flows, p.u. of the power base per phase (NaN on absent phases).
    tol : float
        Excess below this is not a violation, p.u.
    first : int
        How many to describe.

    Returns
    -------
    described : list of str
        The ``first`` bus-phases or line-phases furthest out of their limits, each naming the
        element, phase, value, limit and the periods it is out in, e.g.
        ``"bus '675' phase a: v 0.9312 < 0.975 p.u. in periods [17, 18]"``.
    count : int
        How many bus-phases and line-phases are out in at least one period.
    """
    buses = [f"bus '{b}'" for b in feeder.bus_names]
    lines = [f"line '{n}'" for n in feeder.line_names]
    checks = [  # (value, limit (n,), sign, names, format of one violation)
        (vm, feeder.v_min_pu, -1.0, buses, "v {:.4f} < {:.4g}"),
        (vm, feeder.v_max_pu, 1.0, buses, "v {:.4f} > {:.4g}"),
        (np.abs(P), feeder.p_max_pu, 1.0, lines, "|P| {:.4g} > {:.4g}"),
        (np.abs(Q), feeder.q_max_pu, 1.0, lines, "|Q| {:.4g} > {:.4g}"),
    ]
    found = []  # per check: (worst excess, check, element, phase) of every element-phase out
    for c, (value, limit, sign, _, _) in enumerate(checks):
        excess = np.nan_to_num(sign * (value - limit[None, :, None]), nan=-np.inf)
        if value is vm:
            excess[:, 0] = -np.inf  # the swing bus holds its voltage
        worst = excess.max(axis=0)
        j, ph = np.nonzero(worst > tol)
        found.append(np.stack([worst[j, ph], np.full(j.size, c), j, ph]))
    found = np.concatenate(found, axis=1)
    order = np.argsort(-found[0], kind="stable")[:first]
    described = []
    for c, j, ph in found[1:, order].T.astype(int):
        value, limit, sign, names, text = checks[c]
        series = value[:, j, ph]
        periods = np.flatnonzero(sign * (series - limit[j]) > tol)
        t = periods[np.argmax(sign * series[periods])]
        described.append(f"{names[j]} phase {'abc'[ph]}: {text.format(series[t], limit[j])} p.u. "
                         f"in periods {periods.tolist()}")
    return described, found.shape[1]
