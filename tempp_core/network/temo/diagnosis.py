"""What binds when the network cannot be secured: TEMO's report, for the user who runs both sides.

At the market's last proposal, every violated safety constraint is listed with the periods it
is violated in, by how much, and whether the participants could move it at all: TEMO takes the
exact gradient of the constraint with respect to every transaction and, given the
transactions' bounds, the furthest each participant alone could push it
(``u + sum_i min over [lo_i, hi_i] of g_i (x_i - x*_i)``). A constraint that no participant
moves, or that stays violated with every participant at its most helpful bound, cannot be fixed
by the market; one within reach is infeasible only together with other constraints, the
balance or the customers' daily floors.

The market never sees this report: it names buses, lines and phases.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .limits import KINDS, violated_constraints

#: Constraint kinds in the report (voltage rows in |V|, flow rows in P or Q).
KIND_NAMES = {"v2_max": "v_max", "v2_min": "v_min", "P_max": "p_max", "P_min": "p_min", "Q_max": "q_max",
              "Q_min": "q_min"}

#: Constraints whose gradients are taken in one adjoint sweep.
BATCH = 256

NO_PARTICIPANT = "no participant moves it"
OUT_OF_REACH = "out of reach: every participant at its most helpful bound leaves it violated"
CONFLICT = "within reach alone: infeasible together with other constraints, the balance or daily floors"


def diagnose(temo, x_kw: np.ndarray, lower_kw: np.ndarray, upper_kw: np.ndarray) -> pd.DataFrame:
    """The violated constraints at transactions ``x_kw``.

    Parameters
    ----------
    temo : Temo
    x_kw, lower_kw, upper_kw : ndarray (layout.size,)
        The proposal and the bounds of every transaction, kW.

    Returns
    -------
    DataFrame
        One row per constraint (kind, element, phase): ``kind`` (v_max, v_min, p_max, ...),
        ``element`` (bus or line name), ``phase``, ``periods`` (list), ``worst_violation_pu``
        (|V| for voltages, P or Q for flows), ``best_reachable_pu`` (the smallest violation the
        participants could reach alone in the worst of those periods; <= 0 means reachable),
        ``sensitivity_per_kw`` (largest |d u / d x| over participants, in the constraint's own
        units per kW: squared voltage for voltage limits), ``verdict``.
    """
    f, lay = temo.feeder, temo.layout
    state = temo.state(x_kw)
    kind, element, period, phase, value = violated_constraints(temo.limits, state.v2, state.P, state.Q, tol=1e-12)
    if kind.size == 0:
        return pd.DataFrame(columns=["kind", "element", "phase", "periods", "worst_violation_pu", "best_reachable_pu",
                                     "sensitivity_per_kw", "verdict"])
    x, lower, upper = (lay.by_participant(np.asarray(a)) for a in (x_kw, lower_kw, upper_kw))
    reach, sensitivity = np.empty(kind.size), np.empty(kind.size)
    for start in range(0, kind.size, BATCH):  # gradients a batch of constraints at a time
        sl = slice(start, start + BATCH)
        grad = temo.constraint_gradients(kind[sl], element[sl], period[sl], phase[sl], state.P)  # (rows, C) per kW
        down, up = lower[:, period[sl]] - x[:, period[sl]], upper[:, period[sl]] - x[:, period[sl]]
        reach[sl] = value[sl] + np.minimum(grad * down, grad * up).sum(axis=0)
        sensitivity[sl] = np.abs(grad).max(axis=0, initial=0.0)
    voltage = kind < 2
    bus = np.minimum(element, f.n_bus - 1)
    v_max, v_min = f.v_max_pu[bus], f.v_min_pu[bus]

    def in_vm(excess: np.ndarray) -> np.ndarray:
        """A violation of v2 = |V|^2 by ``excess`` as a violation of |V|, p.u."""
        return np.where(kind == 0, np.sqrt(np.maximum(v_max**2 + excess, 0.0)) - v_max,
                        v_min - np.sqrt(np.maximum(v_min**2 - excess, 0.0)))

    violation = np.where(voltage, in_vm(value), value)
    reachable = np.where(voltage, in_vm(reach), reach)
    names = np.where(voltage, np.asarray(f.bus_names, dtype=object)[bus],
                     np.asarray(f.line_names + ("",), dtype=object)[np.minimum(element, f.n_line)])
    frame = pd.DataFrame({
        "kind": [KIND_NAMES[KINDS[k]] for k in kind], "element": names, "phase": np.array(list("abc"))[phase],
        "period": period, "violation": violation, "reachable": reachable, "sensitivity": sensitivity,
    })
    grouped = frame.groupby(["kind", "element", "phase"], sort=False).agg(
        periods=("period", lambda p: sorted(int(t) for t in p)), worst_violation_pu=("violation", "max"),
        best_reachable_pu=("reachable", "max"), sensitivity_per_kw=("sensitivity", "max")).reset_index()
    grouped["verdict"] = np.where(grouped["sensitivity_per_kw"] <= 1e-15, NO_PARTICIPANT,
                                  np.where(grouped["best_reachable_pu"] > 1e-9, OUT_OF_REACH, CONFLICT))
    return grouped.sort_values("worst_violation_pu", ascending=False, ignore_index=True)
