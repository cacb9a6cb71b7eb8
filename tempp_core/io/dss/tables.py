"""Loads, DERs and load shapes of a solved OpenDSS circuit as tables.

Every table has ``name``, ``bus`` (as on the feeder), ``phases`` (feeder phase letters the
element is spread over: the primary phase for a split-phase secondary) and ``nodes`` (the
OpenDSS node numbers, e.g. ``"1.2"``); ``p_out_kw`` and ``q_out_kvar`` are what the element
delivers in OpenDSS's snapshot solution (generation positive).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import FeederError
from .elements import enabled_names, terminals


def element_phases(bus: str, nodes: list[int], n_phases: int, secondary: dict[str, tuple[int, str]]) -> str:
    """Feeder phase letters of a shunt element: its phase nodes and, when its second
    conductor is another phase (a load from phase to phase), that one too; on a split-phase
    secondary, the secondary's primary phase."""
    if bus in secondary:
        return "abc"[secondary[bus][0]]
    used = set(nodes[:n_phases])
    if len(nodes) > n_phases:
        used.add(nodes[n_phases])
    return "".join(sorted("abc"[n - 1] for n in used if 1 <= n <= 3))


def _nodes_text(nodes: list[int]) -> str:
    return ".".join(str(n) for n in nodes)


def _common(dss, name: str, secondary: dict) -> dict:
    (bus, nodes), *_ = terminals(dss)
    nph = dss.CktElement.NumPhases()
    powers = np.asarray(dss.CktElement.Powers(), dtype=float)
    return {"name": name.lower(), "bus": bus, "phases": element_phases(bus, nodes, nph, secondary),
            "nodes": _nodes_text(nodes), "p_out_kw": -powers[0::2].sum(), "q_out_kvar": -powers[1::2].sum()}


def read_loads(dss, secondary: dict) -> pd.DataFrame:
    """Enabled loads. ``p_kw``, ``q_kvar``: rated power times the circuit's load multiplier
    (what a snapshot solution asks of a constant-power load at 1 p.u.)."""
    mult = dss.Solution.LoadMult()
    rows = []
    for name in enabled_names(dss, dss.Loads):
        row = _common(dss, name, secondary)
        del row["p_out_kw"], row["q_out_kvar"]
        row.update(p_kw=dss.Loads.kW() * mult, q_kvar=dss.Loads.kvar() * mult, kv=dss.Loads.kV(),
                   model=dss.Loads.Model(), conn="delta" if dss.Loads.IsDelta() else "wye",
                   daily=dss.Loads.Daily(), yearly=dss.Loads.Yearly(), duty=dss.Loads.Duty())
        rows.append(row)
    return _frame(rows, ["name", "bus", "phases", "nodes", "p_kw", "q_kvar", "kv", "model", "conn", "daily",
                         "yearly", "duty"])


def read_pv(dss, secondary: dict) -> pd.DataFrame:
    rows = []
    for name in enabled_names(dss, dss.PVsystems):
        row = _common(dss, name, secondary)
        row.update(pmpp_kw=dss.PVsystems.Pmpp(), s_rated_kva=dss.PVsystems.kVARated(),
                   irradiance_pu=dss.PVsystems.Irradiance(), pf=dss.PVsystems.pf(),
                   kv=float(dss.Properties.Value("kv")), daily=dss.PVsystems.daily(),
                   yearly=dss.PVsystems.yearly(), duty=dss.PVsystems.duty())
        rows.append(row)
    return _frame(rows, ["name", "bus", "phases", "nodes", "pmpp_kw", "s_rated_kva", "irradiance_pu", "pf", "kv",
                         "daily", "yearly", "duty", "p_out_kw", "q_out_kvar"])


def read_generators(dss, secondary: dict) -> pd.DataFrame:
    rows = []
    for name in enabled_names(dss, dss.Generators):
        row = _common(dss, name, secondary)
        row.update(p_kw=dss.Generators.kW(), q_kvar=dss.Generators.kvar(), s_rated_kva=dss.Generators.kVARated(),
                   kv=dss.Generators.kV(), model=dss.Generators.Model(), daily=dss.Generators.daily(),
                   yearly=dss.Generators.Yearly(), duty=dss.Generators.duty())
        rows.append(row)
    return _frame(rows, ["name", "bus", "phases", "nodes", "p_kw", "q_kvar", "s_rated_kva", "kv", "model", "daily",
                         "yearly", "duty", "p_out_kw", "q_out_kvar"])


