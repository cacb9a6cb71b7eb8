"""What an honest-but-curious market can make of the cuts it keeps.

It sees cuts ``a . x <= b`` over its own transaction variables and knows the layout, so it can
cut every cut into per-period slices over the participants (a slice of a cut over one
period, with its right-hand side, is a learned constraint; a slice of a multi-period cut is a
direction only), and it can reuse cuts in later markets: the network and its limits are the
same every period and every day, so a cut moved to other periods (all its periods shifted
alike) is as valid as the cut itself. :func:`clear_with_library` clears a fresh market with
such a library alone, never asking TEMO.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ..errors import NetworkUnsecurableError
from ..market.master import MasterProblem
from ..market.participants import Market
from ..messages import FeasibilityCut, TransactionLayout
from ..options import LoadMode



@dataclass(frozen=True, eq=False)
class Observations:
    """Per-period slices of received cuts, each scaled so its largest |entry| is 1.

    Attributes
    ----------
    vectors : ndarray (m, n_participant_rows)
    cut : int ndarray (m,)
        Position of the slice's cut in the received sequence.
    period : int ndarray (m,)
    rhs : ndarray (m,)
        The cut's right-hand side in the slice's scale for a one-period cut (a learned
        constraint ``vector . x_t <= rhs``), NaN for a slice of a multi-period cut.
    """

    vectors: np.ndarray
    cut: np.ndarray
    period: np.ndarray
    rhs: np.ndarray

    @classmethod
    def of(cls, cuts: Sequence[FeasibilityCut], layout: TransactionLayout, first: int = 0) -> "Observations":
        """Slice ``cuts`` (numbered from ``first``)."""
        T, n = layout.n_periods, layout.n_participant_rows
        if not cuts:
            return cls(np.zeros((0, n)), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        sizes = np.array([c.index.size for c in cuts])
        owner = np.repeat(np.arange(len(cuts)), sizes)
        index = np.concatenate([c.index for c in cuts]).astype(np.int64)
        coef = np.concatenate([c.coef for c in cuts])
        keys, slot = np.unique(owner * T + index % T, return_inverse=True)
        vectors = np.zeros((keys.size, n))
        np.add.at(vectors, (slot, index // T), coef)
        scale = np.abs(vectors).max(axis=1)
        live = scale > 0
        vectors, keys, scale = vectors[live] / scale[live, None], keys[live], scale[live]
        cut = keys // T
        single = np.array([len(c.periods) == 1 for c in cuts])[cut]
        rhs = np.where(single, np.array([c.rhs for c in cuts])[cut] / scale, np.nan)
        return cls(vectors, cut + first, keys % T, rhs)

    @property
    def supports(self) -> np.ndarray:
        """Which participants each slice involves, bool (m, n_participant_rows)."""
        return self.vectors != 0.0


def shifted_library(cuts: Sequence[FeasibilityCut], layout: TransactionLayout) -> tuple[sp.csr_matrix, np.ndarray]:
    """Every distinct received cut moved to every period it fits in.

    Returns
    -------
    A : scipy.sparse.csr_matrix (n_library, layout.size)
    b : ndarray (n_library,)
        The library ``A x <= b`` (kW).
    """
    T = layout.n_periods
    canon: dict[bytes, tuple[np.ndarray, np.ndarray, float, int]] = {}
    for c in cuts:
        if c.index.size == 0:
            continue
        lo, hi = min(c.periods), max(c.periods)
        index = c.index - lo  # every period moved back so that the first is period 0
        order = np.argsort(index)
        key = np.concatenate([index[order].astype(np.float64), np.round(c.coef[order], 9), [round(c.rhs, 9)]])
        canon.setdefault(key.tobytes(), (index[order], c.coef[order], c.rhs, T - (hi - lo)))
    rows, cols, vals, b = [], [], [], []
    k = 0
    for index, coef, rhs, n_shift in canon.values():
        shift = np.arange(n_shift)
        rows.append(np.repeat(np.arange(k, k + n_shift), index.size))
        cols.append((index[None, :] + shift[:, None]).ravel())
        vals.append(np.tile(coef, n_shift))
        b.append(np.full(n_shift, rhs))
        k += n_shift
    if k == 0:
        return sp.csr_matrix((0, layout.size)), np.zeros(0)
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(k, layout.size))
    return A, np.concatenate(b)


def clear_with_library(market: Market, A: sp.csr_matrix, b: np.ndarray,
                       loads: LoadMode | str = LoadMode.JOINT) -> tuple[np.ndarray, float] | None:
    """The market's clearing with its library of cuts and no TEMO: (A1)-(A3) plus every
    library cut, by the market's own master (:class:`~tempp_core.market.master.MasterProblem`).

    Returns
    -------
    (x_kw, objective) or None
        The transactions (kW) and social objective ($); None when the library leaves the
        market no feasible clearing.
    """
    master = MasterProblem(market, loads)
    solution = master.solve()  # the market alone (with fixed loads: PBDR sets and holds them)
    if A.shape[0]:
        layout = market.layout()
        A = sp.csr_matrix(A)
        cuts = []
        for k in range(A.shape[0]):
            index = A.indices[A.indptr[k]:A.indptr[k + 1]].astype(np.int64)
            periods = tuple(int(t) for t in np.unique(layout.period_of(index)))
            cuts.append(FeasibilityCut(index, A.data[A.indptr[k]:A.indptr[k + 1]].copy(), float(b[k]), periods))
        master.add_cuts(cuts)
        try:
            solution = master.solve()
        except NetworkUnsecurableError:
            return None
    return solution.x_kw, solution.objective
