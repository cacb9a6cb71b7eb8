"""Random but realistic unbalanced radial feeders of any size (tested up to 1,000,000 buses).

Everything is vectorized with NumPy: the only Python loops run over the three levels of the
tree and the handful of line codes, never over buses. Construction, in order:

- **Tree (three levels).** Bus 0 is the swing bus (the substation). The other buses are
  split 15 / 45 / 40 % (the trunk gets at least ``sqrt(n)``) into
  *trunk* — a three-phase backbone grown as a random recursive tree with a branching bias
  (each new bus continues the previous one with probability ``trunk_continue`` = 0.9, else
  branches off a uniformly drawn earlier trunk bus): a main line with three-phase branches;
  *laterals* — chains (geometric lengths, mean 8 buses) tapped off uniformly drawn trunk buses;
  *sub-laterals* — chains (mean 4 buses) tapped off uniformly drawn lateral buses.
  Parents always precede children (``parent[j] < j``). The depth grows slowly: about 80
  sections at 1,000 buses, 300 at 1,000,000.
- **Phases (nested by construction).** The trunk is three-phase. A lateral takes 3, 2 or 1
  of the phases of the bus it is tapped from (probabilities 0.3 / 0.2 / 0.5), a sub-lateral
  3, 2 or 1 (0.2 / 0.3 / 0.5, capped by what its tap bus has); which ones is drawn at random
  among the tap bus's. A chain keeps its phases along its length, so every line's phases are
  a subset of its upstream bus's phases. About half the lines end up single-phase.
- **Impedance.** Full symmetric 3x3 phase impedance matrices from overhead-line geometry:
  Kersting's modified Carson equations (60 Hz, 100 ohm-m earth) on the IEEE pole spacing
  500 (phase positions at 0, 2.5 and 7 ft, 28 ft high; neutral at 4 ft, 24 ft), Kron-reduced
  over the conductors actually strung. Line codes: trunk 556 kcmil ACSR (self 0.34 + j1.03
  ohm/mile, mutual 0.15 + j0.38..0.50, i.e. |z_mutual| 38-48 % of |z_self|), three-phase
  laterals 336 kcmil ACSR, two-phase laterals 4/0 ACSR, single-phase laterals 4/0 or 1/0 ACSR.
  Segment lengths are log-normal (median 120 m trunk, 70 m laterals, 50 m sub-laterals,
  sigma 0.5); p.u. on ``Z_base = v_base_v**2 / (1000 s_base_kva)``.
- **Loads.** Every end-of-line bus, 50 % of the other trunk buses and 90-95 % of the other
  lateral buses carry a load on each of their phases: log-normal (sigma 0.6) per phase,
  power factor 0.85-0.98 lagging per bus. Unbalanced both by the phases present and by the
  draws.
- **Size rule.** The impedances stay those of real conductors; the *loads* are scaled as a
  whole by ``k = min(k_cap, (1 - v_min_target**2) / drop, (v_max_target**2 - 1) / rise)``,
  where ``drop`` / ``rise`` are the largest fall / rise of ``v**2`` below / above the swing
  under the unscaled loads (LinDist3Flow is linear in the loads with the swing fixed, so one
  power flow on the generator's own arrays gives ``k`` exactly) and ``k_cap`` holds the median
  loaded bus-phase at ``max_load_kw`` (40 kW). So below a few hundred buses the loads are
  realistic and the voltages stay above 0.95; above, the lowest base-case voltage is exactly
  ``v_min_target`` (0.95 p.u.) and the feeder's total demand stays at what its conductors
  carry within that drop (1.5-2.5 MW per phase, for 1,000 or 1,000,000 buses alike): a
  bigger feeder is a finer one, with smaller loads per bus. A 24-hour shape up to 1.1x the
  base keeps every voltage within about [0.94, 1.05].
- **Limits.** Voltage 0.95-1.05 p.u. (Table C3); line ratings ``flow_limit_factor`` (2.5)
  times the line's base-case |P| and |Q| (largest phase), at least 1e-3 p.u. Table C3's
  0.5 p.u. would mean nothing across sizes.

The same ``seed`` gives the same feeder and loads, bit for bit.
"""
from __future__ import annotations

import numpy as np

from ..feeder import Feeder
from ..feeder.lindist import lindist_matrices
from ..kernels.sweeps import flow_sweep, path_sums
from ..topology import children_csr

#: 12.47 kV line-to-line primary feeder: the phase-to-neutral base voltage, V.
SYNTHETIC_V_BASE_V = 12470.0 / np.sqrt(3.0)