def read_storage(dss, secondary: dict) -> pd.DataFrame:
    rows = []
    value = dss.Properties.Value
    for name in enabled_names(dss, dss.Storages):
        row = _common(dss, name, secondary)
        row.update(p_rated_kw=float(value("kWrated")), e_rated_kwh=float(value("kWhrated")),
                   pct_stored=float(value("%stored")), pct_reserve=float(value("%reserve")),
                   state=value("state").lower(), daily=value("daily"), yearly=value("yearly"))
        rows.append(row)
    return _frame(rows, ["name", "bus", "phases", "nodes", "p_rated_kw", "e_rated_kwh", "pct_stored", "pct_reserve",
                         "state", "daily", "yearly", "p_out_kw", "q_out_kvar"])


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def hourly_means(mult: np.ndarray, interval_h: float, hours: np.ndarray | None = None) -> np.ndarray:
    """Hourly means of a load shape over its length.

    Point ``k`` holds over ``[t_k, t_k + interval)`` (``t_k = k * interval``), or, for a shape
    given by its hour array, from ``hours[k]`` to the next point's hour (the last one for the
    mean spacing). The result has ``ceil(length)`` entries; a last, partial hour is the mean
    over the part the shape covers.

    Parameters
    ----------
    mult : ndarray (n,)
        Multipliers.
    interval_h : float
        Fixed interval, h (0 when ``hours`` is given).
    hours : ndarray (n,), optional
        Time of each point, h.
    """
    mult = np.asarray(mult, dtype=float)
    if mult.size == 0:
        return mult
    if interval_h > 0:
        edges = np.arange(mult.size + 1) * interval_h
    else:
        hours = np.asarray(hours, dtype=float)
        step = np.diff(hours).mean() if hours.size > 1 else 1.0
        edges = np.append(hours, hours[-1] + step) - hours[0]
    cumulative = np.concatenate([[0.0], np.cumsum(mult * np.diff(edges))])
    length = edges[-1]
    n_hours = int(np.ceil(length - 1e-9))
    grid = np.minimum(np.arange(n_hours + 1, dtype=float), length)
    area = np.diff(np.interp(grid, edges, cumulative))
    return area / np.diff(grid)


def read_loadshapes(dss) -> dict[str, np.ndarray]:
    """Every load shape's active-power multipliers as hourly means (see :func:`hourly_means`)."""
    out = {}
    shapes = dss.LoadShape
    for name in shapes.AllNames():
        if name.lower() == "none":
            break
        shapes.Name(name)
        interval = shapes.HrInterval()
        hours = None if interval > 0 else np.asarray(shapes.TimeArray(), dtype=float)
        out[name.lower()] = hourly_means(np.asarray(shapes.PMult(), dtype=float)[:shapes.Npts()], interval, hours)
    return out


def spread(table: pd.DataFrame, columns: tuple[str, str], bus_index: dict[str, int], bus_phases: np.ndarray,
           scale: float, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Sum two columns of a table onto (n_bus, 3) arrays, each row split evenly over its phases.

    Raises
    ------
    FeederError
        Naming a row whose bus is not on the feeder or whose phases the bus lacks.
    """
    n_bus = bus_phases.shape[0]
    out = np.zeros((2, n_bus, 3))
    if table.empty:
        return out[0], out[1]
    rows, phase, share = [], [], []
    for k, (name, bus, letters) in enumerate(zip(table["name"], table["bus"], table["phases"])):
        j = bus_index.get(bus)
        ph = ["abc".index(c) for c in letters]
        if j is None or not ph or not bus_phases[j, ph].all():
            have = "" if j is None else "".join("abc"[f] for f in range(3) if bus_phases[j, f])
            raise FeederError(f"{what} '{name}' sits on bus '{bus}' phases '{letters}', but "
                              + ("that bus is not on the feeder (isolated?)" if j is None else
                                 f"the bus has only '{have}'"))
        rows += [k] * len(ph)
        phase += ph
        share += [1.0 / len(ph)] * len(ph)
    rows, phase, share = np.array(rows), np.array(phase), np.array(share)
    buses = np.array([bus_index[b] for b in table["bus"]])[rows]
    for m, col in enumerate(columns):
        np.add.at(out[m], (buses, phase), table[col].to_numpy(float)[rows] * share * scale)
    return out[0], out[1]
