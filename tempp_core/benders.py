"""The privacy-preserving Benders loop (model.md section 5).

1. The market's master solves (A1)-(A3) plus the cuts so far and proposes x*.
2. TEMO runs the power flow on x* and measures the violation Φ* (slack problem).
3. Φ* <= tol: done. Otherwise TEMO's cuts go to the master, which re-solves warm.

Only :class:`~tempp_core.messages.Transactions` go to TEMO and only
:class:`~tempp_core.messages.TemoReply` comes back.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .case import Case
from .errors import NetworkUnsecurableError
from .market.master import MasterProblem, MasterSolution
from .messages import FeasibilityCut

#: Revenue tolerance ($ per customer-period) of the master while cuts are being collected.
COARSE_REVENUE_TOL = 1e-4
from .temo import Temo


@dataclass(frozen=True)
class IterationRecord:
    """One round of the loop.

    Attributes
    ----------
    iteration : int
        1-based.
    violation : float
        Φ* of the master's proposal, p.u.
    cuts_added : int
    master_objective : float
        $ (the master's relaxed optimum at this round).
    master_time_s, temo_time_s : float
    """

    iteration: int
    violation: float
    cuts_added: int
    master_objective: float
    master_time_s: float
    temo_time_s: float


@dataclass(frozen=True, eq=False)
class BendersOutcome:
    """What the loop ends with: the last master solution and the history."""

    solution: MasterSolution
    history: tuple[IterationRecord, ...]
    converged: bool
    status: str
    cuts: tuple[FeasibilityCut, ...]
    x_first_kw: np.ndarray


def run_benders(case: Case, *, sensitivity: str = "exact", cuts: str = "period", loads: str = "joint",
                tol: float = 1e-9, max_iter: int = 200, slack: str = "closed") -> BendersOutcome:
    """Clear ``case`` by Benders decomposition.

    Parameters
    ----------
    case : Case
    sensitivity : {'exact', 'paper'}
    cuts : {'period', 'aggregate', 'constraint'}
    loads : {'joint', 'fixed'}
    tol : float
        Stop when the violation Φ* (p.u., summed) is at or below this.
    max_iter : int
        Give up (``converged=False``, with a warning) after this many master solves.
    slack : {'closed', 'lp'}

    Raises
    ------
    MarketInfeasibleError
        The market alone cannot clear (from the first master solve).
    NetworkUnsecurableError
        In exact mode, the cuts leave the master infeasible: the network cannot be
        secured with the flexibility the market has. (In paper mode, where cuts are not
        guaranteed valid, this ends the loop with ``status='master_infeasible'``.)
    """
    master = MasterProblem(case.market, loads=loads)
    temo = Temo(case.feeder, case.market.layout(), case.connections(), sensitivity=sensitivity,
                cuts=cuts, movable="all" if loads == "joint" else "supply", slack=slack, tol=tol)
    history: list[IterationRecord] = []
    cuts_sent: list[FeasibilityCut] = []
    solution = None
    x_first = None
    # Cuts are valid whatever the master's accuracy, so the revenue's tangents are refined
    # coarsely while TEMO still finds violations and finely once it does not.
    fine = master.revenue_tol
    coarse = max(fine, COARSE_REVENUE_TOL)
    tolerance = coarse
    for iteration in range(1, max_iter + 1):
        start = time.perf_counter()
        try:
            # With loads fixed, the first solve sets the loads for good: solve it finely.
            first_fixed = loads == "fixed" and iteration == 1
            solution = master.solve(revenue_tol=fine if first_fixed else tolerance)
        except NetworkUnsecurableError:
            if sensitivity == "exact" or solution is None:
                raise
            return BendersOutcome(solution, tuple(history), False, "master_infeasible", tuple(cuts_sent), x_first)
        master_time = time.perf_counter() - start
        if x_first is None:
            x_first = solution.x_kw
        start = time.perf_counter()
        reply = temo.check(solution.transactions)
        temo_time = time.perf_counter() - start
        history.append(IterationRecord(iteration, reply.violation, len(reply.cuts), solution.objective,
                                       master_time, temo_time))
        if reply.violation <= tol:
            if tolerance == fine:
                return BendersOutcome(solution, tuple(history), True, "optimal", tuple(cuts_sent), x_first)
            tolerance = fine  # safe at the coarse optimum: polish, and check again
            continue
        master.add_cuts(reply.cuts)
        cuts_sent.extend(reply.cuts)
    warnings.warn(
        f"Benders stopped after max_iter={max_iter} iterations with violation "
        f"{history[-1].violation:.3g} p.u. > tol={tol:g}; the result is not secure",
        RuntimeWarning, stacklevel=2,
    )
    return BendersOutcome(solution, tuple(history), False, "max_iter", tuple(cuts_sent), x_first)
