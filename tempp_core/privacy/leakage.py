"""How much of the network model a set of observed cut slices gives away, against the truth.

Measures (docs/privacy.md explains each):

- **rows recovered**: distinct true rows matched by some slice to within :data:`EXACT`
  (exactly) or :data:`CLOSE` (max-abs difference of the normalised rows);
- **accuracy**: each slice's distance to its nearest true row (0 for a pure row, larger for a
  mixture or a coarsened row);
- **right-hand sides**: exactly recovered rows whose one-period cut also carries the true
  right-hand side (the constraint itself, de-normalisable with public limits);
- **partitions**: the sets of participants below a line (supports of flow-limit rows) that
  appear exactly as the support of some slice;
- **rank**: of the observed slices, and the share of the binding rows that lie in their span.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .observe import Observations
from .truth import TrueRows

#: A slice within this distance of a true row recovers it exactly.
EXACT = 1e-6
#: ... and within this distance, closely (1 % of the largest coefficient).
CLOSE = 1e-2
#: Relative accuracy at which a right-hand side counts as the true one.
RHS_EXACT = 1e-6
#: Relative rank tolerance (singular values below this times the largest are zero).
RANK_TOL = 1e-8


@dataclass(frozen=True)
class Leakage:
    """What the slices seen so far reveal (counts of distinct true rows unless said).

    Attributes
    ----------
    slices : int
        Observed per-period slices.
    rows_exact, rows_close : int
        Distinct true rows recovered to :data:`EXACT` / :data:`CLOSE`.
    binding_exact, binding_close : int
        The same, among the rows of constraints binding at some secure clearing.
    rhs_exact : int
        Exactly recovered distinct rows whose true right-hand side was also received.
    median_error : float
        Median distance of a slice to its nearest true row.
    partitions : int
        Distinct flow-limit supports (participants below a line) seen exactly as a support.
    supports_seen : int
        Distinct supports among the slices.
    rank : int
        Rank of the observed slices.
    binding_in_span : float
        Share of the distinct binding rows in the span of the slices (0..1).
    """

    slices: int
    rows_exact: int
    rows_close: int
    binding_exact: int
    binding_close: int
    rhs_exact: int
    median_error: float
    partitions: int
    supports_seen: int
    rank: int
    binding_in_span: float


class LeakageMeter:
    """Accumulates slices clearing after clearing and measures them against the truth.

    Parameters
    ----------
    truth : TrueRows
    """

    def __init__(self, truth: TrueRows) -> None:
        self.truth = truth
        self._reps = truth.representatives()
        self._tree = cKDTree(self._reps)
        n = truth.n_distinct
        self.best = np.full(n, np.inf)
        self.rhs_known = np.zeros(n, dtype=bool)
        # Equal rows may belong to constraints with different right-hand sides: keep them all.
        order = np.argsort(truth.distinct, kind="stable")
        edges = np.searchsorted(truth.distinct[order], np.arange(n + 1))
        self._rhs_of = [truth.rhs[order[edges[d]:edges[d + 1]]] for d in range(n)]
        self._errors: list[np.ndarray] = []
        self._vectors: list[np.ndarray] = []
        flow = np.unique(truth.rows[truth.is_flow] != 0.0, axis=0)
        self._flow_supports = {r.tobytes() for r in flow}
        self._supports: set[bytes] = set()

    def add(self, obs: Observations) -> None:
        """Take more slices."""
        if obs.vectors.shape[0] == 0:
            return
        dist, label = self._tree.query(obs.vectors, p=np.inf)
        np.minimum.at(self.best, label, dist)
        for k in np.flatnonzero((dist <= EXACT) & np.isfinite(obs.rhs)):
            true = self._rhs_of[label[k]]
            if np.any(np.abs(obs.rhs[k] - true) <= RHS_EXACT * np.maximum(1.0, np.abs(true))):
                self.rhs_known[label[k]] = True
        self._errors.append(dist)
        self._vectors.append(obs.vectors)
        self._supports.update(r.tobytes() for r in np.unique(obs.supports, axis=0))

    def measure(self, binding: np.ndarray | None = None) -> Leakage:
        """The leakage so far.

        Parameters
        ----------
        binding : bool ndarray (n_distinct,), optional
            Distinct rows of constraints binding at some secure clearing (none when omitted).
        """
        binding = np.zeros(self.best.size, dtype=bool) if binding is None else binding
        errors = np.concatenate(self._errors) if self._errors else np.zeros(0)
        if self._vectors:
            V = np.vstack(self._vectors)
            _, sv, vt = np.linalg.svd(V, full_matrices=False)
            rank = int((sv > RANK_TOL * sv[0]).sum()) if sv.size and sv[0] > 0 else 0
            basis = vt[:rank]
            B = self._reps[binding]
            residual = np.linalg.norm(B - (B @ basis.T) @ basis, axis=1)
            in_span = float(np.mean(residual <= 1e-6 * np.linalg.norm(B, axis=1))) if B.shape[0] else 0.0
        else:
            rank, in_span = 0, 0.0
        return Leakage(
            slices=int(errors.size),
            rows_exact=int((self.best <= EXACT).sum()), rows_close=int((self.best <= CLOSE).sum()),
            binding_exact=int((self.best[binding] <= EXACT).sum()),
            binding_close=int((self.best[binding] <= CLOSE).sum()),
            rhs_exact=int(self.rhs_known.sum()),
            median_error=float(np.median(errors)) if errors.size else float("nan"),
            partitions=len(self._supports & self._flow_supports), supports_seen=len(self._supports),
            rank=rank, binding_in_span=in_span,
        )
