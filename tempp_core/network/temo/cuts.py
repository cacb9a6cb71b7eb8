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

from ...messages import FeasibilityCut, TransactionLayout

#: Coefficients smaller than this fraction of a cut's largest are dropped.
RELATIVE_DROP = 1e-12


def build_cuts(
    layout: TransactionLayout,
    gradients: np.ndarray,
    periods: np.ndarray,
    phi: np.ndarray,
    groups: np.ndarray,
    x_star_kw: np.ndarray,
    scenarios: np.ndarray | None = None,
) -> tuple[tuple[FeasibilityCut, ...], np.ndarray]:
    """Assemble cuts from gradient columns (for one proposal, or many at once).

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
        Cut each column belongs to (0..n_cuts-1; a cut never mixes proposals).
    x_star_kw : ndarray (layout.size,) or (S, layout.size)
        The proposal(s) the cuts are linearized at.
    scenarios : int ndarray (C,), optional
        Proposal of each column when ``x_star_kw`` holds several.

    Returns
    -------
    cuts : tuple of FeasibilityCut
        In group order; with several proposals, cut g belongs to the proposal of its columns.
    scales : ndarray (n_cuts,)
        What each cut was divided by (its largest |coefficient| before scaling; 0 when the
        violation depends on no transaction).
    """
    T, n_x = layout.n_periods, layout.size
    X = np.atleast_2d(x_star_kw)
    scenarios = np.zeros(periods.size, dtype=np.int64) if scenarios is None else scenarios
    n_rows, n_cols = gradients.shape
    k = np.repeat(np.arange(n_rows), n_cols)
    c = np.tile(np.arange(n_cols), n_rows)
    n_cuts = int(groups.max()) + 1 if groups.size else 0
    # One sparse matrix over the stacked proposals: column s * n_x + position.
    A = sp.csr_matrix((gradients.ravel(), (groups[c], scenarios[c] * n_x + k * T + periods[c])),
                      shape=(n_cuts, X.shape[0] * n_x))
    A.sum_duplicates()
    phi_group = np.bincount(groups, weights=phi, minlength=n_cuts)
    rhs = A @ X.ravel() - phi_group
    order = np.lexsort((periods, groups))
    bounds = np.searchsorted(groups[order], np.arange(n_cuts + 1))
    cuts, scales = [], np.zeros(n_cuts)
    for g in range(n_cuts):
        lo, hi = A.indptr[g], A.indptr[g + 1]
        coef, index = A.data[lo:hi], (A.indices[lo:hi] % n_x).astype(np.int64)
        cover = tuple(np.unique(periods[order[bounds[g]:bounds[g + 1]]]).tolist())
        scale = np.abs(coef).max(initial=0.0)
        if scale == 0.0:
            # The violation does not depend on any transaction: no flexibility can fix it.
            cuts.append(FeasibilityCut(index[:0], coef[:0], -float(phi_group[g]), cover))
            continue
        keep = np.abs(coef) > RELATIVE_DROP * scale
        cuts.append(FeasibilityCut(index[keep], coef[keep] / scale, float(rhs[g] / scale), cover))
        scales[g] = scale
    return tuple(cuts), scales
