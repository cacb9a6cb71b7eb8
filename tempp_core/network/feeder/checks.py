"""The values of a feeder's arrays, checked every time a :class:`Feeder` is made.

``Feeder.__post_init__`` runs these checks, so a feeder re-created with
``dataclasses.replace`` is validated again (a NaN limit, a negative resistance or an absurd
ratio cannot slip in that way). Every error names the element, the field, the value and what
was expected; values that are legal but suspicious give a warning.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from ...errors import FeederError
from .phases import phase_string

#: Voltage ratios (p.u. of the bus bases) outside this range are refused: a tap or an
#: off-nominal transformer ratio is a few per cent away from 1, not orders of magnitude.
RATIO_RANGE = (0.5, 2.0)
#: ... and outside this one they are accepted with a warning (a 32-step +-10 % regulator
#: stays within it).
USUAL_RATIO_RANGE = (0.85, 1.15)


class FeederWarning(UserWarning):
    """A feeder value that is legal but suspicious."""


#: The array fields of a feeder and the dtype each is held in.
ARRAY_DTYPES = {"bus_phases": bool, "line_phases": bool, "parent": np.int64,
                **{name: np.float64 for name in ("v_min_pu", "v_max_pu", "v_base_v", "v_swing_pu", "r_pu", "x_pu",
                                                  "ratio", "p_max_pu", "q_max_pu", "cap_q_pu", "b_shunt_pu")}}
#: Resistance matrices whose scaled principal minors fall below this are not positive semidefinite.
PSD_TOLERANCE = 1e-9


def coerced_fields(f) -> dict:
    """The fields of a feeder ``f`` as the kernels hold them: names as tuples of str, arrays as
    ndarrays of their dtype, the power base as a float (``dataclasses.replace`` may bring lists
    or text). Raises FeederError naming a field that is not numbers, a name that is blank."""
    out = {}
    for name, dtype in ARRAY_DTYPES.items():
        value = getattr(f, name)
        try:
            out[name] = np.asarray(value, dtype=dtype) if dtype is not bool or np.asarray(value).dtype == bool \
                else _bool_mask(value)
        except (TypeError, ValueError):
            shown = repr(value) if len(repr(value)) <= 80 and "\n" not in repr(value) \
                else f"a {type(value).__name__} of shape {np.shape(value)}"
            expected = "a phase mask (booleans)" if dtype is bool else "an array of numbers"
            raise FeederError(f"feeder field {name} is {shown}; expected {expected}") from None
    s_base = f.s_base_kva
    if isinstance(s_base, bool) or not isinstance(s_base, numbers.Real):
        raise FeederError(f"s_base_kva is {s_base!r}; expected a positive finite power base (kVA per phase)")
    out["s_base_kva"] = float(s_base)
    for field, what in (("bus_names", "bus"), ("line_names", "line")):
        names = tuple(getattr(f, field))
        blank = next((n for n in names if not isinstance(n, str) or not n.strip()), None)
        if blank is not None:
            raise FeederError(f"a {what} is named {blank!r}; expected a non-empty name (str)")
        if len(set(names)) != len(names):
            seen: set[str] = set()
            dup = next(n for n in names if n in seen or seen.add(n))
            raise FeederError(f"{what} name {dup!r} is used more than once; names must be unique")
        out[field] = names
    return out


def _bool_mask(value) -> np.ndarray:
    """A phase mask given as 0/1 numbers (anything else is refused)."""
    arr = np.asarray(value, dtype=np.float64)
    if not np.isin(arr, (0.0, 1.0)).all():
        raise ValueError("not a mask")
    return arr.astype(bool)


def check_values(f) -> None:
    """Check every array of an ordered feeder ``f``; raises FeederError, may warn FeederWarning."""
    n_bus, n_line = len(f.bus_names), len(f.line_names)
    shapes = {"bus_phases": (n_bus, 3), "v_min_pu": (n_bus,), "v_max_pu": (n_bus,), "v_base_v": (n_bus,),
              "v_swing_pu": (3,), "line_phases": (n_line, 3), "r_pu": (n_line, 3, 3), "x_pu": (n_line, 3, 3),
              "ratio": (n_line, 3), "p_max_pu": (n_line,), "q_max_pu": (n_line,), "parent": (n_bus,),
              "cap_q_pu": (n_bus, 3), "b_shunt_pu": (n_line, 3, 3)}
    for name, shape in shapes.items():
        if np.shape(getattr(f, name)) != shape:
            raise FeederError(f"feeder field {name} has shape {np.shape(getattr(f, name))}; expected {shape}")
    if n_line != n_bus - 1:
        raise FeederError(f"a radial feeder of {n_bus} buses has {n_bus - 1} lines; got {n_line}")
    parent = np.asarray(f.parent)
    if n_bus and (parent[0] != -1 or (parent[1:] >= np.arange(1, n_bus)).any() or (parent[1:] < 0).any()):
        raise FeederError("feeder field parent must list each bus's parent before it (depth-first order, "
                          "parent[0] = -1); build feeders with Feeder.from_arrays or from_tables")
    _check_phases(f)
    if not (np.isfinite(f.s_base_kva) and f.s_base_kva > 0):
        raise FeederError(f"s_base_kva is {f.s_base_kva!r}; expected a positive finite power base (kVA per phase)")
    _positive(f.v_base_v, f.bus_names, "v_base_v", "V")
    _positive(f.v_min_pu, f.bus_names, "v_min_pu", "p.u.")
    _positive(f.v_max_pu, f.bus_names, "v_max_pu", "p.u.")
    _positive(f.p_max_pu, f.line_names, "p_max_pu", "p.u.")
    _positive(f.q_max_pu, f.line_names, "q_max_pu", "p.u.")
    low = np.flatnonzero(f.v_min_pu >= f.v_max_pu)
    if low.size:
        k = low[0]
        raise FeederError(f"bus '{f.bus_names[k]}' has v_min_pu {f.v_min_pu[k]} >= v_max_pu {f.v_max_pu[k]}")
    if not (np.isfinite(f.v_swing_pu).all() and (f.v_swing_pu > 0).all()):
        raise FeederError(f"v_swing_pu is {f.v_swing_pu}; expected positive finite magnitudes")
    for name in ("r_pu", "x_pu", "b_shunt_pu"):
        _finite_symmetric(getattr(f, name), f.line_names, name)
    diag_r = np.diagonal(f.r_pu, axis1=1, axis2=2)
    negative = np.argwhere(f.line_phases & (diag_r < 0))
    if negative.size:
        k, ph = negative[0]
        raise FeederError(f"line '{f.line_names[k]}' has resistance r_{'abc'[ph]}{'abc'[ph]} = {diag_r[k, ph]} p.u.; "
                          "expected >= 0 (a series resistance cannot be negative)")
    _check_passive(f.r_pu, f.line_names)
    diag_x = np.diagonal(f.x_pu, axis1=1, axis2=2)
    if (f.line_phases & (diag_x < 0)).any():
        k, ph = np.argwhere(f.line_phases & (diag_x < 0))[0]
        warnings.warn(f"line '{f.line_names[k]}' has a negative self reactance x_{'abc'[ph]}{'abc'[ph]} = "
                      f"{diag_x[k, ph]} p.u. (a series capacitor?)", FeederWarning, stacklevel=4)
    ratio = np.where(f.line_phases, f.ratio, 1.0)
    bad = np.argwhere(~np.isfinite(ratio) | (ratio < RATIO_RANGE[0]) | (ratio > RATIO_RANGE[1]))
    if bad.size:
        k, ph = bad[0]
        raise FeederError(f"line '{f.line_names[k]}' has voltage ratio {float(ratio[k, ph])!r} on phase {'abc'[ph]}; expected "
                          f"an off-nominal ratio in p.u. of the bus bases, between {RATIO_RANGE[0]} and {RATIO_RANGE[1]}")
    odd = np.argwhere((ratio < USUAL_RATIO_RANGE[0]) | (ratio > USUAL_RATIO_RANGE[1]))
    if odd.size:
        k, ph = odd[0]
        warnings.warn(f"line '{f.line_names[k]}' has voltage ratio {ratio[k, ph]:.4g} on phase {'abc'[ph]}, beyond "
                      f"a regulator's +-15 %: are the bus voltage bases right?", FeederWarning, stacklevel=4)
    if not np.isfinite(f.cap_q_pu).all():
        raise FeederError("cap_q_pu has a non-finite entry; expected finite capacitor ratings (p.u.)")
    lacks_cap = np.flatnonzero(((f.cap_q_pu != 0) & ~f.bus_phases).any(axis=1))
    if lacks_cap.size:
        k = lacks_cap[0]
        raise FeederError(f"bus '{f.bus_names[k]}' has a capacitor on a phase it lacks (it has only "
                          f"'{phase_string(f.bus_phases[k])}')")


def _check_phases(f) -> None:
    """Every bus has a phase; each line carries exactly the phases of the bus it feeds, and
    only phases its sending bus has."""
    bph, lph, parent, buses, lines = f.bus_phases, f.line_phases, f.parent, f.bus_names, f.line_names
    none = np.flatnonzero(~bph.any(axis=1))
    if none.size:
        raise FeederError(f"bus '{buses[none[0]]}' has no phase; expected one or more of 'a', 'b', 'c'")
    upstream_lacks = np.flatnonzero((lph & ~bph[parent[1:]]).any(axis=1))
    if upstream_lacks.size:
        k = upstream_lacks[0]
        raise FeederError(
            f"line '{lines[k]}' (bus '{buses[parent[k + 1]]}' -> '{buses[k + 1]}') has phases "
            f"'{phase_string(lph[k])}' but bus '{buses[parent[k + 1]]}' has only '{phase_string(bph[parent[k + 1]])}'"
        )
    overhang = np.flatnonzero((lph & ~bph[1:]).any(axis=1))
    if overhang.size:
        k = overhang[0]
        raise FeederError(f"line '{lines[k]}' (-> bus '{buses[k + 1]}') has phases '{phase_string(lph[k])}' but bus "
                          f"'{buses[k + 1]}' has only '{phase_string(bph[k + 1])}'")
    unfed = np.flatnonzero((bph[1:] & ~lph).any(axis=1))
    if unfed.size:
        k = unfed[0]
        raise FeederError(f"bus '{buses[k + 1]}' has phases '{phase_string(bph[k + 1])}' but the line feeding it, "
                          f"'{lines[k]}', carries only '{phase_string(lph[k])}'")


def _check_passive(r: np.ndarray, line_names) -> None:
    """A line's resistance matrix is positive semidefinite (a passive line cannot generate
    power): every principal minor of r / max(diag r) at least -PSD_TOLERANCE."""
    d = np.abs(np.diagonal(r, axis1=1, axis2=2)).max(axis=1)
    a = r / np.where(d > 0, d, 1.0)[:, None, None]
    minors = [a[:, i, i] * a[:, j, j] - a[:, i, j] ** 2 for i, j in ((0, 1), (0, 2), (1, 2))]
    minors.append(np.linalg.det(a) if len(a) else np.zeros(0))
    bad = np.flatnonzero((np.stack(minors, axis=1) < -PSD_TOLERANCE).any(axis=1)) if len(a) else np.zeros(0, int)
    if bad.size:
        k = bad[0]
        raise FeederError(f"line '{line_names[k]}' has a resistance matrix that is not positive semidefinite "
                          f"(smallest eigenvalue {np.linalg.eigvalsh(r[k]).min():.4g} p.u.: its mutual resistances "
                          "exceed its self resistances, so it would generate power); expected a passive line")


def _positive(values: np.ndarray, names, field: str, unit: str) -> None:
    bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
    if bad.size:
        k = bad[0]
        raise FeederError(f"{field} of '{names[k]}' is {float(values[k])!r}; expected a positive finite number ({unit})")


def _finite_symmetric(values: np.ndarray, line_names, field: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values).all(axis=(1, 2)))
    if bad.size:
        raise FeederError(f"line '{line_names[bad[0]]}' has a non-finite entry in {field}")
    asym = np.flatnonzero(~np.isclose(values, values.transpose(0, 2, 1), rtol=1e-9, atol=1e-15).all(axis=(1, 2)))
    if asym.size:
        raise FeederError(f"line '{line_names[asym[0]]}' has a non-symmetric {field} matrix")
