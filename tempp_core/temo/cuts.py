"""Benders feasibility cuts (A12) in the market's units.

A cut comes from a group of violated constraints with total violation Φ* at the market's
proposal x*, and the gradient ∇Φ = S^T y of that violation with respect to the
transactions:  ``Φ* + ∇Φ · (x - x*) <= 0``, i.e. ``∇Φ · x <= ∇Φ · x* - Φ*``.
Each cut is scaled so that its largest coefficient is 1 (same half-space, better
conditioned master).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..messages import FeasibilityCut, TransactionLayout

#: Cut granularities: one cut per violated period (default), one over everything violated
#: (the appendix), or one per violated constraint.
CUT_MODES = ("period", "aggregate", "constraint")

#: Coefficients smaller than this fraction of a cut's largest are dropped.
RELATIVE_DROP = 1e-12


def build_cuts(
    layout: TransactionLayout,
    gradients: np.ndarray,
    periods: np.ndarray,
    phi: np.ndarray,
    groups: np.ndarray,
    x_star_kw: np.ndarray,
) -> tuple[FeasibilityCut, ...]:
    """Assemble cuts from gradient columns.

    Parameters
    ----------
    layout : TransactionLayout
    gradients : ndarray (n_participant_rows, C)
        Column c is ∂Φ_c/∂x over the participant rows of the layout (DERs, MG, customers),
        per kW, for the period ``periods[c]``.
    periods : int ndarray (C,)
    phi : ndarray (C,)
        Violation of each column's constraint group at x*, p.u.
    groups : int ndarray (C,)
        Cut each column belongs to (0..n_cuts-1).
    x_star_kw : ndarray (layout.size,)
        The proposal the cuts are linearized at.
    """
    T = layout.n_periods
    n_rows, n_cols = gradients.shape
    k = np.repeat(np.arange(n_rows), n_cols)
    c = np.tile(np.arange(n_cols), n_rows)
    vals = gradients.ravel()
    n_cuts = int(groups.max()) + 1 if groups.size else 0
    A = sp.csr_matrix((vals, (groups[c], k * T + periods[c])), shape=(n_cuts, layout.size))
    A.sum_duplicates()
    phi_group = np.bincount(groups, weights=phi, minlength=n_cuts)
    rhs = A @ x_star_kw - phi_group
    cuts = []
    for g in range(n_cuts):
        row = A.getrow(g)
        coef, index = row.data, row.indices.astype(np.int64)
        scale = np.abs(coef).max(initial=0.0)
        if scale == 0.0:
            # The violation does not depend on any transaction: no flexibility can fix it.
            cuts.append(FeasibilityCut(index[:0], coef[:0], -float(phi_group[g]), _periods(periods, groups, g)))
            continue
        keep = np.abs(coef) > RELATIVE_DROP * scale
        cuts.append(FeasibilityCut(index[keep], coef[keep] / scale, float(rhs[g] / scale),
                                   _periods(periods, groups, g)))
    return tuple(cuts)


def _periods(periods: np.ndarray, groups: np.ndarray, g: int) -> tuple[int, ...]:
    return tuple(int(t) for t in np.unique(periods[groups == g]))
