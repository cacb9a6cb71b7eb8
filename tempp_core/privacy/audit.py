"""The privacy audit: play the honest-but-curious market over repeated clearings and measure
what it learns about the network (docs/privacy.md).

The audit runs both sides, which no party of the market does: TEMO answers the market's
proposals with the cuts of the chosen cut mode and privacy option, the market keeps every cut,
and the audit compares what the cuts say with the true sensitivity rows
(:class:`~tempp_core.privacy.truth.TrueRows`). Then the operational test: the market clears
fresh scenarios with its library of cuts alone (:func:`~tempp_core.privacy.observe.clear_with_library`),
and the audit asks TEMO afterwards whether those clearings were safe, and compares them with the
centralized optimum.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..case import Case
from ..clearing.benders import BendersRun
from ..clearing.centralized import solve_centralized
from ..errors import TemppError
from ..network.temo import Temo
from ..network.temo.limits import constraint_values
from ..options import ClearingOptions, CutMode, PrivacyMode
from ..studies.scenarios import sample
from .leakage import Leakage, LeakageMeter
from .observe import Observations, clear_with_library, shifted_library
from .truth import TrueRows

#: Fresh scenarios are drawn with the audit's seed plus this.
FRESH_SEED_OFFSET = 1_000_003
#: A constraint within this of its limit (p.u.) at a secure clearing is binding.
BINDING = 1e-7
#: Relative objective gap at which a clearing counts as the optimum.
OPTIMAL_GAP = 1e-6


@dataclass(frozen=True)
class ClearingRecord:
    """One Benders clearing of the audit.

    Attributes
    ----------
    scenario : str
    status : str
        The Benders status, or the error that ended the clearing.
    iterations, cuts : int
    time_s, temo_time_s : float
        Whole clearing and TEMO's share, s.
    objective, reference : float
        The clearing's objective and the centralized optimum of the same scenario, $.
    """

    scenario: str
    status: str
    iterations: int
    cuts: int
    time_s: float
    temo_time_s: float
    objective: float
    reference: float

    @property
    def gap(self) -> float:
        """(objective - centralized) / |centralized|; positive: above the secure optimum."""
        return (self.objective - self.reference) / abs(self.reference)


@dataclass(frozen=True)
class FreshRecord:
    """A fresh scenario cleared by the market with its library of learned cuts, no TEMO.

    Attributes
    ----------
    scenario : str
    violation : float
        Φ* of that clearing as TEMO measures it afterwards, p.u. (inf: the library left the
        master infeasible).
    objective, reference : float
        That clearing's objective and the centralized optimum, $.
    """

    scenario: str
    violation: float
    objective: float
    reference: float

    def safe(self, tol: float) -> bool:
        return self.violation <= tol

    @property
    def gap(self) -> float:
        return (self.objective - self.reference) / abs(self.reference)


@dataclass(frozen=True, eq=False)
class PrivacyAudit:
    """What an honest-but-curious market learned over repeated clearings.

    Attributes
    ----------
    case : str
    options : ClearingOptions
    truth : TrueRows
    binding : bool ndarray (n_distinct,)
        Distinct true rows of constraints binding at some secure clearing of the audit.
    leakage : Leakage
        After every clearing (binding counts filled in).
    learning : tuple of Leakage
        After each clearing, in order (binding counts 0: not known until the end).
    clearings : tuple of ClearingRecord
    fresh : tuple of FreshRecord
        The operational test; scenarios without any secure clearing (centralized infeasible)
        are listed but not counted in the summary.
    library_size : int
        Cuts in the market's library (every distinct cut at every period it fits).
    """

    case: str
    options: ClearingOptions
    truth: TrueRows
    binding: np.ndarray
    leakage: Leakage
    learning: tuple[Leakage, ...]
    clearings: tuple[ClearingRecord, ...]
    fresh: tuple[FreshRecord, ...]
    library_size: int

    def summary(self) -> dict:
        """The audit in one flat record (see :meth:`to_frame`)."""
        ok = [c for c in self.clearings if c.status == "optimal"]
        securable = [f for f in self.fresh if np.isfinite(f.reference)]  # a secure clearing exists
        tol = self.options.tol
        return dict(
            case=self.case, cuts=self.options.cuts.value, privacy=self.options.privacy.value,
            clearings=len(self.clearings), securable=sum(np.isfinite(c.reference) for c in self.clearings),
            secure=len(ok),
            iterations=float(np.mean([c.iterations for c in ok])) if ok else np.nan,
            cuts_sent=float(np.mean([c.cuts for c in ok])) if ok else np.nan,
            time_s=float(np.mean([c.time_s for c in ok])) if ok else np.nan,
            temo_time_s=float(np.mean([c.temo_time_s for c in ok])) if ok else np.nan,
            gap_max=float(max(abs(c.gap) for c in ok)) if ok else np.nan,
            true_rows=self.truth.n_distinct, binding_rows=int(self.binding.sum()),
            flow_partitions=len({r.tobytes() for r in self.truth.rows[self.truth.is_flow] != 0.0}),
            true_rank=int(np.linalg.matrix_rank(self.truth.representatives())),
            **asdict(self.leakage),
            library_size=self.library_size,
            fresh=len(securable), fresh_safe=sum(f.safe(tol) for f in securable),
            fresh_optimal=sum(f.safe(tol) and abs(f.gap) <= OPTIMAL_GAP for f in securable),
        )

    def to_frame(self, table: str = "summary") -> pd.DataFrame:
        """``'summary'`` (one row: the clearings' iterations, time and gap to the centralized
        optimum, the leakage measures of :class:`~tempp_core.privacy.leakage.Leakage` and
        the operational test), ``'learning'`` (leakage after each clearing), ``'clearings'``
        or ``'fresh'`` (one row each)."""
        if table == "summary":
            return pd.DataFrame([self.summary()])
        if table == "learning":
            frame = pd.DataFrame([asdict(m) for m in self.learning])
            frame.insert(0, "clearings", np.arange(1, len(self.learning) + 1))
            frame.insert(0, "privacy", self.options.privacy.value)
            frame.insert(0, "cuts", self.options.cuts.value)
            return frame
        if table == "clearings":
            return pd.DataFrame([{**asdict(c), "gap": c.gap} for c in self.clearings])
        if table == "fresh":
            return pd.DataFrame([{**asdict(f), "safe": f.safe(self.options.tol), "gap": f.gap} for f in self.fresh])
        raise ValueError(f"table must be 'summary', 'learning', 'clearings' or 'fresh'; got {table!r}")


@dataclass(frozen=True)
class References:
    """Centralized optima ($) of an audit's scenarios and of its fresh scenarios."""

    scenarios: tuple[float, ...]
    fresh: tuple[float, ...]

    @classmethod
    def of(cls, case: Case, scenarios: int, fresh: int, seed: int, options: ClearingOptions) -> "References":
        """The centralized optimum of every variant; NaN where none is secure (or the market
        cannot clear)."""
        runs, tests = _scenarios(case, scenarios, fresh, seed)
        return cls(tuple(map(_optimum, runs, [options] * len(runs))), tuple(map(_optimum, tests, [options] * len(tests))))


