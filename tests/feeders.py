"""Random radial feeders for property tests, given to Feeder.from_arrays in random order, and
the embedded IEEE 13 case folder with its loads scaled (for the CLI's failure paths)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st

import tempp_core as tc
from tempp_core.network.feeder import Feeder


def random_tree(rng: np.random.Generator, n_bus: int, p_narrow: float) -> tuple[np.ndarray, list[str]]:
    """Random parents (parent[j] < j) and nested phases: with probability ``p_narrow`` a bus
    keeps a random non-empty subset of its parent's phases, else all of them."""
    parent = np.array([-1] + [int(rng.integers(0, j)) for j in range(1, n_bus)])
    phases = ["abc"]
    for j in range(1, n_bus):
        up = phases[parent[j]]
        k = int(rng.integers(1, len(up) + 1)) if rng.random() < p_narrow else len(up)
        phases.append("".join(sorted(rng.choice(list(up), size=k, replace=False))))
    return parent, phases


def random_feeder_arrays(seed: int, n_bus: int, with_ratio: bool = False) -> dict:
    """Raw arrays of a random feeder: random parents, nested random phases, random symmetric
    r and x with mutual terms, buses listed in a shuffled order and some lines reversed."""
    rng = np.random.default_rng(seed)
    parent, phases = random_tree(rng, n_bus, 0.5)
    n_line = n_bus - 1
    a = rng.uniform(0.001, 0.02, (n_line, 3, 3))
    # diagonally dominant (mutual terms below 0.02 each): positive definite, as a passive line's is
    r = (a + a.transpose(0, 2, 1)) / 2 + np.eye(3) * rng.uniform(0.04, 0.08, (n_line, 1, 1))
    b = rng.uniform(0.001, 0.03, (n_line, 3, 3))
    x = (b + b.transpose(0, 2, 1)) / 2 + np.eye(3) * rng.uniform(0.02, 0.08, (n_line, 1, 1))
    ratio = 1.0 + (rng.uniform(-0.05, 0.05, (n_line, 3)) if with_ratio else 0.0) * np.ones((n_line, 3))
    names = np.array([f"b{k}" for k in rng.permutation(n_bus)])
    order = rng.permutation(n_bus)  # caller's bus order
    reverse = rng.random(n_line) < 0.3
    if with_ratio:  # a reversed regulator would invert its ratio; keep those forward
        reverse[:] = False
    fb = np.where(reverse, names[1:], names[parent[1:]])
    tb = np.where(reverse, names[parent[1:]], names[1:])
    line_order = rng.permutation(n_line)
    return dict(
        tree_parent=parent, tree_names=names, tree_phases=phases, tree_r=r, tree_x=x, tree_ratio=ratio,
        bus_names=list(names[order]), bus_phases=[phases[k] for k in order],
        line_from=list(fb[line_order]), line_to=list(tb[line_order]),
        line_phases=[phases[1:][k] for k in line_order],
        line_names=[f"L{k}" for k in line_order],
        r_pu=r[line_order], x_pu=x[line_order], ratio=ratio[line_order],
    )


def build(arrays: dict, **options) -> Feeder:
    keys = ("bus_names", "line_from", "line_to", "r_pu", "x_pu", "bus_phases", "line_phases", "line_names", "ratio")
    return Feeder.from_arrays(**{k: arrays[k] for k in keys}, swing=arrays["tree_names"][0], **options)


def random_loads(feeder: Feeder, seed: int, batch=()) -> tuple[np.ndarray, np.ndarray]:
    """Random net loads (p.u.) on present phases, shape (*batch, n_bus, 3)."""
    rng = np.random.default_rng(seed + 1)
    p = rng.uniform(-0.02, 0.05, batch + (feeder.n_bus, 3)) * feeder.bus_phases
    q = rng.uniform(-0.01, 0.03, batch + (feeder.n_bus, 3)) * feeder.bus_phases
    return p, q


feeder_seeds = st.tuples(st.integers(0, 100_000), st.integers(2, 25))


def write_scaled_ieee13(folder: Path, scale: float) -> Path:
    """The embedded IEEE 13 case folder written to ``folder`` with every load times ``scale``."""
    source = tc.cases.data_path("ieee13")
    for name in ("branch_data.csv", "reg_data.csv", "cap_data.csv"):
        (folder / name).write_bytes((source / name).read_bytes())
    buses = pd.read_csv(source / "bus_data.csv")
    load_columns = [f"{k}l_{p}" for p in "abc" for k in "pq"]
    buses[load_columns] *= scale
    buses.to_csv(folder / "bus_data.csv", index=False)
    return folder
