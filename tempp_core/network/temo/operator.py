"""The TEMO object: power flow on proposed transactions, violation, cuts.

One call can assess many proposals on the same feeder (scenarios, or the markets of a
batch run in lockstep): their power flows and cut gradients then go through the kernels as
one batch of S x T columns.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...messages import FeasibilityCut, TemoReply, Transactions
from ...options import ClearingOptions, CutMode, LoadMode, NetworkModel, Sensitivity as SensitivityMode, SlackMethod
from ..feeder import Feeder
from ..physics.ac_power_flow import ac_power_flow
from ..physics.power_flow import PowerFlowBuffers, solve_bus_major
from ..physics.sensitivity import AdjointBuffers, Sensitivity
from ..placement import InjectionMap
from .cuts import build_cuts
from .ledger import ConstraintWeights, CutLedger
from .limits import KINDS, Assessment, SafetyLimits, assess, constraint_values, violated_constraints
from .privacy import CutPrivacy
from .slack import solve_slack_lp
#: Constraint cuts are computed in batches of this many adjoint columns.
CONSTRAINT_BATCH = 256


@dataclass(frozen=True, eq=False)
class NetworkState:
    """TEMO-side network state at one or more proposals (never sent to the market).

    Attributes
    ----------
    v2, P, Q : ndarray, bus-major (n, S*T, 3), zeros on absent phases
    assessment : Assessment
        Per column (scenario-major: column ``s*T + t``).
    """

    v2: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    assessment: Assessment


class Temo:
    """The TEM operator: holds the feeder and the placement, sees only quantities.

    Parameters
    ----------
    feeder : Feeder
    injections : InjectionMap
        Where each DER and customer connects, as the map from transactions (kW) to net
        loads (p.u.); its layout names the market's transaction variables.
    options : ClearingOptions
        TEMO reads ``sensitivity`` (exact adjoint sweeps, or the appendix's (B7)-(B14)),
        ``cuts`` (granularity), ``slack`` (closed form or HiGHS LP), ``tol`` (violation Φ*,
        p.u., at or below which a proposal is safe) and ``loads``: with fixed loads the cuts
        involve DERs and the MG only (the appendix's sequence); ``privacy`` (what is done to
        the cuts before they are sent, :mod:`.privacy`).
    seed : int, numpy Generator or None
        Randomness of the privacy mechanisms; None draws fresh entropy (the market must not
        be able to replay it). Give a seed for reproducible studies.
    """

    def __init__(self, feeder: Feeder, injections: InjectionMap, options: ClearingOptions = ClearingOptions(),
                 seed: int | np.random.Generator | None = None) -> None:
        self.feeder = feeder
        self.injections = injections
        self.layout = injections.layout
        self.options = options
        self.limits = SafetyLimits.of(feeder)
        self._exact = Sensitivity(feeder)
        self._buffers: dict[int, tuple[PowerFlowBuffers, AdjointBuffers]] = {}
        self._movable = np.ones(self.layout.n_participant_rows, dtype=bool)
        if options.loads is LoadMode.FIXED:
            self._movable[self.layout.customer_rows] = False
        self.ledger = CutLedger()
        self._privacy = CutPrivacy(options.privacy, self.layout, self._movable, seed)
        # The state of the last single proposal: a clearing's report asks again for the
        # state of its final transactions, which TEMO has just checked (one power flow
        # and assessment fewer; at 10^6 buses x 24 periods about a second and 2 GB).
        self._last: tuple[np.ndarray, NetworkState] | None = None

    # ------------------------------------------------------------------ the exchange
    def check(self, transactions: Transactions) -> TemoReply:
        """Assess a proposal and answer with the violation and, if unsafe, the cuts."""
        return self.check_many([transactions])[0]

    def check_many(self, proposals: Sequence[Transactions]) -> list[TemoReply]:
        """Assess S proposals in one batch (one power flow, one adjoint); one reply each."""
        X = np.stack([t.to_vector() for t in proposals])
        S, T = X.shape[0], self.layout.n_periods
        state = self.state(X)
        phi = state.assessment.phi.reshape(S, T)
        unsafe = [s for s in range(S) if phi[s].sum() > self.options.tol]
        cuts = self._cuts(X, state, unsafe) if unsafe else {}
        return [TemoReply(violation=self._privacy.reported_violation(float(phi[s].sum()), self.options.tol),
                          cuts=cuts.get(s, ())) for s in range(S)]

    def state(self, x_kw: np.ndarray) -> NetworkState:
        """Power flow and assessment at one transaction vector (n_x,) or a stack (S, n_x), in
        the network model of the options (LinDist3Flow, or AC)."""
        x_kw = np.asarray(x_kw, dtype=np.float64)
        single = x_kw.ndim == 1 or x_kw.shape[0] == 1
        if single and self._last is not None and np.array_equal(self._last[0], x_kw.reshape(-1)):
            return self._last[1]
        if self.options.network is NetworkModel.AC:
            state = self.ac_state(x_kw)
        else:
            p, q = self.injections.net_load(x_kw)
            pf, _ = self._buffers_for(p.shape[1])
            solve_bus_major(self.feeder, p, q, pf, mark_absent=False)
            state = self._assessed(*(a.copy() for a in (pf.v2, pf.P, pf.Q)))
        self._last = (x_kw.reshape(-1).copy(), state) if single else None
        return state

    def ac_state(self, x_kw: np.ndarray) -> NetworkState:
        """The AC state (:func:`tempp_core.ac_power_flow`, constant-power participants) and its
        assessment, with ``v2 = |V|^2``. A batch element that does not converge counts as
        collapsed: :func:`tempp_core.ac_power_flow` gives it zero voltage and flow on every
        present phase, the worst violation there is."""
        p, q = self.injections.net_load(x_kw)
        f = self.feeder
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # reported through the assessment instead
            res = ac_power_flow(f, np.moveaxis(p, 1, 0), np.moveaxis(q, 1, 0))
        on_bus, on_line = f.bus_phases[:, None, :], f.line_phases[:, None, :]
        v2 = np.where(on_bus, np.moveaxis(res.vm, 0, 1) ** 2, 0.0)
        P = np.where(on_line, np.moveaxis(res.P, 0, 1), 0.0)
        Q = np.where(on_line, np.moveaxis(res.Q, 0, 1), 0.0)
        return self._assessed(np.ascontiguousarray(v2), np.ascontiguousarray(P), np.ascontiguousarray(Q))

    def _assessed(self, v2: np.ndarray, P: np.ndarray, Q: np.ndarray) -> NetworkState:
        if self.options.slack is SlackMethod.LP:
            return NetworkState(v2, P, Q, self._assess_lp(v2, P, Q))
        return NetworkState(v2, P, Q, assess(self.limits, v2, P, Q))

    def connection_prices(self, cuts: Sequence[FeasibilityCut], cut_duals: np.ndarray) -> np.ndarray:
        """The network part of the locational price of a kW of active load at every bus and
        phase, (T, n_bus, 3) $/kWh: ``sum_k eta_k / scale_k d(y_k . u)/dp`` over the cuts this
        TEMO sent (by one adjoint sweep; NaN on absent phases, zero at the swing bus). Add
        the system price rho_t for the full price. For the user who runs both sides: the
        market never receives it.
        """
        f, T = self.feeder, self.layout.n_periods
        weights = self.ledger.combined(cuts, np.asarray(cut_duals, dtype=np.float64))
        y_v2, y_P, y_Q = weights.dense(f.n_bus, f.n_line, T)
        # Exact sensitivities whatever the cut mode: in paper mode this prices the same
        # constraint weights exactly (the appendix's sensitivities depend on flows).
        g_p = self._exact.adjoint_bus_major(y_v2, y_P, y_Q).g_p
        return np.where(f.bus_phases[None], np.moveaxis(g_p, 1, 0) / f.s_base_kva, np.nan)

    # ------------------------------------------------------------------ internals
    def _buffers_for(self, batch: int) -> tuple[PowerFlowBuffers, AdjointBuffers]:
        if batch not in self._buffers:
            self._buffers[batch] = (PowerFlowBuffers.allocate(self.feeder, batch),
                                    AdjointBuffers.allocate(self.feeder, batch))
        return self._buffers[batch]

    def _assess_lp(self, v2, P, Q) -> Assessment:
        u = constraint_values(self.limits, v2, P, Q)
        B = v2.shape[1]
        phi = np.zeros(B)
        ys = []
        for ui in u:
            per_column = [solve_slack_lp(ui[:, b, :]) for b in range(B)]
            phi += [e for e, _ in per_column]
            ys.append(np.stack([y for _, y in per_column], axis=1))
        worst = max(float(np.max(np.maximum(ui, 0.0), initial=0.0)) for ui in u)
        return Assessment(phi, ys[0] - ys[1], ys[2] - ys[3], ys[4] - ys[5], worst)

    def _adjoint(self, y_v2, y_P, y_Q, P_at) -> tuple[np.ndarray, np.ndarray]:
        """Gradients w.r.t. net load, bus-major (n_bus, B, 3), for weights bus-major."""
        if self.options.sensitivity is SensitivityMode.EXACT:
            # reuse the buffers of a batch size seen in state(); one-off sizes allocate
            out = self._buffers.get(y_v2.shape[1], (None, None))[1]
            out = self._exact.adjoint_bus_major(y_v2, y_P, y_Q, out)
            return out.g_p, out.g_q
        from ..physics.paper import PaperSensitivity

        paper = PaperSensitivity(self.feeder, _public(P_at))
        g_p, g_q = paper.adjoint(_public(y_v2), _public(y_P), _public(y_Q))
        return np.moveaxis(g_p, 0, 1), np.moveaxis(g_q, 0, 1)

    def _cuts(self, X: np.ndarray, state: NetworkState, unsafe: list[int]) -> dict[int, tuple[FeasibilityCut, ...]]:
        T = self.layout.n_periods
        if self._privacy.mixes:
            cuts = self._mixed_cuts(X, state, unsafe)
        elif self.options.cuts is CutMode.CONSTRAINT:
            cuts = {s: self._constraint_cuts(X[s], state, slice(s * T, (s + 1) * T)) for s in unsafe}
        else:
            cuts = self._grouped_cuts(X, state, unsafe)
        sent = {s: self._privacy.finish(cuts[s], X[s]) for s in unsafe}
        for s in unsafe:
            for made, changed in zip(cuts[s], sent[s]):
                if changed is not made:
                    self.ledger.relabel(made, changed)
        return sent

    def _grouped_cuts(self, X: np.ndarray, state: NetworkState, unsafe: list[int]):
        T = self.layout.n_periods
        a = state.assessment
        g_p, g_q = self._adjoint(a.y_v2, a.y_P, a.y_Q, state.P)
        grad = self.injections.gradient(g_p, g_q) * self._movable[:, None]
        # Every unsafe proposal's cuts in one assembly: columns are (scenario, violated period).
        phi = a.phi.reshape(-1, T)
        mask = np.zeros_like(phi, dtype=bool)
        # A proposal is unsafe when its total exceeds tol: some period then exceeds tol / T.
        mask[unsafe] = phi[unsafe] > self.options.tol / T
        scen, period = np.nonzero(mask)
        if self.options.cuts is CutMode.PERIOD:
            groups = np.arange(scen.size)
        else:  # one aggregate cut per proposal
            groups = np.searchsorted(np.unique(scen), scen)
        return self._assemble(grad[:, scen * T + period], period, phi[scen, period], groups, X, scen, unsafe,
                              (a.y_v2, a.y_P, a.y_Q), scen * T + period)

    def _mixed_cuts(self, X: np.ndarray, state: NetworkState, unsafe: list[int]):
        mix = self._privacy.mixing_weights(self.limits, state.v2, state.P, state.Q, state.assessment.phi, unsafe,
                                           self.options.cuts, self.options.tol)
        g_p, g_q = self._adjoint(mix.y_v2, mix.y_P, mix.y_Q, np.ascontiguousarray(state.P[:, mix.columns, :]))
        grad = self.injections.gradient(g_p, g_q) * self._movable[:, None]
        return self._assemble(grad, mix.periods, mix.phi, mix.groups, X, mix.scenarios, unsafe,
                              (mix.y_v2, mix.y_P, mix.y_Q), np.arange(mix.periods.size))

    def _assemble(self, grad, periods, phi, groups, X, scen, unsafe, y,
                  columns) -> dict[int, tuple[FeasibilityCut, ...]]:
        """Cuts of several proposals in one :func:`build_cuts` assembly (columns grouped by
        proposal, groups numbered in that order), each recorded in the ledger with its weights
        ``y`` (bus-major arrays, taken at ``columns``), split by proposal."""
        cuts, scales = build_cuts(self.layout, grad, periods, phi, groups, X, scen)
        for g, (cut, scale) in enumerate(zip(cuts, scales)):
            mine = groups == g
            self.ledger.record(cut, ConstraintWeights.of_columns(*y, columns[mine], periods[mine]), scale)
        owner = np.zeros(len(cuts), dtype=np.int64)
        owner[groups] = scen
        edges = np.searchsorted(owner, np.arange(X.shape[0] + 1))
        return {s: cuts[edges[s]:edges[s + 1]] for s in unsafe}

    def _constraint_cuts(self, x: np.ndarray, state: NetworkState, columns: slice):
        v2, P, Q = state.v2[:, columns], state.P[:, columns], state.Q[:, columns]
        kind, element, period, phase, value = violated_constraints(self.limits, v2, P, Q, tol=0.0)
        keep = value > self.options.tol / max(value.size, 1)
        kind, element, period, phase, value = (a[keep] for a in (kind, element, period, phase, value))
        grads = []
        for start in range(0, kind.size, CONSTRAINT_BATCH):
            sl = slice(start, start + CONSTRAINT_BATCH)
            grads.append(self.constraint_gradients(kind[sl], element[sl], period[sl], phase[sl], P))
        grad = np.hstack(grads) * self._movable[:, None]
        cuts, scales = build_cuts(self.layout, grad, period, value, np.arange(kind.size), x)
        sign = np.where(kind % 2 == 0, 1.0, -1.0)  # upper limits +1, lower limits -1
        for k, (cut, scale) in enumerate(zip(cuts, scales)):
            self.ledger.record(cut, ConstraintWeights(np.array([kind[k] // 2]), element[k:k + 1], phase[k:k + 1],
                                                      period[k:k + 1], sign[k:k + 1]), scale)
        return cuts

    def constraint_gradients(self, kind, element, period, phase, P) -> np.ndarray:
        """Gradient of each listed constraint (kind of :data:`KINDS`, element, period, phase)
        with respect to every participant row of the layout, per kW: (n_participant_rows, C)."""
        f = self.feeder
        C = kind.size
        y_v2 = np.zeros((f.n_bus, C, 3))
        y_P = np.zeros((f.n_line, C, 3))
        y_Q = np.zeros((f.n_line, C, 3))
        sign = np.where(kind % 2 == 0, 1.0, -1.0)  # upper limits +1, lower limits -1
        col = np.arange(C)
        for k, target in ((0, y_v2), (2, y_P), (4, y_Q)):
            sel = kind // 2 == k // 2
            target[element[sel], col[sel], phase[sel]] = sign[sel]
        g_p, g_q = self._adjoint(y_v2, y_P, y_Q, np.ascontiguousarray(P[:, period, :]))
        return self.injections.gradient(g_p, g_q)


def _public(bus_major: np.ndarray) -> np.ndarray:
    """(n, B, 3) bus-major -> (B, n, 3) view, the public layout."""
    return np.moveaxis(bus_major, 0, 1)


__all__ = ["Temo", "NetworkState", "KINDS"]