_METERS_PER_MILE = 1609.344
# Conductors (Kersting, Distribution System Modeling and Analysis, App. B):
# resistance at 50 C (ohm/mile), geometric mean radius (ft).
_CONDUCTORS = {
    "556 ACSR": (0.1859, 0.0313),
    "336 ACSR": (0.306, 0.0244),
    "4/0 ACSR": (0.592, 0.00814),
    "1/0 ACSR": (1.12, 0.00446),
}
# IEEE spacing 500: three phase positions on the crossarm and the neutral below (ft).
_POSITIONS = np.array([[0.0, 28.0], [2.5, 28.0], [7.0, 28.0]])
_NEUTRAL = np.array([4.0, 24.0])
# Line codes: phase conductor, neutral conductor, crossarm position of phases a, b, c.
_CODES = (
    ("556 ACSR", "4/0 ACSR", (1, 0, 2)),   # 0 trunk (IEEE config 601 phasing BACN)
    ("336 ACSR", "4/0 ACSR", (1, 2, 0)),   # 1 three-phase lateral (CABN)
    ("4/0 ACSR", "4/0 ACSR", (0, 1, 2)),   # 2 lateral
    ("1/0 ACSR", "1/0 ACSR", (0, 1, 2)),   # 3 light single-phase lateral
)
# Tree shape.
_SHARES = (0.15, 0.45, 0.40)          # trunk, laterals, sub-laterals
_CHAIN_MEAN = (None, 8.0, 4.0)        # mean buses per lateral / sub-lateral
_PHASE_COUNT_P = (None, (0.5, 0.2, 0.3), (0.5, 0.3, 0.2))   # P(1, 2, 3 phases)
_LENGTH_MEDIAN_M = (120.0, 70.0, 50.0)
_LOADED_P = (0.5, 0.9, 0.95)
_LENGTH_SIGMA = 0.5
_LOAD_SIGMA = 0.6
_BITS = np.array([1, 2, 4])


def _carson(phase: str, neutral: str, position: tuple[int, int, int], mask: np.ndarray) -> np.ndarray:
    """Phase impedance (3, 3) complex, ohm/mile, of the phases in ``mask`` strung with a
    neutral (modified Carson, Kron-reduced); zero rows/columns on absent phases."""
    idx = np.flatnonzero(mask)
    xy = np.vstack([_POSITIONS[[position[f] for f in idx]], _NEUTRAL])
    r = np.array([_CONDUCTORS[phase][0]] * idx.size + [_CONDUCTORS[neutral][0]])
    gmr = np.array([_CONDUCTORS[phase][1]] * idx.size + [_CONDUCTORS[neutral][1]])
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(dist, gmr)
    z = 0.09530 + 0.12134j * (np.log(1.0 / dist) + 7.93402)
    z[np.diag_indices_from(z)] += r
    reduced = z[:-1, :-1] - np.outer(z[:-1, -1], z[-1, :-1]) / z[-1, -1]
    out = np.zeros((3, 3), dtype=complex)
    out[np.ix_(idx, idx)] = 0.5 * (reduced + reduced.T)
    return out


def _code_table() -> np.ndarray:
    """Impedance of every line code and phase set: (n_code, 8, 3, 3) complex, ohm/mile,
    indexed by the phase bits a=1, b=2, c=4 (entry 0 unused)."""
    table = np.zeros((len(_CODES), 8, 3, 3), dtype=complex)
    for c, (phase, neutral, position) in enumerate(_CODES):
        for bits in range(1, 8):
            table[c, bits] = _carson(phase, neutral, position, (bits & _BITS) > 0)
    return table


_Z_TABLE = _code_table()
# Resistance and reactance of every (code, phase bits), ohm/mile, flattened to code * 8 + bits.
_R_TABLE = np.ascontiguousarray(_Z_TABLE.real.reshape(-1, 3, 3))
_X_TABLE = np.ascontiguousarray(_Z_TABLE.imag.reshape(-1, 3, 3))
# Their LinDist3Flow matrices M^P, M^Q (linear in r, x: a line's are these times its length).
_MP_TABLE, _MQ_TABLE = lindist_matrices(
    _R_TABLE, _X_TABLE, np.tile((np.arange(8)[:, None] & _BITS) > 0, (len(_CODES), 1)))


