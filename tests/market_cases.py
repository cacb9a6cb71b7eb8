"""Random small market cases (feeder + participants + placement) for property tests."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tempp_core.case import Case, Placement
from tempp_core.network.feeder import Feeder
from tempp_core.market import DER, Customer, MainGrid, Market
from tempp_core.network.explicit_rows import network_block
from tempp_core.network.placement import InjectionMap

from tests.feeders import random_tree

KINDS = ("RL", "IL", "CL", "AL")


def random_feeder(rng: np.random.Generator, n_bus: int, z_scale: float) -> Feeder:
    """A random radial three-phase feeder with single- and two-phase laterals."""
    parent, phases = random_tree(rng, n_bus, 0.4)
    n_line = n_bus - 1
    r = np.zeros((n_line, 3, 3))
    x = np.zeros((n_line, 3, 3))
    for k in range(n_line):
        self_r, self_x = rng.uniform(0.5, 1.5, 2) * z_scale
        mut = rng.uniform(0.1, 0.4)
        r[k] = self_r * (np.eye(3) + mut * (1 - np.eye(3)))
        x[k] = self_x * (np.eye(3) + 1.3 * mut * (1 - np.eye(3)))
    names = [f"n{j}" for j in range(n_bus)]
    return Feeder.from_arrays(names, [names[p] for p in parent[1:]], names[1:], r, x, swing="n0",
                              line_phases=phases[1:], bus_phases=phases)


def random_case(seed: int, n_bus: int = 8, n_der: int = 3, n_customer: int = 4, T: int = 3,
                v_target: float | None = 0.94) -> Case:
    """A random case: DERs and customers at random non-swing buses, random profiles.

    With ``v_target``, impedances are scaled so that the market cleared without the network
    brings the lowest voltage exactly to ``v_target`` p.u. (LinDist3Flow drops are linear in
    the impedance), so the network matters in most cases.
    """
    case = _random_case(np.random.default_rng(seed), n_bus, n_der, n_customer, T, 1.0)
    if v_target is None:
        return case
    from tempp_core.market import MasterProblem

    x_free = MasterProblem(case.market).solve().x_kw
    v2, _, _ = independent_state(case, x_free)
    on = case.feeder.bus_phases[:, None, :] & (np.arange(case.feeder.n_bus) > 0)[:, None, None]
    drop = 1.0 - np.min(np.where(on, v2, np.inf))
    scale = (1.0 - v_target**2) / drop if drop > 0 else 1.0
    return _random_case(np.random.default_rng(seed), n_bus, n_der, n_customer, T, scale)


def _random_case(rng: np.random.Generator, n_bus: int, n_der: int, n_customer: int, T: int,
                 z_scale: float) -> Case:
    feeder = random_feeder(rng, n_bus, z_scale)
    buses = feeder.bus_names
    placement = []

    depth = feeder.depth()
    deep = np.flatnonzero(depth >= max(1, np.median(depth[1:])))

    def place(name, phase=None):
        j = int(rng.choice(deep)) if phase is not None else int(rng.integers(1, feeder.n_bus))
        have = [p for p, on in zip("abc", feeder.bus_phases[j]) if on]
        if phase is not None:  # a DER deep in the feeder, on one phase (the given one if there)
            placement.append(Placement(name, buses[j], phase if phase in have else str(rng.choice(have))))
            return
        k = int(rng.integers(1, len(have) + 1))
        placement.append(Placement(name, buses[j], "".join(sorted(rng.choice(have, size=k, replace=False)))))

    ders = []
    for d in range(n_der):
        ders.append(DER(f"D{d}", rng.uniform(20, 80, T), float(rng.uniform(0.0, 0.1))))
        place(f"D{d}", phase="abc"[d % 3])
    customers = []
    for c in range(n_customer):
        mean = rng.uniform(10, 40)
        shape = 1.0 + 0.3 * rng.uniform(-1, 1, T)
        customers.append(Customer(f"C{c}", KINDS[c % 4], mean * shape / shape.mean()))
        place(f"C{c}")
    lmp = rng.uniform(0.03, 0.2, T)
    market = Market(ders, MainGrid(lmp, p_max_kw=float(rng.uniform(60, 150))), customers, n_periods=T)
    return Case(feeder, market, tuple(placement), name="random")


def independent_state(case: Case, x_kw: np.ndarray):
    """Network state at x by a sparse direct solve of the explicit LinDist3Flow rows (no sweeps)."""
    return solve_network_rows(case.feeder, case.injections, case.n_periods, x_kw)


def solve_network_rows(feeder: Feeder, injections: InjectionMap, T: int, x_kw: np.ndarray):
    """Bus-major (v2, P, Q) from the explicit rows of :func:`network_block`, swing held."""
    block = network_block(feeder, injections)
    A = block.A_net.tocsc()
    held = feeder.v_swing_pu**2
    X = np.asarray(x_kw).reshape(-1, T)
    free = sp.linalg.spsolve(A[:, 3:].tocsc(), block.rhs[:, None] - block.A_x @ X - (A[:, :3] @ held)[:, None])
    return block.unpack(np.hstack([np.tile(held, (T, 1)), free.reshape(-1, T).T]))


def max_violation(case: Case, x_kw: np.ndarray) -> float:
    """Largest violation of any safety limit at x (p.u.), by :func:`independent_state`."""
    f = case.feeder
    v2, P, Q = independent_state(case, x_kw)
    on = f.bus_phases.copy()
    on[0] = False
    lo = (f.v_min_pu**2)[:, None, None] - v2
    hi = v2 - (f.v_max_pu**2)[:, None, None]
    worst_v = np.max(np.where(on[:, None, :], np.maximum(lo, hi), -np.inf))
    lon = f.line_phases[:, None, :]
    worst_p = np.max(np.where(lon, np.abs(P) - f.p_max_pu[:, None, None], -np.inf))
    worst_q = np.max(np.where(lon, np.abs(Q) - f.q_max_pu[:, None, None], -np.inf))
    return float(max(worst_v, worst_p, worst_q))
