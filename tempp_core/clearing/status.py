"""How a clearing ended."""
from __future__ import annotations

import enum


class ClearingStatus(str, enum.Enum):
    """Outcome of a clearing. Only ``OPTIMAL`` is a secure result."""

    #: Secure and optimal (Benders: violation Phi* <= tol at the master's optimum).
    OPTIMAL = "optimal"
    #: Benders reached ``max_iter`` with the proposal still unsafe.
    MAX_ITER = "max_iter"
    #: The cuts left the master infeasible although the cuts may be invalid (paper
    #: sensitivities): the last proposal is unsafe.
    MASTER_INFEASIBLE = "master_infeasible"

    @property
    def secure(self) -> bool:
        return self is ClearingStatus.OPTIMAL
