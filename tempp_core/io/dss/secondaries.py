"""Split-phase (120/240 V) service secondaries and three-winding transformers, mapped onto the
three-phase tree.

The model (docs/validation.md, "How read_dss models the circuit"):

- A **center-tap transformer** is a single-phase, three-winding OpenDSS transformer whose
  windings 2 and 3 (the two 120 V halves) sit on the same secondary bus. It becomes one
  single-phase branch on the primary phase it is connected to (phase a for ``bus.1``).
- Every bus reached from that secondary bus through lines (the triplex network) is a
  single-phase bus on the same primary phase. Its voltage is the *equivalent* half-voltage
  ``|V_1 - V_2| / 2`` on a base of the half-winding's rated voltage (120 V): with equal legs
  it is the 120 V leg voltage. Its load is the sum of the leg-1, leg-2 and 240 V loads.
- Equivalent series impedances follow from equal legs (no neutral current), where a power S
  flows as current S/240 in each leg, i.e. ``2 I`` in the 120 V equivalent:

  * triplex line with leg impedance matrix Z (ohm): ``Z_eq = (Z11 + Z22 - 2 Z12) / 4``
    (a single-leg line: ``Z11 / 2``, the leg's drop halved in the average);
  * center-tap transformer (percent on winding 1's kVA, star legs H, X1, X2 from
    XHL, XHT, XLT): ``z_eq = z_H + (z_X1 + z_X2) / 4`` with resistances
    ``R1 + (R2 S1/S2 + R3 S1/S3) / 4``.

  Unequal legs drive a neutral current that this equivalent leaves out: each leg's own
  voltage differs from the equivalent by about half the leg imbalance times the neutral
  path's impedance.
- Any other **three-winding transformer** becomes its star (T) equivalent: a fictitious bus
  at the primary's voltage joined to the three windings' buses by ``z_H``, ``z_X``, ``z_T``
  (one of them may be negative, as for real units).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ...errors import FeederError
from .elements import RawLine, RawTransformer


def is_center_tap(t: RawTransformer) -> bool:
    """A single-phase, three-winding transformer whose windings 2 and 3 share a bus."""
    w = t.windings
    return t.n_phases == 1 and len(w) == 3 and w[1].bus == w[2].bus and w[1].bus != w[0].bus


def star_pct(t: RawTransformer) -> tuple[complex, complex, complex]:
    """Star-equivalent impedances of a three-winding transformer, percent on winding 1's kVA:
    ``(z_H, z_X, z_T)``, each with its winding's resistance."""
    xhl, xht, xlt = t.x_pct
    s1 = t.windings[0].kva
    r = [w.r_pct * s1 / w.kva for w in t.windings]
    return (complex(r[0], (xhl + xht - xlt) / 2.0), complex(r[1], (xhl + xlt - xht) / 2.0),
            complex(r[2], (xht + xlt - xhl) / 2.0))


def center_tap_pct(t: RawTransformer) -> complex:
    """Equivalent series impedance of a center-tap transformer with equal legs, percent on
    winding 1's kVA, seen from the secondary's 120 V equivalent: ``z_H + (z_X1 + z_X2) / 4``."""
    z_h, z_x1, z_x2 = star_pct(t)
    return z_h + (z_x1 + z_x2) / 4.0


def triplex_ohm(z_ohm: np.ndarray) -> complex:
    """Equivalent series impedance (ohm) of a secondary line in the 120 V equivalent.

    Parameters
    ----------
    z_ohm : complex ndarray (n, n)
        Leg impedance matrix, n = 2 (both legs) or 1 (one leg).
    """
    if z_ohm.shape == (2, 2):
        return complex(z_ohm[0, 0] + z_ohm[1, 1] - 2.0 * z_ohm[0, 1]) / 4.0
    if z_ohm.shape == (1, 1):
        return complex(z_ohm[0, 0]) / 2.0
    raise FeederError(f"a secondary line has {z_ohm.shape[0]} legs; expected 1 or 2")


def secondary_phases(lines: list[RawLine], transformers: list[RawTransformer]) -> dict[str, tuple[int, str]]:
    """Buses of split-phase secondaries: bus -> (primary phase 0..2, center-tap transformer).

    A secondary is everything reached from a center-tap transformer's secondary bus through
    lines. Raises FeederError if two center-tap transformers on different phases feed the
    same secondary network, or one sits on no primary phase.
    """
    roots: dict[str, tuple[int, str]] = {}
    for t in transformers:
        if not is_center_tap(t):
            continue
        node = t.windings[0].nodes[0]
        if not 1 <= node <= 3:
            raise FeederError(f"center-tap {t.name} has its primary winding on node {node} of bus "
                              f"'{t.windings[0].bus}'; expected a phase node 1, 2 or 3")
        roots[t.windings[1].bus] = (node - 1, t.name)
    if not roots:
        return {}
    names = sorted({b for ln in lines for b in (ln.bus1, ln.bus2)} | set(roots))
    index = {b: k for k, b in enumerate(names)}
    i = np.array([index[ln.bus1] for ln in lines], dtype=np.int64)
    j = np.array([index[ln.bus2] for ln in lines], dtype=np.int64)
    graph = sp.coo_matrix((np.ones(len(lines)), (i, j)), shape=(len(names), len(names)))
    _, label = connected_components(graph, directed=False)
    owner: dict[int, tuple[int, str]] = {}
    for bus, (phase, name) in roots.items():
        other = owner.setdefault(label[index[bus]], (phase, name))
        if other[0] != phase:
            raise FeederError(f"secondary network fed by {other[1]} (phase {'abc'[other[0]]}) is also fed by "
                              f"{name} (phase {'abc'[phase]}); split-phase secondaries must hang off one phase")
    return {b: owner[label[k]] for b, k in index.items() if label[k] in owner}
