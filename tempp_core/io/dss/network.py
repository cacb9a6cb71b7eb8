"""OpenDSS series elements as branches of the three-phase tree, in p.u.

Conventions: impedances in p.u. of the sending bus's phase-to-neutral base and the per-phase
power base; a transformer's ratio per phase is ``(kV2 tap2 / base2) / (kV1 tap1 / base1)`` with
each winding's phase-to-neutral (equivalent) rated voltage; phase shifts are dropped.
Ratings are per phase: a line's ``normamps`` times its sending bus's phase-to-neutral base
(twice that on a two-leg secondary line, whose 240 V carries the current), a transformer's
``normhkva`` per phase.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, shortest_path

from ...errors import FeederError
from .elements import RawLine, RawTransformer
from .secondaries import center_tap_pct, is_center_tap, star_pct, triplex_ohm


@dataclass
class Branch:
    """One branch of the tree: possibly several OpenDSS elements (a bank of single-phase
    units, per-phase lines) between the same two buses on disjoint phases."""

    name: str
    bus1: str
    bus2: str
    phases: np.ndarray  # bool (3,)
    r: np.ndarray  # (3, 3) p.u.
    x: np.ndarray
    b: np.ndarray
    ratio: np.ndarray  # (3,)
    normamps: float
    emergamps: float
    s_norm_kva: float  # per phase
    s_emerg_kva: float
    switch: bool
    elements: list[str] = field(default_factory=list)

    @classmethod
    def empty(cls, name: str, bus1: str, bus2: str, switch: bool = False) -> "Branch":
        z = np.zeros((3, 3))
        return cls(name, bus1, bus2, np.zeros(3, bool), z, z.copy(), z.copy(), np.ones(3), np.inf, np.inf,
                   np.inf, np.inf, switch, [name])

    def add(self, phases: list[int], z: np.ndarray, b: np.ndarray | None, ratio: float | None,
            normamps: float, emergamps: float, s_norm: float, s_emerg: float) -> None:
        idx = np.ix_(phases, phases)
        self.phases[phases] = True
        self.r[idx], self.x[idx] = z.real, z.imag
        if b is not None:
            self.b[idx] = b
        if ratio is not None:
            self.ratio[phases] = ratio
        self.normamps, self.emergamps = min(self.normamps, normamps), min(self.emergamps, emergamps)
        self.s_norm_kva, self.s_emerg_kva = min(self.s_norm_kva, s_norm), min(self.s_emerg_kva, s_emerg)


class _Branches:
    """Branches keyed by (bus1, bus2); elements on disjoint phases of one pair merge."""

    def __init__(self) -> None:
        self.items: list[Branch] = []
        self._by_pair: dict[tuple[str, str], Branch] = {}

    def get(self, name: str, bus1: str, bus2: str, phases: list[int], switch: bool = False) -> Branch:
        twin = self._by_pair.get((bus1, bus2))
        if twin is not None and not twin.phases[phases].any():
            twin.elements.append(name)
            twin.switch = twin.switch and switch
            return twin
        branch = Branch.empty(name, bus1, bus2, switch)
        self._by_pair.setdefault((bus1, bus2), branch)
        self.items.append(branch)
        return branch


def build_branches(lines: list[RawLine], transformers: list[RawTransformer], base_v: dict[str, float],
                   secondary: dict[str, tuple[int, str]], s_base_kva: float) -> tuple[list[Branch], dict[str, float]]:
    """All branches in p.u., and the base (V) of every bus that OpenDSS leaves without one or
    that the model sets itself (secondaries: the half-winding's rating; star points)."""
    s_base = s_base_kva * 1000.0
    bases = dict(base_v)
    for t in transformers:  # secondary equivalents: half-winding voltage
        if is_center_tap(t):
            bases[t.windings[1].bus] = t.windings[1].kv * 1000.0
    by_name = {t.name: t for t in transformers}
    for bus, (_, tname) in secondary.items():
        bases[bus] = by_name[tname].windings[1].kv * 1000.0
    out = _Branches()
    for ln in lines:
        _add_line(out, ln, bases, secondary, s_base)
    for t in transformers:
        _add_transformer(out, t, bases, secondary, s_base)
    return out.items, bases


def _phases(nodes: list[int]) -> list[int]:
    return [n - 1 for n in nodes if 1 <= n <= 3]


def _add_line(out: _Branches, ln: RawLine, bases: dict, secondary: dict, s_base: float) -> None:
    v1 = _base(bases, ln.bus1, ln.name)
    z_base = v1 * v1 / s_base
    if ln.bus1 in secondary:
        phase = secondary[ln.bus1][0]
        legs = len(ln.nodes)
        z = np.array([[triplex_ohm(ln.z_ohm)]]) / z_base
        rating = v1 * legs / 1000.0
        out.get(ln.name, ln.bus1, ln.bus2, [phase], ln.switch).add(
            [phase], z, None, None, ln.normamps, ln.emergamps, ln.normamps * rating, ln.emergamps * rating)
        return
    keep = [k for k, n in enumerate(ln.nodes) if 1 <= n <= 3]
    phases = [ln.nodes[k] - 1 for k in keep]
    if not phases:
        return
    sub = np.ix_(keep, keep)
    out.get(ln.name, ln.bus1, ln.bus2, phases, ln.switch).add(
        phases, ln.z_ohm[sub] / z_base, ln.b_siemens[sub] * z_base, None, ln.normamps, ln.emergamps,
        ln.normamps * v1 / 1000.0, ln.emergamps * v1 / 1000.0)


def _base(bases: dict, bus: str, element: str) -> float:
    v = bases.get(bus, 0.0)
    if not v > 0:
        raise FeederError(f"bus '{bus}' of {element} has no voltage base; add its kV to `set voltagebases=` "
                          f"and run `calcvoltagebases` in the model")
    return v


def _add_transformer(out: _Branches, t: RawTransformer, bases: dict, secondary: dict, s_base: float) -> None:
    w1 = t.windings[0]
    n = t.n_phases
    v1 = _base(bases, w1.bus, t.name)
    s1 = w1.kva / n * 1000.0  # rating per phase, VA
    scale = (w1.kv_ln * 1000.0 / v1) ** 2 * s_base / s1  # % on the rating -> p.u. on our bases (x100)
    norm, emerg = t.norm_kva / n, t.emerg_kva / n
    ph1 = _phases(w1.nodes)
    if not ph1:
        raise FeederError(f"{t.name} has its first winding on no phase node of bus '{w1.bus}'")

    def ratio(w) -> float:
        return (w.kv_ln * w.tap * 1000.0 / _base(bases, w.bus, t.name)) / (w1.kv_ln * w1.tap * 1000.0 / v1)

    def add(bus1: str, bus2: str, z_pct: complex, rho: float | None, name: str) -> None:
        z = np.full((len(ph1), len(ph1)), 0j)
        np.fill_diagonal(z, z_pct * scale / 100.0)
        out.get(name, bus1, bus2, ph1).add(ph1, z, None, rho, norm * 1000.0 / v1, emerg * 1000.0 / v1, norm, emerg)

    if len(t.windings) == 2:
        w2 = t.windings[1]
        z_pct = complex(w1.r_pct + w2.r_pct * w1.kva / w2.kva, t.x_pct[0])
        add(w1.bus, w2.bus, z_pct, ratio(t.windings[1]), t.name)
    elif is_center_tap(t):
        w2 = t.windings[1]
        rho = (w2.tap * w2.kv * 1000.0 / bases[w2.bus]) / (w1.kv_ln * w1.tap * 1000.0 / v1)
        add(w1.bus, w2.bus, center_tap_pct(t), rho, t.name)
    elif len(t.windings) == 3:
        star = "star:" + "|".join(w.bus for w in t.windings)
        bases.setdefault(star, v1)
        z_h, z_x, z_t = star_pct(t)
        add(w1.bus, star, z_h, None, t.name)
        add(star, t.windings[1].bus, z_x, ratio(t.windings[1]), t.name + ":x")
        add(star, t.windings[2].bus, z_t, ratio(t.windings[2]), t.name + ":t")
    else:
        raise FeederError(f"{t.name} has {len(t.windings)} windings; read_dss models two or three")


def radial_tree(branches: list[Branch], swing: str, file: str) -> np.ndarray:
    """Check that the branches reached from ``swing`` form a tree.

    Returns
    -------
    reached : bool ndarray (len(branches),)
        Branches connected to the swing bus (the rest hang on isolated buses).

    Raises
    ------
    FeederError
        If the connected part has loops, naming for each loop the switch to open (the switch
        farthest from the swing bus; the closing line where a loop has no switch).
    """
    buses = sorted({b for br in branches for b in (br.bus1, br.bus2)} | {swing})
    index = {b: k for k, b in enumerate(buses)}
    i = np.array([index[br.bus1] for br in branches], dtype=np.int64)
    j = np.array([index[br.bus2] for br in branches], dtype=np.int64)
    n = len(buses)
    graph = sp.coo_matrix((np.ones(len(branches)), (i, j)), shape=(n, n)).tocsr()
    order, pred = breadth_first_order(graph, index[swing], directed=False, return_predecessors=True)
    seen = np.zeros(n, bool)
    seen[order] = True
    reached = seen[i]
    depth = np.zeros(n, np.int64)
    for v in order[1:]:
        depth[v] = depth[pred[v]] + 1
    tree_edge: dict[int, int] = {}  # bus -> branch feeding it
    closing = []
    for k in np.flatnonzero(reached):
        a, c = i[k], j[k]
        child = c if pred[c] == a else a if pred[a] == c else -1
        if child >= 0 and child not in tree_edge:
            tree_edge[child] = k
        else:
            closing.append(k)
    if not closing:
        return reached
    to_open = _tie_switches(branches, i, j, n, index[swing], closing, pred, depth, tree_edge)
    names = [branches[k].name for k in to_open]
    lines = [repr(name.split(".", 1)[-1]) for name in names if name.startswith("line.")]
    hint = ", ".join(lines) + ("," if len(lines) == 1 else "")
    raise FeederError(
        f"{file}: the circuit is meshed ({len(closing)} loop{'s' if len(closing) > 1 else ''}); opening "
        f"{', '.join(names)} makes it radial" + (f": read_dss(..., open_lines=({hint}))" if hint else "")
    )


def _tie_switches(branches: list[Branch], i: np.ndarray, j: np.ndarray, n: int, root: int, closing: list[int],
                  pred: np.ndarray, depth: np.ndarray, tree_edge: dict) -> list[int]:
    """One branch per loop whose opening leaves a tree: a switch of the loop where it has one.

    Among a loop's switches the one kept open is the one that leaves the shortest feeding
    paths (least total number of branches between the source and every bus): a tie switch
    joins two feeders' far ends, while opening a sectionalizing switch would feed everything
    behind it the long way round. Loops are settled one after another."""
    opened = set(closing)

    def total_depth(removed: set) -> float:
        keep = np.array([k for k in range(len(branches)) if k not in removed])
        graph = sp.coo_matrix((np.ones(keep.size), (i[keep], j[keep])), shape=(n, n)).tocsr()
        return shortest_path(graph, directed=False, unweighted=True, indices=root).sum()

    for k in closing:
        cycle = [k] + _path_to_common(i[k], j[k], pred, depth, tree_edge)
        candidates = [e for e in cycle if branches[e].switch] or [k]
        if len(candidates) > 1:
            costs = [total_depth((opened - {k}) | {e}) for e in candidates]
            pick = candidates[int(np.argmin(costs))]
            opened = (opened - {k}) | {pick}
        elif candidates[0] != k:
            opened = (opened - {k}) | {candidates[0]}
    return sorted(opened, key=lambda e: branches[e].name)


def _path_to_common(a: int, c: int, pred: np.ndarray, depth: np.ndarray, tree_edge: dict) -> list[int]:
    """Tree branches on the paths from buses a and c up to their common ancestor."""
    path = []
    while a != c:
        if depth[a] < depth[c]:
            a, c = c, a
        path.append(tree_edge[a])
        a = pred[a]
    return path
