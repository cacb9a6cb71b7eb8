"""A market case from any OpenDSS feeder, in one call: :func:`from_dss`.

Every load becomes a customer, every PV system and generator a DER, the source the main grid;
voltage limits follow ANSI C84.1 and flow limits the model's ratings. docs/from_dss.md gives
every rule and default, with sources.
"""
from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..case import Case
from ..errors import CaseError
from ..market.participants import G1_COST, RENEWABLE_COST, DER, Customer, MainGrid, Market
from ..network.placement import Placement
from ..units import DEFAULT_S_BASE_KVA
from .data import profiles
from .default_shapes import DEFAULT_SITE, DEFAULT_YEAR, load_shapes, pv_irradiance, window
from .load_types import load_types
from .noise import ar1_factors
from .voltage_limits import ansi_limits, violations

#: Each hour of a customer's original profile is kept within these multiples of its mean over the
#: horizon: inside the price-responsive range [0.143, 1.857] x mean of model.md section 4 with a
#: margin for the band (the same range :func:`tempp_core.cases.populate` keeps).
RESPONSIVE_RANGE = (0.25, 1.75)


class FromDssWarning(UserWarning):
    """Something :func:`from_dss` left out, or a limit the network breaks before any market action."""


def from_dss(path, *, hours: int = 24, start: int = 0, open_lines: Sequence[str] = (), disable: Sequence[str] = (),
             v_limits: tuple[float, float] | None = None, seed: int = 0, kinds: Mapping[str, str] | None = None,
             generator_cost: float | Mapping[str, float] = G1_COST, lmp_per_kwh: np.ndarray | None = None,
             mg_p_max_kw: float | None = None, year: int = DEFAULT_YEAR, site: tuple[float, float] = DEFAULT_SITE,
             profile_sigma: float = 0.1, s_base_kva: float = DEFAULT_S_BASE_KVA, name: str | None = None) -> Case:
    """Read an OpenDSS model and make a market case of it.

    Parameters
    ----------
    path : str or Path
        The master .dss file (read by :func:`tempp_core.io.read_dss_model`; needs the ``dss`` extra).
    hours : int
        Number of hourly periods T.
    start : int
        First hour, counted from 00:00 on 1 January of ``year``: hours ``[start, start + hours)``
        of every load shape (a shape shorter than that repeats), of the default shapes and of
        the LMP profile (hour of day).
    open_lines, disable : sequence of str
        Passed to :func:`tempp_core.io.read_dss_model` (tie switches to open; OpenDSS classes or
        elements to disable).
    v_limits : (float, float), optional
        Voltage limits (p.u.) for every bus; default ANSI C84.1 Range A by bus voltage
        (:mod:`tempp_core.cases.voltage_limits`).
    seed : int
        Draws of the hour-to-hour noise on default-shaped loads.
    kinds : mapping of str to str, optional
        Customer type ('RL', 'CL', 'IL', 'AL') by OpenDSS load name, over the rule of
        :mod:`tempp_core.cases.load_types`.
    generator_cost : float or mapping of str to float
        Bid cost of every generator, $/kWh (Table C1's G1: 0.075), or by generator name (others
        keep 0.075). PV systems bid Table C1's renewable cost, 0.
    lmp_per_kwh : array (hours,), optional
        The main grid's price, $/kWh; default Table C1's 24-hour LMP profile by hour of day.
    mg_p_max_kw : float, optional
        The main grid's capacity, kW; default the active-power limit of the feeder's head: the
        sum over the lines leaving the source of ``p_max_pu x s_base_kva`` per phase (their
        rating, or Table C3's limit where the model gives none).
    year : int
        Calendar of the default shapes (weekdays, seasons, sun).
    site : (float, float)
        Latitude and longitude (degrees) of the clear-sky sun for PV systems without a shape.
    profile_sigma : float
        Spread of the mean-one AR(1) noise (lag-one correlation 0.7) on default-shaped loads, so
        that they are not all alike; 0 gives each its type's shape exactly.
    s_base_kva : float
        Per-phase power base, kVA.
    name : str, optional
        The case's name (default: the file's stem).

    Returns
    -------
    Case
        Its ``notes`` list what was left out and which defaults were used.

    Warns
    -----
    FromDssWarning
        Loads or storage left out (named), and every limit the network breaks with every
        customer at its original profile and no DER output (bus or line, phase, value, periods).

    Raises
    ------
    FeederError
        From the reader (files, unsupported elements, meshes).
    CaseError
        Bad ``hours``, ``start``, ``kinds``, ``lmp_per_kwh`` or ``v_limits``.
    """
    from ..io.dss import read_dss_model

    path = Path(path)
    file = path.name
    if int(hours) != hours or hours < 1 or int(start) != start or start < 0:
        raise CaseError(f"{file}: hours must be an integer >= 1 and start an integer >= 0; got {hours!r}, {start!r}")
    hours, start = int(hours), int(start)
    model = read_dss_model(path, s_base_kva=s_base_kva, open_lines=open_lines, disable=disable)
    feeder = model.feeder
    rng = np.random.default_rng(seed)
    notes, left_out = [], []

    loads, dropped = _connected(model.loads, feeder, model.isolated_buses)
    left_out += dropped
    kind, rule = load_types(loads, kinds, file)
    p_ori, shaped = _load_profiles(loads, kind, model.loadshapes, hours, start, year, rng, profile_sigma, notes)
    zero = p_ori.mean(axis=1) <= 0
    left_out += [f"load '{n}' (no consumption in hours {start}-{start + hours - 1})" for n in loads["name"][zero]]
    loads, kind, rule, p_ori, shaped = loads[~zero], kind[~zero], rule[~zero], p_ori[~zero], shaped[~zero]
    p_ori, blend = keep_responsive(p_ori, *RESPONSIVE_RANGE)
    customers = _customers(loads, kind, p_ori)
    notes.append(_customer_note(kind, rule, shaped, blend))

    pv, dropped = _connected(model.pv, feeder, model.isolated_buses, "PV system", "pmpp_kw")
    left_out += dropped
    gens, dropped = _connected(model.generators, feeder, model.isolated_buses, "generator", None)
    left_out += dropped
    ders = _pv(pv, model.loadshapes, hours, start, year, site, notes) + \
        _generators(gens, model.loadshapes, hours, start, generator_cost, file)
    left_out += [f"storage '{row.name}' ({row.p_rated_kw:g} kW, {row.e_rated_kwh:g} kWh at bus '{row.bus}'): "
                 "no storage participant yet" for row in model.storage.itertuples()]

    lmp = _lmp(lmp_per_kwh, hours, start, file)
    head = np.flatnonzero(feeder.line_from == 0)
    head_kw = float((feeder.p_max_pu[head] * feeder.line_phases[head].sum(axis=1)).sum() * feeder.s_base_kva)
    grid = MainGrid(lmp, p_max_kw=head_kw if mg_p_max_kw is None else float(mg_p_max_kw))
    notes.append(f"main grid: {grid.p_max_kw:.6g} kW "
                 + ("(the feeder head's active-power limit)" if mg_p_max_kw is None else "(given)"))

    v_min, v_max = ansi_limits(feeder) if v_limits is None else _given_limits(v_limits, feeder.n_bus, file)
    feeder = replace(feeder, v_min_pu=v_min, v_max_pu=v_max)
    notes.append("voltage limits: " + ("ANSI C84.1 Range A by bus voltage" if v_limits is None else "given")
                 + "; flow limits: the model's ratings (Table C3's where unrated)")

    placement = [Placement(c.name, bus, ph) for c, bus, ph in zip(customers, loads["bus"], loads["phases"])]
    placement += [Placement(d.name, bus, ph) for d, bus, ph in
                  zip(ders, list(pv["bus"]) + list(gens["bus"]), list(pv["phases"]) + list(gens["phases"]))]
    if left_out:
        notes.append(f"left out ({len(left_out)}): " + "; ".join(left_out))
        warnings.warn(f"{file}: left out {len(left_out)} element(s): " + "; ".join(left_out[:10])
                      + (" ..." if len(left_out) > 10 else ""), FromDssWarning, stacklevel=2)
    market = Market(ders, grid, customers, n_periods=hours)
    case = Case(feeder, market, tuple(placement), name or path.stem, tuple(notes))
    broken = base_point_violations(case)
    if broken[1]:
        text = (f"{file}: with every customer at its original load and no DER output, {broken[1]} bus- or "
                f"line-phase(s) break their limits; worst: " + "; ".join(broken[0]))
        warnings.warn(text, FromDssWarning, stacklevel=2)
        case = replace(case, notes=case.notes + (text,))
    return case


