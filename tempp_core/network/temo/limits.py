"""Safety constraints u(x) <= 0 (the set (A4)) and their violation.

Per bus, phase and period: ``v_min^2 <= v2 <= v_max^2`` (all buses but the swing bus);
per line, phase and period: ``|P| <= p_max`` and ``|Q| <= q_max`` (Table C3 by default).
Every constraint is linear in the state, so its weight in a cut is +-1 on one state entry.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..feeder import Feeder
from ..kernels.assessment import assess_kernel

#: Constraint kinds, in the order used by :func:`violated_constraints`.
KINDS = ("v2_max", "v2_min", "P_max", "P_min", "Q_max", "Q_min")


@dataclass(frozen=True, eq=False)
class SafetyLimits:
    """Limits in state units, with +-inf where a constraint does not exist.

    Attributes
    ----------
    v2_lo, v2_hi : ndarray (n_bus, 1, 3)
        Squared-voltage limits (p.u.^2); +-inf at the swing bus and on absent phases.
    p_max, q_max : ndarray (n_line, 1, 3)
        Flow limits (p.u.); +inf on absent phases.
    """

    v2_lo: np.ndarray
    v2_hi: np.ndarray
    p_max: np.ndarray
    q_max: np.ndarray

    @classmethod
    def of(cls, feeder: Feeder) -> "SafetyLimits":
        held = np.zeros(feeder.n_bus, dtype=bool)
        held[0] = True  # the swing bus's voltage is fixed, not limited
        bus_on = feeder.bus_phases & ~held[:, None]
        v2_lo = np.where(bus_on, (feeder.v_min_pu**2)[:, None], -np.inf)[:, None, :]
        v2_hi = np.where(bus_on, (feeder.v_max_pu**2)[:, None], np.inf)[:, None, :]
        p_max = np.where(feeder.line_phases, feeder.p_max_pu[:, None], np.inf)[:, None, :]
        q_max = np.where(feeder.line_phases, feeder.q_max_pu[:, None], np.inf)[:, None, :]
        return cls(*(np.ascontiguousarray(a) for a in (v2_lo, v2_hi, p_max, q_max)))


@dataclass(frozen=True, eq=False)
class Assessment:
    """Violation of every safety constraint at one network state (closed form of (A5)-(A10)).

    Attributes
    ----------
    phi : ndarray (B,)
        Φ* = E* per period: the sum of positive violations, p.u.
    y_v2, y_P, y_Q : ndarray, bus-major (n, B, 3)
        Dual weights of the slack problem mapped onto the state: ``+1`` where an upper
        limit is violated, ``-1`` where a lower limit is, 0 elsewhere (so that
        ``y . state`` grows with the violation).
    worst : float
        Largest single violation, p.u.
    """

    phi: np.ndarray
    y_v2: np.ndarray
    y_P: np.ndarray
    y_Q: np.ndarray
    worst: float

    @property
    def total(self) -> float:
        return float(self.phi.sum())


def constraint_values(limits: SafetyLimits, v2, P, Q) -> tuple[np.ndarray, ...]:
    """u for every constraint kind of :data:`KINDS`, bus-major (n, B, 3); -inf where absent."""
    return (v2 - limits.v2_hi, limits.v2_lo - v2, P - limits.p_max, -limits.p_max - P,
            Q - limits.q_max, -limits.q_max - Q)


def assess(limits: SafetyLimits, v2: np.ndarray, P: np.ndarray, Q: np.ndarray) -> Assessment:
    """Closed-form slack problem: ``y_l = 1`` iff ``u_l > 0``, ``Φ* = sum max(0, u_l)``,
    in one pass over the state (:func:`tempp_core.network.kernels.assessment.assess_kernel`).

    Parameters
    ----------
    v2 : ndarray (n_bus, B, 3); P, Q : ndarray (n_line, B, 3)
        Network state, bus-major, zeros (not NaN) on absent phases.
    """
    B = v2.shape[1]
    phi = np.empty(B)
    y_v2, y_P, y_Q = np.empty(v2.shape), np.empty(P.shape), np.empty(Q.shape)
    worst = assess_kernel(v2, P, Q, limits.v2_lo[:, 0], limits.v2_hi[:, 0], limits.p_max[:, 0], limits.q_max[:, 0],
                          phi, y_v2, y_P, y_Q)
    return Assessment(phi, y_v2, y_P, y_Q, float(worst))


def violated_constraints(limits: SafetyLimits, v2, P, Q, tol: float = 0.0):
    """Every violated constraint, for cuts of granularity ``'constraint'``.

    Returns
    -------
    kind, element, period, phase : int ndarrays
        ``kind`` indexes :data:`KINDS`; ``element`` is a bus (voltage kinds) or line.
    value : ndarray
        u > tol of each.
    """
    parts = []
    for k, ui in enumerate(constraint_values(limits, v2, P, Q)):
        e, t, ph = np.nonzero(ui > tol)
        parts.append((np.full(e.size, k), e, t, ph, ui[e, t, ph]))
    return tuple(np.concatenate(col) for col in zip(*parts))


@dataclass(frozen=True)
class LimitExcess:
    """The largest single violation of each class of safety limit over a state, p.u.
    (voltages in |V|, flows in P or Q); 0 where every limit holds, inf where the state has a
    non-finite value on a constraint that exists (a collapsed power flow)."""

    v_max_pu: float
    v_min_pu: float
    p_max_pu: float
    q_max_pu: float

    @property
    def worst_pu(self) -> float:
        return max(self.v_max_pu, self.v_min_pu, self.p_max_pu, self.q_max_pu)

    @classmethod
    def of(cls, feeder: Feeder, vm: np.ndarray, P: np.ndarray, Q: np.ndarray) -> "LimitExcess":
        """From a state in the public layout: ``vm`` (..., n_bus, 3), ``P``, ``Q`` (..., n_line,
        3), NaN allowed on absent phases only (elsewhere it counts as a collapse)."""
        bus_on = feeder.bus_phases.copy()
        bus_on[0] = False  # the swing bus is held, not limited
        line_on = feeder.line_phases

        def worst(excess: np.ndarray, on: np.ndarray) -> float:
            values = np.where(on, excess, 0.0)
            if np.isnan(values).any():
                return float("inf")
            return float(np.maximum(values, 0.0).max(initial=0.0))

        return cls(
            v_max_pu=worst(vm - feeder.v_max_pu[:, None], bus_on),
            v_min_pu=worst(feeder.v_min_pu[:, None] - vm, bus_on),
            p_max_pu=worst(np.abs(P) - feeder.p_max_pu[:, None], line_on),
            q_max_pu=worst(np.abs(Q) - feeder.q_max_pu[:, None], line_on),
        )