def _optimum(case: Case, options: ClearingOptions) -> float:
    try:
        return solve_centralized(case, options).objective
    except TemppError:
        return float("nan")


def audit(case: Case, scenarios: int = 20, options: ClearingOptions | None = None, *, fresh: int = 5,
          seed: int = 0, references: References | None = None, **option_overrides) -> PrivacyAudit:
    """Clear ``scenarios`` market variants of ``case`` (one TEMO serving them in turn) and
    measure what the market learns; then let it clear ``fresh`` new variants alone.

    Parameters
    ----------
    case : Case
        Its feeder must be small enough for :meth:`Sensitivity.matrix` (the truth).
    scenarios, fresh : int
        Variants from :func:`tempp_core.studies.scenarios.sample` (seeds ``seed`` and
        ``seed + FRESH_SEED_OFFSET``).
    options : ClearingOptions, optional
        Cut mode, privacy option, tolerance, ... (keywords override).
    seed : int
        Scenarios and TEMO's randomness.
    references : References, optional
        Centralized optima, when already computed (e.g. by :func:`compare`).
    """
    options = ClearingOptions.build(options, **option_overrides)
    if scenarios < 1 or fresh < 0:
        raise ValueError(f"scenarios must be >= 1 and fresh >= 0; got {scenarios} and {fresh}")
    runs, tests = _scenarios(case, scenarios, fresh, seed)
    references = references or References.of(case, scenarios, fresh, seed, options)
    if (len(references.scenarios), len(references.fresh)) != (scenarios, fresh):
        raise ValueError(f"references hold {len(references.scenarios)} and {len(references.fresh)} optima; "
                         f"expected {scenarios} and {fresh}")
    layout = case.market.layout()
    truth = TrueRows.of(case, options.loads)
    meter = LeakageMeter(truth)
    temo = Temo(case.feeder, case.injections, options, seed=seed)
    checker = Temo(case.feeder, case.injections, ClearingOptions(tol=options.tol))
    binding = np.zeros(truth.n_distinct, dtype=bool)
    received, records, learning = [], [], []
    for sc, ref in zip(runs, references.scenarios):
        record, cuts, x = _clear(sc, temo, options, ref)
        records.append(record)
        meter.add(Observations.of(cuts, layout, first=len(received)))
        received.extend(cuts)
        learning.append(meter.measure())
        if x is not None:
            binding |= _binding_rows(checker, truth, x)
    A, b = shifted_library(received, layout)
    fresh_records = []
    for sc, ref in zip(tests, references.fresh):
        cleared = clear_with_library(sc.market, A, b, options.loads)
        if cleared is None:
            fresh_records.append(FreshRecord(f"fresh-{sc.name}", float("inf"), float("nan"), ref))
            continue
        x, objective = cleared
        fresh_records.append(FreshRecord(f"fresh-{sc.name}", float(checker.state(x).assessment.phi.sum()), objective, ref))
    return PrivacyAudit(case.name, options, truth, binding, meter.measure(binding), tuple(learning),
                        tuple(records), tuple(fresh_records), A.shape[0])