def base_point_violations(case: Case, first: int = 10) -> tuple[list[str], int]:
    """Limits the network breaks with every customer at its original profile and every DER at
    zero (the source alone serving the original load): LinDist3Flow per period.

    Returns the ``first`` worst bus- or line-phases described, and how many there are
    (:func:`tempp_core.cases.voltage_limits.violations`).
    """
    from ..network.physics.power_flow import power_flow

    m = case.market
    x = np.zeros((len(m.ders) + 1 + len(m.customers), m.n_periods))
    x[len(m.ders) + 1:] = [c.p_ori_kw for c in m.customers]
    p, q = case.injections.net_load(x.ravel())  # (n_bus, T, 3)
    res = power_flow(case.feeder, p.transpose(1, 0, 2), q.transpose(1, 0, 2))
    return violations(case.feeder, res.vm, res.P, res.Q, first=first)


def keep_responsive(p: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Blend each profile toward its mean just enough that every hour lies in [lo, hi] x mean.

    ``p' = (1 - w) p + w mean(p)`` with the smallest ``w`` in [0, 1] that does it: the mean
    (energy over the horizon) and the order of the hours are kept, and a profile already in
    range is unchanged (w = 0).

    Parameters
    ----------
    p : ndarray (n, T)
        Profiles with positive means, kW.
    lo, hi : float
        Bounds as multiples of the mean (lo < 1 < hi).

    Returns
    -------
    p : ndarray (n, T)
    w : ndarray (n,)
    """
    mean = p.mean(axis=1, keepdims=True)
    r = p / mean
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.maximum(np.where(r < lo, (lo - r) / (1.0 - r), 0.0), np.where(r > hi, (r - hi) / (r - 1.0), 0.0))
    w = need.max(axis=1, initial=0.0)
    return (1.0 - w[:, None]) * p + w[:, None] * mean, w


def element_shapes(table: pd.DataFrame, loadshapes: dict, hours: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """The load shape of every element over the window: its daily shape, else its yearly, else
    its duty shape (OpenDSS's names), hours ``[start, start + hours)`` of the shape's hourly
    means, repeated when shorter.

    Returns
    -------
    mult : ndarray (n, hours)
        Multipliers (1 where the element has no shape).
    has : bool ndarray (n,)
    """
    names = pd.Series("", index=table.index)
    for column in ("duty", "yearly", "daily"):  # later columns win
        if column in table:
            given = table[column].fillna("").astype(str).str.lower()
            names = names.where(given == "", given)
    has = (names != "").to_numpy()
    unique, inverse = np.unique(names.to_numpy(dtype=str), return_inverse=True)
    rows = np.ones((unique.size, hours))
    for k, shape in enumerate(unique):
        if shape:
            values = loadshapes[shape]
            rows[k] = values[window(start, hours, values.size)]
    return rows[inverse.ravel()], has


def _connected(table: pd.DataFrame, feeder, isolated: tuple, what: str = "load",
               size: str | None = "p_kw") -> tuple[pd.DataFrame, list[str]]:
    """Rows on the feeder, away from the source bus, with ``size`` > 0; the others described."""
    off = table["bus"].isin(isolated).to_numpy()
    swing = (table["bus"] == feeder.bus_names[0]).to_numpy()
    empty = np.zeros(len(table), bool) if size is None else table[size].to_numpy(float) <= 0
    reasons = np.where(off, "on a bus cut off from the source",
                       np.where(swing, "at the source bus, where only the main grid connects", f"{size} <= 0"))
    out = off | swing | empty
    return table[~out], [f"{what} '{n}' ({r})" for n, r in zip(table["name"][out], reasons[out])]


def _load_profiles(loads: pd.DataFrame, kind: np.ndarray, loadshapes: dict, hours: int, start: int, year: int,
                   rng: np.random.Generator, sigma: float, notes: list) -> tuple[np.ndarray, np.ndarray]:
    """Original profiles (n, hours) kW: rated kW x own shape, or x the type's default shape
    (times mean-one noise); and which loads had their own shape."""
    mult, has = element_shapes(loads, loadshapes, hours, start)
    if not has.all():
        shapes, source = load_shapes(hours, start, year)
        default = np.array([shapes[k] for k in kind[~has]]).reshape(-1, hours)
        if sigma > 0:
            default = default * ar1_factors(rng, (default.shape[0],), hours, sigma, 0.7)
        mult[~has] = default
        notes.append(f"default load shapes ({(~has).sum()} loads): {source}")
    return loads["p_kw"].to_numpy(float)[:, None] * mult, has


def _customers(loads: pd.DataFrame, kind: np.ndarray, p_ori: np.ndarray) -> list[Customer]:
    p = loads["p_kw"].to_numpy(float)
    q = np.clip(loads["q_kvar"].to_numpy(float), 0.0, None)  # q follows p at the load's lagging pf
    pf = p / np.hypot(p, q)
    return [Customer(f"load.{n}", k, row, power_factor=float(f))
            for n, k, row, f in zip(loads["name"], kind, p_ori, pf)]


def _customer_note(kind: np.ndarray, rule: np.ndarray, shaped: np.ndarray, blend: np.ndarray) -> str:
    types = ", ".join(f"{k} {int((kind == k).sum())}" for k in ("RL", "CL", "IL", "AL") if (kind == k).any())
    rules = ", ".join(f"{r} {int((rule == r).sum())}" for r in ("given", "name", "size") if (rule == r).any())
    return (f"customers: {kind.size} ({types}); type by {rules}; {int(shaped.sum())} with their own load shape; "
            f"{int((blend > 0).sum())} blended toward their mean to stay price-responsive "
            f"(largest weight {blend.max(initial=0.0):.3g})")


def _pv(pv: pd.DataFrame, loadshapes: dict, hours: int, start: int, year: int, site, notes: list) -> list[DER]:
    """PV systems: Pmpp x irradiance x irradiance shape (or clear sky), within the inverter's kVA."""
    mult, has = element_shapes(pv, loadshapes, hours, start)
    if not has.all():
        sun, source = pv_irradiance(hours, start, year, site)
        mult[~has] = sun
        notes.append(f"default PV irradiance ({(~has).sum()} PV systems): {source}")
    avail = pv["pmpp_kw"].to_numpy(float)[:, None] * pv["irradiance_pu"].to_numpy(float)[:, None] * mult
    kva = pv["s_rated_kva"].to_numpy(float)[:, None]
    avail = np.where(kva > 0, np.minimum(avail, kva), avail)
    return [DER(f"pvsystem.{n}", row, RENEWABLE_COST) for n, row in zip(pv["name"], np.clip(avail, 0.0, None))]


def _generators(gens: pd.DataFrame, loadshapes: dict, hours: int, start: int, cost, file: str) -> list[DER]:
    """Generators: up to their kW (their kVA rating when the model sets 0 kW) x their shape."""
    mult, _ = element_shapes(gens, loadshapes, hours, start)
    kw = gens["p_kw"].to_numpy(float)
    base = np.where(kw > 0, kw, gens["s_rated_kva"].to_numpy(float))
    costs = {}
    if isinstance(cost, Mapping):
        costs = {str(k).lower(): float(v) for k, v in cost.items()}
        unknown = sorted(set(costs) - set(gens["name"]))
        if unknown:
            raise CaseError(f"{file}: generator_cost names generator(s) {unknown[:5]}, which the model does not have")
        cost = G1_COST
    return [DER(f"generator.{n}", np.clip(b * row, 0.0, None), costs.get(n, float(cost)))
            for n, b, row in zip(gens["name"], base, mult)]


def _lmp(lmp, hours: int, start: int, file: str) -> np.ndarray:
    if lmp is None:
        table = profiles()["lmp_per_kwh"].to_numpy()
        return table[window(start, hours, table.size)]
    lmp = np.asarray(lmp, dtype=float)
    if lmp.shape != (hours,):
        raise CaseError(f"{file}: lmp_per_kwh has shape {lmp.shape}; expected ({hours},), one price per period")
    return lmp


def _given_limits(v_limits, n_bus: int, file: str) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = (np.broadcast_to(np.asarray(v, dtype=float), (n_bus,)).copy() for v in v_limits)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all() and (0 < lo).all() and (lo < hi).all()):
        raise CaseError(f"{file}: v_limits {v_limits!r}; expected 0 < v_min < v_max (p.u.), finite")
    return lo, hi