def _subsets(parent_mask: np.ndarray, count: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row, ``count`` phases drawn at random among those of ``parent_mask``
    (at most all of them): a bool mask (m, 3) that is a non-empty subset of the row."""
    keys = np.where(parent_mask, rng.random(parent_mask.shape), np.inf)
    rank = np.argsort(np.argsort(keys, axis=1), axis=1)
    return (rank < count[:, None]) & parent_mask


def _level_sizes(n_buses: int) -> list[int]:
    m = n_buses - 1
    # At least ~sqrt(m) trunk buses, so that small feeders still have a three-phase trunk.
    n0 = max(int(round(_SHARES[0] * m)), min(m, int(np.ceil(np.sqrt(m)))))
    n1 = min(m - n0, int(round(_SHARES[1] * m)))
    return [n0, n1, m - n0 - n1]


def _tree(n_buses: int, rng: np.random.Generator, trunk_continue: float):
    """Parent (n,), level (n,), bus phase mask (n, 3) and line code (n,) of a random
    three-level feeder; entry 0 is the swing bus."""
    parent = np.full(n_buses, -1, dtype=np.int64)
    level = np.zeros(n_buses, dtype=np.int8)
    phases = np.ones((n_buses, 3), dtype=bool)
    code = np.zeros(n_buses, dtype=np.int8)
    sizes = _level_sizes(n_buses)
    # Trunk: random recursive tree with a bias to continue the previous bus.
    n0 = sizes[0]
    g = np.arange(1, n0 + 1)
    branch = rng.random(n0) >= trunk_continue
    parent[g] = np.where(branch, 1 + np.floor(rng.random(n0) * (g - 1)).astype(np.int64), g - 1)
    parent[1] = 0
    upper = (1, n0 + 1)  # global range of the level laterals tap from
    start = n0 + 1
    for lev in (1, 2):
        m = sizes[lev]
        if m == 0:
            continue
        stop = start + m
        j = np.arange(start, stop)
        first = rng.random(m) < 1.0 / _CHAIN_MEAN[lev]
        first[0] = True
        chain = np.cumsum(first) - 1
        n_chain = int(chain[-1]) + 1
        tap = upper[0] + np.floor(rng.random(n_chain) * (upper[1] - upper[0])).astype(np.int64)
        count = 1 + rng.choice(3, size=n_chain, p=_PHASE_COUNT_P[lev])
        chain_phases = _subsets(phases[tap], count, rng)
        n_ph = chain_phases.sum(axis=1)
        light = rng.random(n_chain) < 0.5
        chain_code = np.where(n_ph == 3, 1 if lev == 1 else 2, np.where((n_ph == 1) & light, 3, 2))
        parent[j] = np.where(first, tap[chain], j - 1)
        phases[j] = chain_phases[chain]
        code[j] = chain_code[chain]
        level[j] = lev
        upper = (start, stop)
        start = stop
    return parent, level, phases, code


def _base_state(parent, phases, kind, scale, p, q):
    """Line flows (n_line, 3) and squared voltages (n_bus, 3) of one LinDist3Flow solve on
    the generator's own arrays (swing at 1 p.u., no regulators), without forming the
    per-line M^P, M^Q: each line's drop is its code's matrices times its length."""
    n = parent.size
    ptr, child = children_csr(parent)
    P = np.empty((n - 1, 1, 3))
    Q = np.empty((n - 1, 1, 3))
    flow_sweep(ptr, child, phases, p.reshape(n, 1, 3), q.reshape(n, 1, 3), P, Q)
    P, Q = P[:, 0], Q[:, 0]
    drop = np.empty((n - 1, 3))
    by_kind = np.argsort(kind, kind="stable")
    bounds = np.searchsorted(kind[by_kind], np.arange(_MP_TABLE.shape[0] + 1))
    for k in np.flatnonzero(np.diff(bounds)):      # at most 4 codes x 7 phase sets
        sel = by_kind[bounds[k]:bounds[k + 1]]
        # einsum, not @: OpenBLAS is slow (and threads) on (m, 3) x (3, 3)
        drop[sel] = (np.einsum("lg,fg->lf", P[sel], _MP_TABLE[k])
                     + np.einsum("lg,fg->lf", Q[sel], _MQ_TABLE[k])) * scale[sel, None]
    v2 = np.ones((n, 3))
    for f in range(3):
        v2[:, f] += path_sums(parent, np.ascontiguousarray(drop[:, f]))
    return P, Q, v2


def synthetic(n_buses: int, *, seed: int = 0, s_base_kva: float = 1000.0,
              v_base_v: float = SYNTHETIC_V_BASE_V, v_min_target: float = 0.95,
              v_max_target: float = 1.05, max_load_kw: float = 40.0, trunk_continue: float = 0.9,
              flow_limit_factor: float = 2.5) -> tuple[Feeder, np.ndarray, np.ndarray]:
    """A random unbalanced radial feeder with its base net loads.

    Parameters
    ----------
    n_buses : int
        Number of buses, swing bus included (>= 2).
    seed : int
        Same seed, same feeder and loads (bit for bit).
    s_base_kva : float
        Per-phase power base, kVA.
    v_base_v : float
        Phase-to-neutral voltage base, V (default: 12.47 kV line-to-line).
    v_min_target, v_max_target : float
        The loads are scaled so that the base case's lowest voltage is ``v_min_target``
        and none exceeds ``v_max_target``, p.u. ...
    max_load_kw : float
        ... unless the median loaded bus-phase would then draw more than this (kW): small
        feeders (below a few hundred buses) are capped here and stay above ``v_min_target``.
    trunk_continue : float
        Probability that a trunk bus extends the previous one rather than branching (0..1).
    flow_limit_factor : float
        Line ratings as a multiple of the base-case flows.

    Returns
    -------
    feeder : Feeder
        Buses named by generation index (``'b0'`` is the swing bus), held by the feeder in
        its depth-first order; line ``'l<k>'`` feeds bus ``'b<k>'``.
    p, q : ndarray (n_buses, 3)
        Base net loads, p.u. of ``s_base_kva``, in the feeder's bus order; zero on absent
        phases and at the swing bus.

    Examples
    --------
    >>> from tempp_core.cases.synthetic import synthetic
    >>> feeder, p, q = synthetic(1000, seed=1)
    >>> feeder.n_bus, p.shape
    (1000, (1000, 3))
    """
    n_buses = int(n_buses)
    if n_buses < 2:
        raise ValueError(f"n_buses must be at least 2, got {n_buses}")
    if not 0.0 <= trunk_continue <= 1.0:
        raise ValueError(f"trunk_continue must be in [0, 1], got {trunk_continue}")
    if not max_load_kw > 0:
        raise ValueError(f"max_load_kw must be positive, got {max_load_kw}")
    if not 0.0 < v_min_target < 1.0 < v_max_target:
        raise ValueError(f"need 0 < v_min_target < 1 < v_max_target, got {v_min_target}, {v_max_target}")
    rng = np.random.default_rng(seed)
    parent, level, phases, code = _tree(n_buses, rng, trunk_continue)

    # Impedances: line l (0-based) feeds bus l + 1; ``kind`` indexes the per-code tables.
    lph = phases[1:]
    kind = code[1:].astype(np.int64) * 8 + lph @ _BITS
    length_m = np.asarray(_LENGTH_MEDIAN_M)[level[1:]] * rng.lognormal(0.0, _LENGTH_SIGMA, n_buses - 1)
    scale = length_m / _METERS_PER_MILE / (v_base_v**2 / (1000.0 * s_base_kva))
    r = _R_TABLE[kind] * scale[:, None, None]
    x = _X_TABLE[kind] * scale[:, None, None]

    # Loads, unscaled, then the one scale that keeps the base case within the targets.
    leaf = np.bincount(parent[1:], minlength=n_buses) == 0
    loaded = (rng.random(n_buses) < np.asarray(_LOADED_P)[level]) | leaf
    loaded[0] = False
    p = rng.lognormal(0.0, _LOAD_SIGMA, (n_buses, 3)) * (phases & loaded[:, None])
    tan_phi = np.tan(np.arccos(rng.uniform(0.85, 0.98, (n_buses, 1))))
    q = p * tan_phi
    P, Q, v2 = _base_state(parent, phases, kind, scale, p, q)
    dv = (v2 - 1.0)[phases]
    drop, rise = max(-dv.min(), 0.0), max(dv.max(), 0.0)
    k = max_load_kw / s_base_kva
    if drop > 0:
        k = min(k, (1.0 - v_min_target**2) / drop)
    if rise > 0:
        k = min(k, (v_max_target**2 - 1.0) / rise)
    p *= k
    q *= k
    p_max = np.maximum(flow_limit_factor * k * np.abs(P).max(axis=1), 1e-3)
    q_max = np.maximum(flow_limit_factor * k * np.abs(Q).max(axis=1), 1e-3)

    digits = np.arange(n_buses).astype(f"U{len(str(n_buses))}")
    names = np.strings.add("b", digits)
    feeder = Feeder.from_arrays(
        names, names[parent[1:]], names[1:], r, x, swing="b0", bus_phases=phases,
        line_phases=lph, line_names=np.strings.add("l", digits[1:]),
        p_max_pu=p_max, q_max_pu=q_max, s_base_kva=s_base_kva, v_base_v=v_base_v,
    )
    # The feeder reorders buses depth-first; its names give back the generation index.
    order = np.strings.slice(np.asarray(feeder.bus_names), 1, None).astype(np.int64)
    return feeder, p[order], q[order]


__all__ = ["synthetic", "SYNTHETIC_V_BASE_V"]