def compare(case: Case, privacy=tuple(PrivacyMode), cuts=(CutMode.CONSTRAINT, CutMode.PERIOD), *,
            scenarios: int = 20, fresh: int = 5, seed: int = 0, **option_overrides) -> list[PrivacyAudit]:
    """:func:`audit` for every privacy option and cut mode on the same scenarios (the
    centralized optima computed once). ``pd.concat([a.to_frame() for a in audits])`` is the
    trade-off table."""
    base = ClearingOptions.build(None, **option_overrides)
    refs = References.of(case, scenarios, fresh, seed, base)
    return [audit(case, scenarios, base, fresh=fresh, seed=seed, references=refs, cuts=c, privacy=p)
            for c in cuts for p in privacy]


def _scenarios(case: Case, scenarios: int, fresh: int, seed: int) -> tuple[list[Case], list[Case]]:
    tests = sample(case, fresh, seed + FRESH_SEED_OFFSET) if fresh else []
    return sample(case, scenarios, seed), tests


def _clear(case: Case, temo: Temo, options: ClearingOptions, reference: float):
    """One clearing with the audit's TEMO: its record, the cuts the market received and the
    final transactions (None unless secure)."""
    run = BendersRun(case.market, options)
    start, temo_time = time.perf_counter(), 0.0
    try:
        while (proposal := run.propose()) is not None:
            t0 = time.perf_counter()
            reply = temo.check(proposal)
            temo_time += time.perf_counter() - t0
            run.receive(reply, time.perf_counter() - t0)
    except TemppError as exc:
        record = ClearingRecord(case.name, f"{type(exc).__name__}: {exc}", len(run.history), len(run.cuts_sent),
                                time.perf_counter() - start, temo_time, float("nan"), reference)
        return record, tuple(run.cuts_sent), None
    out = run.outcome
    record = ClearingRecord(case.name, out.status.value, len(out.history), len(out.cuts), time.perf_counter() - start,
                            temo_time, out.solution.objective, reference)
    return record, out.cuts, out.solution.x_kw if out.converged else None


def _binding_rows(checker: Temo, truth: TrueRows, x_kw: np.ndarray) -> np.ndarray:
    """Distinct true rows whose constraint is within :data:`BINDING` of its limit at x in
    some period."""
    state = checker.state(x_kw)
    u = constraint_values(checker.limits, state.v2, state.P, state.Q)
    top = np.empty(truth.kind.size)
    for k, uk in enumerate(u):
        sel = truth.kind == k
        top[sel] = uk[truth.element[sel], :, truth.phase[sel]].max(axis=1)
    out = np.zeros(truth.n_distinct, dtype=bool)
    out[truth.distinct[top >= -BINDING]] = True
    return out


__all__ = ["audit", "compare", "PrivacyAudit", "ClearingRecord", "FreshRecord", "References"]
