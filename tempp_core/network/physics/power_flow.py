"""LinDist3Flow power flow for every period and scenario at once, by two tree sweeps."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import InjectionError
from ..feeder import Feeder
from ..feeder.phases import PHASE_LETTERS
from ..kernels.sweeps import flow_sweep, voltage_sweep
from .layout import as_bus_major, to_public


@dataclass(frozen=True, eq=False)
class PowerFlowBuffers:
    """Bus-major output buffers of :func:`power_flow`, reusable across calls.

    Attributes
    ----------
    v2, vm : ndarray (n_bus, B, 3)
    P, Q : ndarray (n_line, B, 3)
    """

    v2: np.ndarray
    vm: np.ndarray
    P: np.ndarray
    Q: np.ndarray

    @classmethod
    def allocate(cls, feeder: Feeder, batch_size: int) -> "PowerFlowBuffers":
        """Buffers for ``batch_size`` periods/scenarios (touched once, so the page faults of
        a fresh allocation are paid here and not in the timed calls)."""
        shape_bus = (feeder.n_bus, batch_size, 3)
        shape_line = (feeder.n_line, batch_size, 3)
        # np.full writes every page now (np.zeros would defer the page faults to the first sweep).
        return cls(*(np.full(s, 0.0) for s in (shape_bus, shape_bus, shape_line, shape_line)))

    @property
    def batch_size(self) -> int:
        return self.v2.shape[1]


@dataclass(frozen=True, eq=False)
class PowerFlowResult:
    """Network state of a power flow.

    Attributes
    ----------
    v2, vm : ndarray (..., n_bus, 3)
        Squared and plain voltage magnitudes, p.u. (NaN on absent phases). Where the load
        drives v2 to zero or below (voltage collapse: the linear model has no solution there),
        or where loads and impedances so large that the arithmetic overflows leave v2
        non-finite, vm is 0 and :attr:`collapsed` is True.
    P, Q : ndarray (..., n_line, 3)
        Active and reactive flow at the sending end of each line, p.u. (NaN on absent phases).
    feeder : Feeder
    collapsed : bool ndarray (..., n_bus, 3)
        Present bus-phases whose squared voltage is at or below zero, or not finite.
    """

    v2: np.ndarray
    vm: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    feeder: Feeder
    collapsed: np.ndarray

    @property
    def n_collapsed(self) -> int:
        return int(self.collapsed.sum())

    def to_frame(self, kind: str = "bus") -> pd.DataFrame:
        """Long table of the state: ``kind='bus'`` gives (batch..., bus, phase) -> v2_pu2,
        vm_pu, collapsed; ``kind='line'`` gives (batch..., line, phase) -> p_pu, q_pu. Absent
        phases are dropped."""
        f = self.feeder
        if kind == "bus":
            names, cols, values = f.bus_names, ("v2_pu2", "vm_pu", "collapsed"), (self.v2, self.vm, self.collapsed)
        elif kind == "line":
            names, cols, values = f.line_names, ("p_pu", "q_pu"), (self.P, self.Q)
        else:
            raise ValueError(f"kind must be 'bus' or 'line', got {kind!r}")
        batch = values[0].shape[:-2]
        index = pd.MultiIndex.from_product(
            [range(b) for b in batch] + [list(names), list(PHASE_LETTERS)],
            names=[f"batch{i}" for i in range(len(batch))] + [kind, "phase"],
        )
        frame = pd.DataFrame({c: v.reshape(-1) for c, v in zip(cols, values)}, index=index)
        return frame.dropna(subset=[cols[0]])


def power_flow(feeder: Feeder, p, q, *, out: PowerFlowBuffers | None = None) -> PowerFlowResult:
    """Solve LinDist3Flow for a batch of net loads.

    Parameters
    ----------
    feeder : Feeder
    p, q : array_like (..., n_bus, 3)
        Net active and reactive load per bus and phase, p.u. of ``feeder.s_base_kva``
        (consumption positive, injection negative), not counting the feeder's own fixed
        capacitors (``feeder.cap_q_pu``), which are added as injections at nominal voltage.
        Leading dimensions (periods, scenarios) are a batch solved at once. The swing bus's
        entry is ignored (the swing supplies the balance); entries on absent phases must be
        zero.
    out : PowerFlowBuffers, optional
        Reuse these buffers (batch size must match); the result's arrays are views of
        them, overwritten by the next call that reuses them.

    Returns
    -------
    PowerFlowResult
        ``v2``, ``vm`` (..., n_bus, 3) and ``P``, ``Q`` (..., n_line, 3), p.u.; bus-phases
        whose voltage collapses (v2 <= 0) are flagged in ``collapsed`` and a RuntimeWarning
        says how many.

    Raises
    ------
    InjectionError
        Wrong shape, non-finite value, or a non-zero load on a phase a bus lacks.

    Examples
    --------
    >>> import tempp_core as tc
    >>> feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    >>> res = tc.power_flow(feeder, p, q)
    >>> res.vm.shape == (feeder.n_bus, 3)
    True
    """
    p_bm, batch = as_bus_major(p, feeder.n_bus, "p")
    q_bm, _ = as_bus_major(q, feeder.n_bus, "q", batch)
    nb = p_bm.shape[1]
    if out is None:
        out = PowerFlowBuffers.allocate(feeder, nb)
    elif out.batch_size != nb or out.v2.shape[0] != feeder.n_bus:
        raise InjectionError(
            f"buffers hold {out.v2.shape[:2]} (bus, batch); this call needs ({feeder.n_bus}, {nb})"
        )
    solve_bus_major(feeder, p_bm, q_bm, out)
    # The kernel writes vm = 0 exactly where v2 <= 0 or v2 is not finite (vm is NaN on absent phases).
    collapsed = to_public(out.vm, batch) == 0.0
    if collapsed.any():
        where = np.argwhere(collapsed)[0]
        warnings.warn(f"power_flow: the voltage collapses (v2 <= 0 or not finite) on {int(collapsed.sum())} "
                      f"bus-phase(s), first at "
                      f"bus '{feeder.bus_names[where[-2]]}' phase {'abc'[where[-1]]}; see result.collapsed",
                      RuntimeWarning, stacklevel=2)
    return PowerFlowResult(
        v2=to_public(out.v2, batch), vm=to_public(out.vm, batch),
        P=to_public(out.P, batch), Q=to_public(out.Q, batch), feeder=feeder, collapsed=collapsed,
    )


def solve_bus_major(feeder: Feeder, p_bm: np.ndarray, q_bm: np.ndarray, out: PowerFlowBuffers,
                    mark_absent: bool = True) -> None:
    """Kernel-level power flow on bus-major arrays (n_bus, B, 3) into ``out``.

    With ``mark_absent=False`` absent phases hold zeros instead of NaN (what the
    constraint checks of TEMO want)."""
    bad = flow_sweep(feeder.child_ptr, feeder.child, feeder.bus_phases, p_bm, q_bm, feeder.cap_q_pu, out.P,
                     out.Q)
    if bad >= 0:
        raise InjectionError(
            f"bus '{feeder.bus_names[bad]}' has a non-zero load on a phase it lacks "
            f"(it has only '{feeder.phase_string(bad)}')"
        )
    # Every bus's load reaches one of the lines leaving the swing bus: checking those few
    # rows finds any non-finite input without another pass over the batch.
    head = feeder.child[feeder.child_ptr[0]:feeder.child_ptr[1]] - 1
    if not (np.isfinite(out.P[head]).all() and np.isfinite(out.Q[head]).all()):
        _raise_non_finite(feeder, p_bm, q_bm, out.P, out.Q, head)
    v_root = np.broadcast_to(feeder.v_swing_pu**2, (p_bm.shape[1], 3)).copy()
    voltage_sweep(feeder.parent, feeder.bus_phases, feeder.ratio2, feeder.MP, feeder.MQ, v_root,
                  out.P, out.Q, out.v2, out.vm, mark_absent)


def _raise_non_finite(feeder: Feeder, p_bm: np.ndarray, q_bm: np.ndarray, P: np.ndarray, Q: np.ndarray,
                      head: np.ndarray) -> None:
    """Name the first bus with a non-finite load or, when every load is finite, the line whose
    flow (the sum of the loads below it) overflowed."""
    bad = np.flatnonzero(~(np.isfinite(p_bm) & np.isfinite(q_bm)).all(axis=(1, 2)))
    if bad.size:
        raise InjectionError(f"bus '{feeder.bus_names[bad[0]]}' has a non-finite load")
    line = head[np.flatnonzero(~(np.isfinite(P[head]) & np.isfinite(Q[head])).all(axis=(1, 2)))[0]]
    largest = float(max(np.abs(p_bm).max(), np.abs(q_bm).max()))
    raise InjectionError(f"the loads below line '{feeder.line_names[line]}' add up to a non-finite flow (the largest "
                         f"is {largest:.3g} p.u. of s_base_kva {feeder.s_base_kva:g}); expected loads in p.u., "
                         "small enough to add up")
