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
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..case import Case
from ..errors import MarketInfeasibleError, NetworkUnsecurableError
from ..market.master import MasterProblem, MasterSolution, transaction_bounds
from ..messages import FeasibilityCut, TemoReply, Transactions
from ..network.temo import Temo
from ..network.temo.diagnosis import diagnose
from ..options import ClearingOptions, NetworkModel, Sensitivity
from .status import ClearingStatus


@dataclass(frozen=True)
class IterationRecord:
    """One round of the loop.

    Attributes
    ----------
    iteration : int
        1-based.
    violation_pu : float
        Φ* of the master's proposal: the summed violation of every safety constraint, p.u.
    cuts_added : int
    master_objective_usd : float
        The master's relaxed optimum at this round, $.
    master_time_s, temo_time_s : float
    """

    iteration: int
    violation_pu: float
    cuts_added: int
    master_objective_usd: float
    master_time_s: float
    temo_time_s: float


@dataclass(frozen=True, eq=False)
class BendersOutcome:
    """What the loop ends with: the last master solution and the history.

    ``temo`` is the operator that answered (set by :func:`run_benders` and
    :func:`run_benders_many`, which run both sides) for reports joining both sides.
    """

    solution: MasterSolution
    history: tuple[IterationRecord, ...]
    status: ClearingStatus
    cuts: tuple[FeasibilityCut, ...]
    x_first_kw: np.ndarray
    temo: Temo | None = None

    @property
    def converged(self) -> bool:
        return self.status.secure


class BendersRun:
    """The market's side of one Benders clearing, one round at a time.

    ``propose()`` solves the master and returns the transactions to send to TEMO (or None
    once finished); ``receive(reply)`` takes TEMO's answer. Keeping the two sides apart lets
    one TEMO answer many markets at once (:func:`run_benders_many`).
    """

    def __init__(self, market, options: ClearingOptions = ClearingOptions()) -> None:
        self.master = MasterProblem(market, loads=options.loads)
        self.options = options
        self.history: list[IterationRecord] = []
        self.cuts_sent: list[FeasibilityCut] = []
        self.solution: MasterSolution | None = None
        self.x_first: np.ndarray | None = None
        self.outcome: BendersOutcome | None = None
        self._master_time = 0.0

    def propose(self) -> Transactions | None:
        """Solve the master; the transactions for TEMO, or None when the run has ended."""
        if self.outcome is not None:
            return None
        start = time.perf_counter()
        try:
            self.solution = self.master.solve()
        except NetworkUnsecurableError:
            exact = self.options.sensitivity is Sensitivity.EXACT and self.options.network is NetworkModel.LINDIST
            if exact or self.solution is None:  # only exact LinDist3Flow cuts prove it
                raise
            self._finish(ClearingStatus.MASTER_INFEASIBLE)
            return None
        self._master_time = time.perf_counter() - start
        if self.x_first is None:
            self.x_first = self.solution.x_kw
        return self.solution.transactions

    def receive(self, reply: TemoReply, temo_time_s: float = 0.0) -> None:
        """Take TEMO's answer to the last proposal."""
        self.history.append(IterationRecord(len(self.history) + 1, reply.violation, len(reply.cuts),
                                            self.solution.objective, self._master_time, temo_time_s))
        if reply.violation <= self.options.tol:
            self._finish(ClearingStatus.OPTIMAL)
            return
        self.master.add_cuts(reply.cuts)
        self.cuts_sent.extend(reply.cuts)
        if len(self.history) >= self.options.max_iter:
            amount = "not disclosed" if reply.violation == float("inf") else f"{reply.violation:.3g} p.u."
            warnings.warn(
                f"Benders stopped after max_iter={self.options.max_iter} iterations with violation "
                f"{amount} > tol={self.options.tol:g}; the result is not secure",
                RuntimeWarning, stacklevel=3,
            )
            self._finish(ClearingStatus.MAX_ITER)

    def _finish(self, status: ClearingStatus) -> None:
        if status is ClearingStatus.MASTER_INFEASIBLE:
            warnings.warn(
                f"Benders ended after {len(self.history)} iteration(s): the cuts ({self.options.sensitivity.value} "
                f"sensitivities, {self.options.network.value} network) left the master infeasible, and such cuts "
                "need not be valid; the result is the last proposal and it is not secure", RuntimeWarning,
                stacklevel=3)
        self.outcome = BendersOutcome(self.solution, tuple(self.history), status, tuple(self.cuts_sent),
                                      self.x_first)


def run_benders(case: Case, options: ClearingOptions = ClearingOptions(),
                progress: Callable[[IterationRecord], None] | None = None) -> BendersOutcome:
    """Clear ``case`` by Benders decomposition.

    Parameters
    ----------
    case : Case
    options : ClearingOptions
        Stop when the violation Φ* (p.u., summed) is at or below ``options.tol``; give up
        (status ``max_iter``, with a warning) after ``options.max_iter`` master solves.
    progress : callable(IterationRecord), optional
        Called after every round (e.g. to show long clearings move).

    Raises
    ------
    MarketInfeasibleError
        The market alone cannot clear (from the first master solve).
    NetworkUnsecurableError
        In exact mode, the cuts leave the master infeasible: the network cannot be
        secured with the flexibility the market has. (In paper mode, where cuts are not
        guaranteed valid, this ends the loop with ``status='master_infeasible'``.)
    """
    temo = Temo(case.feeder, case.injections, options)
    run = BendersRun(case.market, options)
    try:
        while (proposal := run.propose()) is not None:
            start = time.perf_counter()
            reply = temo.check(proposal)
            run.receive(reply, time.perf_counter() - start)
            if progress is not None:
                progress(run.history[-1])
    except NetworkUnsecurableError as exc:
        exc.diagnosis = diagnose(temo, run.solution.x_kw, *transaction_bounds(case.market))
        raise
    return replace(run.outcome, temo=temo)


def run_benders_many(cases, options: ClearingOptions = ClearingOptions()) -> list:
    """Clear several markets on the same feeder and placement in lockstep.

    Each market keeps its own master; TEMO answers all unfinished proposals of a round in
    one batched call (one power flow and one adjoint over scenarios x periods). Returns, per
    case, a :class:`BendersOutcome` or the exception that ended it (market infeasible,
    network unsecurable).
    """
    cases = list(cases)
    first = cases[0]
    for other in cases[1:]:
        if other.feeder is not first.feeder or other.placement != first.placement:
            raise ValueError("run_benders_many needs cases that share one feeder object and placement")
    temo = Temo(first.feeder, first.injections, options)
    runs: list = [BendersRun(c.market, options) for c in cases]
    results: list = [None] * len(cases)
    while True:
        active, proposals = [], []
        for k, run in enumerate(runs):
            if results[k] is not None:
                continue
            try:
                proposal = run.propose()
            except MarketInfeasibleError as exc:
                results[k] = exc
                continue
            except NetworkUnsecurableError as exc:
                exc.diagnosis = diagnose(temo, run.solution.x_kw, *transaction_bounds(cases[k].market))
                results[k] = exc
                continue
            if proposal is None:
                results[k] = replace(run.outcome, temo=temo)
            else:
                active.append(k)
                proposals.append(proposal)
        if not active:
            return results
        start = time.perf_counter()
        replies = temo.check_many(proposals)
        share = (time.perf_counter() - start) / len(active)
        for k, reply in zip(active, replies):
            runs[k].receive(reply, share)

