"""TEMO's private record of how each cut it sent was made.

A cut is ``grad(y . u)(x) . x <= rhs`` scaled by ``1 / scale``: the weights y on the safety
constraints (which constraints were violated, in which periods) stay with TEMO. With the
market's cut multipliers eta, TEMO can then price a kW at any bus and phase — the network
part of a locational price, ``sum_k eta_k / scale_k grad_k(y_k . u)`` — by one adjoint sweep.
That join is made only for the user who runs both sides (:func:`tempp_core.clear`); neither
party receives the other's data.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...messages import FeasibilityCut

#: Quantity codes of :class:`ConstraintWeights`: squared voltage (bus), active and reactive
#: flow (line).
V2, P_FLOW, Q_FLOW = 0, 1, 2


@dataclass(frozen=True, eq=False)
class ConstraintWeights:
    """Sparse weights on state entries: ``sum weight * state[quantity][element, period, phase]``.

    All arrays have one entry per weight; ``period`` is the market period (0..T-1).
    """

    quantity: np.ndarray
    element: np.ndarray
    phase: np.ndarray
    period: np.ndarray
    weight: np.ndarray

    @classmethod
    def of_columns(cls, y_v2: np.ndarray, y_P: np.ndarray, y_Q: np.ndarray, columns: np.ndarray,
                   periods: np.ndarray) -> "ConstraintWeights":
        """The non-zero weights of bus-major weight arrays (n, B, 3) in ``columns`` (batch
        columns), each taken as market period ``periods[i]``."""
        parts = []
        for code, y in ((V2, y_v2), (P_FLOW, y_P), (Q_FLOW, y_Q)):
            e, c, ph = np.nonzero(y[:, columns, :])
            parts.append((np.full(e.size, code), e, ph, periods[c], y[e, columns[c], ph]))
        return cls(*(np.concatenate(col) for col in zip(*parts)))

    def scaled(self, factor: float) -> "ConstraintWeights":
        return ConstraintWeights(self.quantity, self.element, self.phase, self.period, self.weight * factor)

    @classmethod
    def concatenate(cls, items: Sequence["ConstraintWeights"]) -> "ConstraintWeights":
        fields = ("quantity", "element", "phase", "period", "weight")
        if not items:
            return cls(*(np.zeros(0, dtype=np.int64) for _ in fields[:-1]), np.zeros(0))
        return cls(*(np.concatenate([getattr(i, f) for i in items]) for f in fields))

    def dense(self, n_bus: int, n_line: int, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bus-major (n, T, 3) weight arrays on v2, P and Q."""
        out = (np.zeros((n_bus, T, 3)), np.zeros((n_line, T, 3)), np.zeros((n_line, T, 3)))
        for code, target in enumerate(out):
            sel = self.quantity == code
            np.add.at(target, (self.element[sel], self.period[sel], self.phase[sel]), self.weight[sel])
        return out


class CutLedger:
    """Every cut TEMO sent, with its constraint weights and scale (kept by the cut object)."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[FeasibilityCut, ConstraintWeights, float]] = {}

    def record(self, cut: FeasibilityCut, weights: ConstraintWeights, scale: float) -> None:
        self._entries[id(cut)] = (cut, weights, scale)  # the cut is kept, so its id stays unique

    def relabel(self, made: FeasibilityCut, sent: FeasibilityCut) -> None:
        """Record ``sent``, a cut changed before sending (:mod:`.privacy`), with the weights and
        scale of the cut it was ``made`` as. A loosened cut has the same gradient; a coarsened
        one is weaker, so prices through it are those of the cut before rounding."""
        self._entries[id(sent)] = (sent,) + self._entries[id(made)][1:]

    def combined(self, cuts: Sequence[FeasibilityCut], multipliers: np.ndarray) -> ConstraintWeights:
        """``sum_k multipliers_k / scale_k * weights_k`` over ``cuts``.

        Raises
        ------
        KeyError
            A cut this ledger did not record.
        """
        items = []
        for cut, eta in zip(cuts, multipliers):
            if eta == 0.0:
                continue
            _, weights, scale = self._entries[id(cut)]
            if scale > 0.0:
                items.append(weights.scaled(eta / scale))
        return ConstraintWeights.concatenate(items)
