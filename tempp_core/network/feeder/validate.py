"""Checks and canonical ordering behind :meth:`Feeder.from_arrays`.

Everything a kernel would trip over later is caught here, with the element named.
The caller's arrays are never modified.
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np
import pandas as pd

from .. import topology
from ...errors import FeederError
from .phases import parse_phases


def _names(values: Sequence, what: str) -> tuple[str, ...]:
    missing = next((k for k, v in enumerate(values) if v is None or (isinstance(v, float) and np.isnan(v))), None)
    if missing is not None:
        raise FeederError(f"{what} name {missing} (counting from 0) is {values[missing]!r}; expected a non-empty name")
    names = tuple(np.asarray(values).astype(str).tolist())
    # object dtype: pandas 3 would otherwise convert to Arrow strings and back (~2x slower)
    index = pd.Index(names, dtype=object)
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise FeederError(f"{what} name {dup!r} is used more than once; names must be unique")
    return names


def _positions(names: Sequence, lookup: pd.Index, line_names: tuple[str, ...], end: str) -> np.ndarray:
    pos = lookup.get_indexer(pd.Index(np.asarray(names).astype(str), dtype=object))
    missing = np.flatnonzero(pos < 0)
    if missing.size:
        k = missing[0]
        raise FeederError(f"line '{line_names[k]}' has {end} bus {names[k]!r}, which is not a bus of the feeder")
    return pos.astype(np.int64)


def _phase_masks(values, n: int, kind: str, names: tuple[str, ...], default: str) -> np.ndarray:
    if values is None:
        return np.tile(parse_phases(default, kind), (n, 1))
    arr = np.asarray(values)
    if arr.dtype == bool:
        if arr.shape != (n, 3):
            raise FeederError(f"{kind} phase mask has shape {arr.shape}, expected ({n}, 3)")
        return arr.copy()
    if len(values) != n:
        raise FeederError(f"{len(values)} {kind} phase entries for {n} {kind}{'es' if kind == 'bus' else 's'}")
    cache: dict[str, np.ndarray] = {}
    out = np.empty((n, 3), dtype=bool)
    for k, text in enumerate(values):
        mask = cache.get(text)
        if mask is None:
            mask = cache[text] = parse_phases(text, f"{kind} '{names[k]}'")
        out[k] = mask
    return out


def _per_element(value, n: int, what: str) -> np.ndarray:
    """One float per element (a scalar broadcasts); values are checked by the feeder itself."""
    try:
        arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy() if np.ndim(value) == 0 \
            else np.asarray(value, dtype=np.float64).copy()
    except (TypeError, ValueError):
        raise FeederError(f"{what} is {value!r}; expected numbers") from None
    if arr.shape != (n,):
        raise FeederError(f"{what} has shape {arr.shape}, expected ({n},)")
    return arr


def _numbers(value, what: str) -> np.ndarray:
    """A copy of ``value`` as float64, or a FeederError naming ``what``."""
    try:
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise FeederError(f"{what} is {value!r}; expected numbers") from None


def _impedance(value, n_line: int, what: str) -> np.ndarray:
    arr = _numbers(value, what)
    if arr.shape != (n_line, 3, 3):
        raise FeederError(
            f"{what} has shape {arr.shape}; expected a square 3x3 matrix per line, i.e. ({n_line}, 3, 3)"
        )
    return arr


def build_feeder(cls, *, bus_names, line_from, line_to, r_pu, x_pu, swing, bus_phases, line_phases,
                 line_names, ratio, v_min_pu, v_max_pu, p_max_pu, q_max_pu, v_swing_pu,
                 s_base_kva, v_base_v, cap_q_pu=None, b_shunt_pu=None):
    """Validate, orient from the swing bus, reorder depth-first and build ``cls``."""
    if isinstance(s_base_kva, bool) or not isinstance(s_base_kva, numbers.Real) or not np.isfinite(s_base_kva) \
            or s_base_kva <= 0:
        raise FeederError(f"s_base_kva is {s_base_kva!r}; expected a positive finite power base (kVA per phase)")
    buses = _names(bus_names, "bus")
    n_bus = len(buses)
    if len(line_from) != len(line_to):
        raise FeederError(f"{len(line_from)} sending buses but {len(line_to)} receiving buses")
    n_line = len(line_from)
    if line_names is None:
        line_names = np.char.add(np.char.add(np.asarray(line_from).astype(str), "-"),
                                 np.asarray(line_to).astype(str))
    lines = _names(line_names, "line")
    if len(lines) != n_line:
        raise FeederError(f"{len(lines)} line names for {n_line} lines")
    lookup = pd.Index(buses, dtype=object)
    if str(swing) not in lookup:
        raise FeederError(f"swing bus {swing!r} is not a bus of the feeder")
    root = int(lookup.get_loc(str(swing)))
    fb = _positions(line_from, lookup, lines, "sending")
    tb = _positions(line_to, lookup, lines, "receiving")
    r = _impedance(r_pu, n_line, "resistance")
    x = _impedance(x_pu, n_line, "reactance")
    lph = _phase_masks(line_phases, n_line, "line", lines, "abc")
    ratio_arr = np.ones((n_line, 3)) if ratio is None else _numbers(ratio, "ratio")
    if ratio_arr.shape != (n_line, 3):
        raise FeederError(f"ratio has shape {ratio_arr.shape}, expected ({n_line}, 3)")
    if not (np.isfinite(ratio_arr) & (ratio_arr > 0)).all():  # inverted below: checked fully by the feeder
        k = int(np.flatnonzero(~(np.isfinite(ratio_arr) & (ratio_arr > 0)).all(axis=1))[0])
        raise FeederError(f"line '{lines[k]}' has ratio {ratio_arr[k]}; expected positive finite values")
    vmin = _per_element(v_min_pu, n_bus, "v_min_pu")
    vmax = _per_element(v_max_pu, n_bus, "v_max_pu")
    vbase = _per_element(v_base_v, n_bus, "v_base_v")
    pmax = _per_element(p_max_pu, n_line, "p_max_pu")
    qmax = _per_element(q_max_pu, n_line, "q_max_pu")
    b_sh = np.zeros((n_line, 3, 3)) if b_shunt_pu is None else _impedance(b_shunt_pu, n_line, "shunt susceptance")
    caps = np.zeros((n_bus, 3)) if cap_q_pu is None else _numbers(cap_q_pu, "cap_q_pu")
    if caps.shape != (n_bus, 3):
        raise FeederError(f"cap_q_pu has shape {caps.shape}, expected ({n_bus}, 3)")
    vswing = _numbers(v_swing_pu, "v_swing_pu")
    if vswing.shape not in ((), (3,)):
        raise FeederError(f"v_swing_pu has shape {vswing.shape}; expected one magnitude or three (phases a, b, c)")
    vswing = np.broadcast_to(vswing, (3,)).copy()

    tree = topology.orient_tree(n_bus, fb, tb, root, buses, lines)
    order, lo = tree.bus_order, tree.line_order
    parent = tree.parent
    lph = lph[lo]
    declared = None if bus_phases is None else _phase_masks(bus_phases, n_bus, "bus", buses, "abc")[order]
    bph = np.empty((n_bus, 3), dtype=bool)
    bph[0] = True if declared is None else declared[0]
    bph[1:] = lph if declared is None else declared[1:]
    ordered_buses = tuple(np.asarray(buses, dtype=object)[order].tolist())
    ordered_lines = tuple(np.asarray(lines, dtype=object)[lo].tolist())
    # Phase consistency (a line carries the phases of the bus it feeds, and only phases its
    # sending bus has) is checked by the feeder itself (checks.check_values).
    ratio_o = ratio_arr[lo]
    rev = tree.line_reversed
    # The impedance sits on the sending side of the ratio: turning a line around moves it to
    # the other side, Z -> D Z D with D = diag(ratio), and inverts the ratio.
    refer = ratio_o[rev][:, :, None] * ratio_o[rev][:, None, :]
    r, x = r[lo], x[lo]
    r[rev] *= refer
    x[rev] *= refer
    ratio_o[rev] = 1.0 / ratio_o[rev]
    mask = (lph[:, :, None] & lph[:, None, :])
    caps = caps[order]
    return cls(
        bus_names=ordered_buses,
        bus_phases=bph,
        v_min_pu=vmin[order],
        v_max_pu=vmax[order],
        v_base_v=vbase[order],
        v_swing_pu=vswing,
        line_names=ordered_lines,
        line_phases=lph,
        r_pu=np.where(mask, r, 0.0),
        x_pu=np.where(mask, x, 0.0),
        ratio=np.where(lph, ratio_o, 1.0),
        p_max_pu=pmax[lo],
        q_max_pu=qmax[lo],
        s_base_kva=float(s_base_kva),
        parent=parent,
        cap_q_pu=caps,
        b_shunt_pu=np.where(mask, b_sh[lo], 0.0),
    )
