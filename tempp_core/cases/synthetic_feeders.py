"""Random but realistic unbalanced radial feeders of any size (tested up to 1,000,000 buses).

Construction (all vectorized; one Numba pass for the nested phases):

- **Tree.** Bus j attaches to bus j-1 with probability ``p_continue`` (it extends the
  current branch) and otherwise to a uniformly drawn earlier bus (it starts a lateral).
  This gives long laterals and sub-laterals with a few branches each, like a primary feeder.
- **Phases.** The first branch is three-phase; a lateral keeps its parent's phases or
  takes two or one of them, so phases are always nested (see
  :func:`tempp_core.network.kernels.trees.nested_phases`).
- **Impedance.** Overhead-line codes of a 12.47 kV feeder (self r 0.19-0.41, x 0.59-0.65
  ohm/km; mutual r ~ 0.05-0.09, x ~ 0.24-0.31 ohm/km: about 20-45 % of self), segment
  lengths log-normal around 80 m, in p.u. of Z_base = V_base^2 / S_base.
- **Loads.** Log-normal per present phase (unbalanced), power factor 0.85-0.98 lagging,
  then scaled as a whole so that the lowest voltage of the base case is ``v_min_target``
  (0.95 p.u. by default). LinDist3Flow is linear in the loads, so one power flow finds the
  scale exactly: a million-bus feeder stays as sane as a hundred-bus one (its per-bus
  loads are just smaller).
- **Limits.** Voltage 0.95-1.05 p.u. (Table C3); line ratings ``flow_limit_factor`` (2.5)
  times the line's base-case |P| and |Q| (largest phase), at least 1e-3 p.u. — Table C3's
  0.5 p.u. would be meaningless across sizes.
"""
from __future__ import annotations

import numbers
import warnings
from dataclasses import replace

import numpy as np

from ..errors import InputError
from ..network.feeder import Feeder
from ..network.kernels.trees import nested_phases

#: 12.47 kV line-to-line feeder: phase-to-neutral base voltage.
SYNTHETIC_V_BASE_V = 12470.0 / np.sqrt(3.0)
# Line codes (ohm/km): self r, self x, mutual r, mutual x.
_CODES = np.array([
    [0.19, 0.59, 0.05, 0.24],   # trunk conductor
    [0.31, 0.62, 0.07, 0.28],
    [0.41, 0.65, 0.09, 0.31],   # lateral conductor
])


def _numbers(**values) -> None:
    """Refuse arguments that are not real numbers (text, None, bools), naming them."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InputError(f"{name} is {value!r}; expected a number")


def synthetic(n_buses: int, *, seed: int = 0, p_continue: float = 0.85, s_base_kva: float = 1000.0,
              v_base_v: float = SYNTHETIC_V_BASE_V, v_min_target: float = 0.95,
              mean_segment_m: float = 80.0, flow_limit_factor: float = 2.5) -> tuple[Feeder, np.ndarray, np.ndarray]:
    """A random unbalanced radial feeder with base loads.

    Parameters
    ----------
    n_buses : int
        Number of buses (>= 2).
    seed : int
        Same seed, same feeder.
    p_continue : float
        Probability that a bus extends its predecessor's branch (0..1).
    s_base_kva, v_base_v : float
        Per-phase power base (kVA) and phase-to-neutral voltage base (V).
    v_min_target : float
        Lowest voltage of the base case, p.u.; loads are scaled to reach it.
    mean_segment_m : float
        Median line length, m.
    flow_limit_factor : float
        Line ratings as a multiple of the base-case flows.

    Returns
    -------
    feeder : Feeder
    p, q : ndarray (n_buses, 3)
        Base net loads, p.u., zero on absent phases.
    """
    if isinstance(n_buses, bool) or not isinstance(n_buses, numbers.Real) or not float(n_buses).is_integer() \
            or n_buses < 2:
        raise InputError(f"n_buses is {n_buses!r}; expected a whole number of buses, at least 2")
    n_buses = int(n_buses)
    _numbers(p_continue=p_continue, v_min_target=v_min_target, s_base_kva=s_base_kva, v_base_v=v_base_v,
             mean_segment_m=mean_segment_m, flow_limit_factor=flow_limit_factor)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError(f"seed is {seed!r}; expected a whole number >= 0")
    if not 0 <= p_continue <= 1:
        raise InputError(f"p_continue is {p_continue!r}; expected a probability in [0, 1]")
    if not 0 < v_min_target < 1:
        raise InputError(f"v_min_target is {v_min_target!r} p.u.; expected the lowest base-case voltage, in (0, 1) "
                         "(loads lower the voltage)")
    for name, value in (("s_base_kva", s_base_kva), ("v_base_v", v_base_v), ("mean_segment_m", mean_segment_m),
                        ("flow_limit_factor", flow_limit_factor)):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name} is {value!r}; expected a positive finite number")
    rng = np.random.default_rng(seed)
    j = np.arange(1, n_buses)
    starts = rng.random(n_buses - 1) >= p_continue
    parent = np.empty(n_buses, dtype=np.int64)
    parent[0] = -1
    parent[1:] = np.where(starts, np.floor(rng.random(n_buses - 1) * j).astype(np.int64), j - 1)
    branch_start = np.concatenate([[False], starts])
    phases = nested_phases(parent, branch_start, rng.random((n_buses, 2)),
                           rng.integers(0, 6, n_buses).astype(np.int64))
    line_ph = phases[1:]
    n_line = n_buses - 1
    three = line_ph.all(axis=1)
    code = np.where(three, rng.integers(0, 2, n_line), rng.integers(1, 3, n_line))
    length_km = mean_segment_m / 1000.0 * rng.lognormal(0.0, 0.4, n_line)
    z_base = v_base_v**2 / (s_base_kva * 1000.0)
    c = _CODES[code] * (length_km / z_base)[:, None]
    eye = np.eye(3)
    r = c[:, 0, None, None] * eye + c[:, 2, None, None] * (1 - eye)
    x = c[:, 1, None, None] * eye + c[:, 3, None, None] * (1 - eye)
    names = np.char.add("b", np.arange(n_buses).astype(str))
    feeder = Feeder.from_arrays(names, names[parent[1:]], names[1:], r, x, swing="b0",
                                bus_phases=phases, line_phases=line_ph, s_base_kva=s_base_kva,
                                v_base_v=v_base_v, line_names=np.char.add("l", j.astype(str)))
    # The feeder keeps this order (parent[j] < j and j-1 -> j chains are already depth-first
    # compatible only up to relabelling), so draw loads in the feeder's own order.
    load = rng.lognormal(0.0, 0.6, (n_buses, 3)) * feeder.bus_phases
    load[0] = 0.0
    tan_phi = np.tan(np.arccos(rng.uniform(0.85, 0.98, (n_buses, 1))))
    p, q = load, load * tan_phi
    from ..network.physics.power_flow import power_flow

    with warnings.catch_warnings():  # the unscaled loads may collapse; only their linear drop is used
        warnings.simplefilter("ignore", RuntimeWarning)
        base = power_flow(feeder, p, q)
    drop = 1.0 - np.nanmin(base.v2[1:])  # v2 = 1 - k * drop at the worst bus-phase, linear in k
    k = (1.0 - v_min_target**2) / drop if drop > 0 else 1.0
    ratings = {name: np.maximum(flow_limit_factor * k * np.nanmax(np.abs(flow), axis=1), 1e-3)
               for name, flow in (("p_max_pu", base.P), ("q_max_pu", base.Q))}
    return replace(feeder, **ratings), p * k, q * k
