"""What TEMO does to its cuts so that they reveal less (model.md section 8, docs/privacy.md).

An exact cut over one violated constraint is a row of the sensitivity matrix restricted to
the participants, with the exact sparsity pattern of the network; its right-hand side is the
constraint's limit in the cut's scale. The mechanisms below change which *valid* cuts TEMO
sends. Validity (no point feasible for (A1)-(A4) is cut off) rests on two facts TEMO knows
without seeing any market data:

1. every safety constraint ``h_l(x) = s_l state_l(x) - limit_l <= 0`` is linear in x, so
   ``h_l(x*) + grad h_l . (x - x*) <= 0`` holds at every network-feasible x, *violated or
   not*, and so does any non-negative combination of such rows;
2. every transaction is a non-negative quantity (DER sales, the MG purchase, customers'
   consumption, kW), so lowering a coefficient of a valid cut ``a . x <= b`` or raising its
   right-hand side keeps it valid: ``a' <= a`` and ``b' >= b`` give ``a' . x <= a . x <= b <= b'``
   for every x >= 0.

TEMO needs no participant's bounds for either. Each mechanism keeps the proposal x* cut off
with at least :data:`KEEP` of the margin ``a . x* - b`` it had, so Benders still makes
progress; what it costs in iterations is measured in docs/privacy.md.

Mechanisms
----------
mix
    Every cut is a random positive combination (exponential weights) of all the constraints
    violated in the proposal's violated periods, plus :data:`DECOYS_PER_PERIOD` constraints per
    period that are *not* violated (the nearest to binding), weighted so that they take at
    most :data:`DECOY_SHARE` of the violated part. As many cuts as the cut granularity would
    send, each over all violated periods.
coarse
    Coefficients (scaled so the largest is 1) rounded *down* on a grid of quantum q, and about
    half of the zero coefficients of the covered periods set to ``-q`` (the support is
    blurred); q is the coarsest of :data:`COARSE_QUANTA` that keeps x* cut off.
withhold
    The violation Φ* is not reported (+inf while unsafe, 0 once safe), and each right-hand
    side is raised by a random share (uniform, up to ``1 - KEEP``) of the cut's margin at x*,
    so public limits no longer de-normalise it.
private
    mix, then coarse, then withhold.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...messages import FeasibilityCut, TransactionLayout
from ...options import CutMode, PrivacyMode
from .limits import SafetyLimits, violated_constraints

#: Share of a cut's margin at x* that every loosening step keeps.
KEEP = 0.5
#: Non-violated constraints (nearest to binding) mixed into each violated period.
DECOYS_PER_PERIOD = 4
#: Largest share of the violated part of a mixed cut that its decoys may take.
DECOY_SHARE = 0.5
#: Quanta tried by ``coarse``, coarsest first (powers of two: rounding is exact).
COARSE_QUANTA = 0.25 * 0.5 ** np.arange(30)


@dataclass(frozen=True, eq=False)
class MixingWeights:
    """Weights of mixed cuts on the state, one column per (cut, covered period).

    Attributes
    ----------
    y_v2 : ndarray, bus-major (n_bus, C, 3)
    y_P, y_Q : ndarray, bus-major (n_line, C, 3)
        Signed weights: ``+w`` on a state entry whose upper limit enters, ``-w`` for a lower one.
    columns : int ndarray (C,)
        State column ``s * T + t`` each weight column is taken at.
    periods, scenarios, groups : int ndarray (C,)
        Period, proposal and cut (0..n_cuts-1, grouped by proposal) of each column.
    phi : ndarray (C,)
        ``sum_l w_l u_l(x*)`` of each column, p.u. (the cut's value at x*, before scaling).
    """

    y_v2: np.ndarray
    y_P: np.ndarray
    y_Q: np.ndarray
    columns: np.ndarray
    periods: np.ndarray
    scenarios: np.ndarray
    groups: np.ndarray
    phi: np.ndarray


class CutPrivacy:
    """TEMO's privacy mechanism for one :class:`~tempp_core.options.PrivacyMode`.

    Parameters
    ----------
    mode : PrivacyMode
    layout : TransactionLayout
    movable : bool ndarray (n_participant_rows,)
        Participant rows the cuts may involve (customers are held with fixed loads).
    seed : int, numpy Generator or None
        Source of randomness. None (the default) draws fresh entropy: the market must not
        be able to replay TEMO's draws.
    """

    def __init__(self, mode: PrivacyMode, layout: TransactionLayout, movable: np.ndarray,
                 seed: int | np.random.Generator | None = None) -> None:
        self.mode = PrivacyMode(mode)
        self.layout = layout
        self.rng = np.random.default_rng(seed)
        blur = movable.copy()
        blur[layout.mg_row] = False  # the MG sits at the swing bus: its true coefficient is 0
        self._blur_rows = np.flatnonzero(blur)

    @property
    def mixes(self) -> bool:
        return self.mode in (PrivacyMode.MIX, PrivacyMode.PRIVATE)

    @property
    def coarsens(self) -> bool:
        return self.mode in (PrivacyMode.COARSE, PrivacyMode.PRIVATE)

    @property
    def withholds(self) -> bool:
        return self.mode in (PrivacyMode.WITHHOLD, PrivacyMode.PRIVATE)

    def reported_violation(self, phi: float, tol: float) -> float:
        """What the reply says of Φ* (p.u.): Φ* itself, or, when withheld, 0.0 for a safe
        proposal and +inf for an unsafe one (above the tolerance; by how much is not
        disclosed). Never NaN: the market's stopping test stays a plain comparison."""
        if not self.withholds:
            return phi
        return 0.0 if phi <= tol else float("inf")

    def finish(self, cuts: tuple[FeasibilityCut, ...], x_star_kw: np.ndarray) -> tuple[FeasibilityCut, ...]:
        """Coarsen and/or loosen one proposal's cuts, as the mode says."""
        if self.coarsens:
            cuts = tuple(coarsen(c, x_star_kw, self._blur_rows, self.layout.n_periods, self.rng) for c in cuts)
        if self.withholds:
            cuts = tuple(loosen(c, x_star_kw, self.rng) for c in cuts)
        return cuts

    def mixing_weights(self, limits: SafetyLimits, v2: np.ndarray, P: np.ndarray, Q: np.ndarray,
                       phi: np.ndarray, unsafe: list[int], granularity: CutMode, tol: float) -> MixingWeights:
        """Random positive combinations of violated constraints and near-binding decoys.

        Parameters
        ----------
        limits : SafetyLimits
        v2, P, Q : ndarray, bus-major (n, S*T, 3)
            Network state at the S proposals.
        phi : ndarray (S*T,)
            Φ* per proposal and period, p.u.
        unsafe : list of int
            Proposals to cut.
        granularity : CutMode
            Sets how many cuts each proposal gets: one (aggregate), one per violated period,
            one per violated constraint.
        tol : float
            A proposal is unsafe when its Φ* exceeds ``tol``; its periods above ``tol / T`` are cut.
        """
        T = self.layout.n_periods
        hot = np.zeros(phi.size, dtype=bool)
        cols = (np.asarray(unsafe)[:, None] * T + np.arange(T)).ravel()
        hot[cols] = phi[cols] > tol / T  # some period of an unsafe proposal exceeds tol / T
        kind, element, col, phase, value = violated_constraints(limits, v2, P, Q, tol=-np.inf)
        on = hot[col]
        kind, element, col, phase, value = (a[on] for a in (kind, element, col, phase, value))
        keep = (value > 0) | _nearest_per_column(col, value, DECOYS_PER_PERIOD)
        kind, element, col, phase, value = (a[keep] for a in (kind, element, col, phase, value))
        parts = [self._mix_one(s, kind, element, col, phase, value, granularity, T) for s in unsafe]
        n_cols = sum(p[1].shape[1] for p in parts)
        y = [np.zeros((n, n_cols, 3)) for n in (v2.shape[0], P.shape[0], P.shape[0])]
        offset, cut_offset, meta = 0, 0, []
        for entries, columns, n_cuts in parts:
            target, elem, wcol, ph, w = entries
            for k in range(3):
                sel = target == k
                np.add.at(y[k], (elem[sel], wcol[sel] + offset, ph[sel]), w[sel])
            meta.append(columns + np.array([[0], [0], [0], [cut_offset], [0]]))
            offset += columns.shape[1]
            cut_offset += n_cuts
        columns, periods, scenarios, groups, col_phi = np.hstack(meta) if meta else np.zeros((5, 0))
        return MixingWeights(*y, columns.astype(np.int64), periods.astype(np.int64), scenarios.astype(np.int64),
                             groups.astype(np.int64), col_phi)

    def _mix_one(self, s, kind, element, col, phase, value, granularity, T):
        """One proposal's weights: entries (target, element, weight column, phase, signed
        weight) and its columns' (state column, period, scenario, cut, phi), shape (5, C_s).

        Constraints are pooled per violated period (one pool for the whole proposal with
        aggregate cuts); a pool gets one cut, or one per violated constraint in it with
        constraint granularity, each a random combination of the whole pool.
        """
        mine = col // T == s
        kind, element, col, phase, value = (a[mine] for a in (kind, element, col, phase, value))
        order = np.argsort(col, kind="stable")
        kind, element, col, phase, value = (a[order] for a in (kind, element, col, phase, value))
        violated = value > 0
        hot_cols, position = np.unique(col, return_inverse=True)
        pool = np.zeros(col.size, dtype=np.int64) if granularity is CutMode.AGGREGATE else position
        n_pool = int(pool.max()) + 1
        pool_size = np.bincount(pool, minlength=n_pool)
        per_pool = np.bincount(pool, weights=violated, minlength=n_pool).astype(np.int64) \
            if granularity is CutMode.CONSTRAINT else np.ones(n_pool, dtype=np.int64)
        cut_pool = np.repeat(np.arange(n_pool), per_pool)
        n_cuts = cut_pool.size
        # every (cut, entry of the cut's pool) pair, entries contiguous per pool
        pair_cut = np.repeat(np.arange(n_cuts), pool_size[cut_pool])
        pool_start = np.concatenate([[0], np.cumsum(pool_size)[:-1]])
        pair_start = np.concatenate([[0], np.cumsum(pool_size[cut_pool])[:-1]])
        e = pool_start[cut_pool][pair_cut] + np.arange(pair_cut.size) - pair_start[pair_cut]
        w = self.rng.exponential(size=e.size)
        v = violated[e]
        main = np.bincount(pair_cut, weights=w * v * value[e], minlength=n_cuts)
        main_w = np.bincount(pair_cut, weights=w * v, minlength=n_cuts)
        decoy_u = np.bincount(pair_cut, weights=w * ~v * -value[e], minlength=n_cuts)
        decoy_w = np.bincount(pair_cut, weights=w * ~v, minlength=n_cuts)
        with np.errstate(divide="ignore", invalid="ignore"):
            budget = np.minimum(DECOY_SHARE * main / decoy_u, main_w / decoy_w)
        budget = np.where(np.isfinite(budget), budget, 0.0)
        w = np.where(v, w, w * budget[pair_cut])
        key, wcol = np.unique(pair_cut * hot_cols.size + position[e], return_inverse=True)
        sign = np.where(kind[e] % 2 == 0, 1.0, -1.0)
        entries = (kind[e] // 2, element[e], wcol, phase[e], w * sign)
        state_col = hot_cols[key % hot_cols.size]
        columns = np.vstack([state_col, state_col % T, np.full(key.size, s), key // hot_cols.size,
                             np.bincount(wcol, weights=w * value[e], minlength=key.size)])
        return entries, columns, n_cuts


def _nearest_per_column(col: np.ndarray, value: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` largest non-positive values of each column (the nearest to binding
    among the constraints that hold)."""
    slack = value <= 0
    idx = np.flatnonzero(slack)
    order = idx[np.lexsort((-value[idx], col[idx]))]
    first = np.searchsorted(col[order], col[order], side="left")
    out = np.zeros(value.size, dtype=bool)
    out[order[np.arange(order.size) - first < k]] = True
    return out


def coarsen(cut: FeasibilityCut, x_star_kw: np.ndarray, blur_rows: np.ndarray, T: int,
            rng: np.random.Generator) -> FeasibilityCut:
    """Round a cut's coefficients down on the coarsest grid that keeps x* cut off, and blur
    its support with ``-q`` on about half of the zero coefficients of its periods.

    Valid for every x >= 0 that satisfies the original cut (coefficients only go down).

    Parameters
    ----------
    cut : FeasibilityCut
        Scaled so that its largest |coefficient| is 1.
    x_star_kw : ndarray (layout.size,)
    blur_rows : int ndarray
        Participant rows whose zero coefficients may be blurred.
    T : int
    rng : numpy Generator
    """
    if cut.index.size == 0:
        return cut
    periods = np.asarray(cut.periods, dtype=np.int64)
    pos = np.union1d(cut.index, (blur_rows[:, None] * T + periods[None, :]).ravel())
    a = np.zeros(pos.size)
    a[np.searchsorted(pos, cut.index)] = cut.coef
    x = np.asarray(x_star_kw)[pos]
    margin = a @ x - cut.rhs
    if not margin > 0:
        return cut
    blur = (a == 0.0) & (rng.random(pos.size) < 0.5)
    q = COARSE_QUANTA[:, None]
    coarse = q * np.floor(a / q) - q * blur
    fits = np.flatnonzero((a - coarse) @ x <= (1.0 - KEEP) * margin)
    if fits.size == 0:
        return cut
    c = coarse[fits[0]]
    nz = c != 0.0
    return FeasibilityCut(pos[nz], c[nz], cut.rhs, cut.periods)


def loosen(cut: FeasibilityCut, x_star_kw: np.ndarray, rng: np.random.Generator) -> FeasibilityCut:
    """Raise the right-hand side by a uniform share (at most ``1 - KEEP``) of the cut's
    margin at x*: still valid, still cutting x* off, no longer the limit in the cut's scale."""
    margin = cut.violation(x_star_kw)
    if cut.index.size == 0 or not margin > 0:
        return cut
    return FeasibilityCut(cut.index, cut.coef, cut.rhs + rng.uniform(0.0, 1.0 - KEEP) * margin, cut.periods)
