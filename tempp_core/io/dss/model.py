"""Read an OpenDSS model: the feeder, its base loads and the data around them."""
from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ...errors import FeederError
from ...network.feeder import Feeder
from ...network.feeder.model import TABLE_C3_LIMITS
from ...units import DEFAULT_S_BASE_KVA
from . import tables
from .elements import bus_bases, enabled_names, read_lines, read_transformers, terminals
from .network import build_branches, radial_tree
from .script import compile_definitions
from .secondaries import secondary_phases

#: Power factor at which a line's box limits touch its thermal rating: ``p_max = pf |S|``,
#: ``q_max = sqrt(1 - pf^2) |S|``; every flow inside the box is within the rating.
RATING_PF = 0.9

# Classes read_dss_model models, as data or network; enabled elements of any other circuit
# class are refused together.
_KNOWN = frozenset({
    "vsource", "line", "reactor", "transformer", "capacitor", "load", "pvsystem", "generator", "storage",
    "regcontrol", "capcontrol", "invcontrol", "expcontrol", "storagecontroller", "swtcontrol", "recloser",
    "relay", "fuse",
})


@dataclass(frozen=True, eq=False)
class DssModel:
    """An OpenDSS model as tempp_core reads it.

    Attributes
    ----------
    feeder : Feeder
        The radial three-phase network (split-phase secondaries on their primary phase).
    p, q : ndarray (n_bus, 3)
        Base loads, p.u. of ``feeder.s_base_kva``, in ``feeder.bus_names`` order: each load's
        rated kW/kvar times the load multiplier, split evenly over its phases (capacitors are
        on the feeder; generation is not netted: see the DER tables).
    loads : DataFrame
        name, bus, phases, nodes, p_kw, q_kvar, kv (rated, as OpenDSS takes it), model
        (OpenDSS load model code), conn ('wye'/'delta'), daily, yearly, duty (load shape names).
    pv : DataFrame
        name, bus, phases, nodes, pmpp_kw, s_rated_kva, irradiance_pu, pf, kv, daily, yearly, duty,
        p_out_kw, q_out_kvar (output in OpenDSS's snapshot solution, generation positive).
    generators : DataFrame
        name, bus, phases, nodes, p_kw, q_kvar, s_rated_kva, kv, model, daily, yearly, duty,
        p_out_kw, q_out_kvar.
    storage : DataFrame
        name, bus, phases, nodes, p_rated_kw, e_rated_kwh, pct_stored, pct_reserve, state, daily,
        yearly, p_out_kw, q_out_kvar.
    ratings : DataFrame
        One row per feeder line (``feeder.line_names`` order): line, elements (the OpenDSS
        elements merged into it), normamps, emergamps (A), s_norm_kva_per_phase,
        s_emerg_kva_per_phase (kVA per phase).
    loadshapes : dict of str to ndarray (n_hours,)
        Active-power multipliers of every load shape, as hourly means over its length.
    skipped_commands : tuple of SkippedCommand
        Script commands that were not run (file, line, command).
    isolated_buses : tuple of str
        Buses left out because nothing connects them to the source (behind open switches).
    secondaries : DataFrame
        Buses of split-phase (120/240 V) secondaries: bus, phase (the primary phase they hang
        on), transformer (the center-tap transformer feeding them). Their voltage on the feeder
        is the equivalent half-voltage ``|V_1 - V_2| / 2`` (docs/validation.md).
    """

    feeder: Feeder
    p: np.ndarray
    q: np.ndarray
    loads: pd.DataFrame
    pv: pd.DataFrame
    generators: pd.DataFrame
    storage: pd.DataFrame
    ratings: pd.DataFrame
    loadshapes: dict
    skipped_commands: tuple
    isolated_buses: tuple
    secondaries: pd.DataFrame

    def per_phase(self, table: pd.DataFrame, p_column: str, q_column: str) -> tuple[np.ndarray, np.ndarray]:
        """Two columns of a table (kW, kvar) as (n_bus, 3) arrays in p.u., each row split evenly
        over its phases, e.g. ``model.per_phase(model.pv, "p_out_kw", "q_out_kvar")``."""
        f = self.feeder
        on = ~table["bus"].isin(self.isolated_buses)
        return tables.spread(table[on], (p_column, q_column), f._bus_lookup(), f.bus_phases,
                             1.0 / f.s_base_kva, "element")


def read_dss_model(path, *, s_base_kva: float = DEFAULT_S_BASE_KVA, open_lines: Sequence[str] = (),
                   disable: Sequence[str] = (), **options) -> DssModel:
    """Read an OpenDSS model safely and map it onto a radial three-phase feeder.

    Only the script's definition commands run (see :mod:`.script`); OpenDSS then solves one
    snapshot so that regulators sit at their solved taps and switched capacitors at their
    solved states.

    Parameters
    ----------
    path : str or Path
        The master .dss file.
    s_base_kva : float
        Per-phase power base, kVA.
    open_lines : sequence of str
        Lines (switches) to open before solving, e.g. a meshed model's tie switches.
    disable : sequence of str
        OpenDSS classes (``"PVSystem"``) or elements (``"Generator.g1"``) to disable before
        solving.
    **options
        Passed to :meth:`Feeder.from_arrays` (voltage limits; ``p_max_pu``/``q_max_pu``
        override the limits from the ratings).

    Raises
    ------
    FeederError
        Missing or malformed files, a command OpenDSS rejects, unknown names in
        ``open_lines``/``disable``, unsupported elements (all listed at once), no convergence,
        a meshed circuit (naming the switches to open), inconsistent phases.
    """
    try:
        import opendssdirect as dss
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("read_dss needs OpenDSS: pip install 'tempp_core[dss]'") from exc
    path = Path(path)
    if isinstance(s_base_kva, bool) or not isinstance(s_base_kva, numbers.Real) or not np.isfinite(s_base_kva) \
            or s_base_kva <= 0:
        raise FeederError(f"s_base_kva is {s_base_kva!r}; expected a positive finite power base (kVA per phase)")
    skipped = compile_definitions(dss, path)
    try:
        dss.Circuit.Name()
    except dss.DSSException:
        raise FeederError(f"{path.name} defines no circuit: expected 'New Circuit.<name> ...' before the "
                          "elements") from None
    _apply(dss, open_lines, disable, path.name)
    _refuse_unsupported(dss, path.name)
    dss.Text.Command("set mode=snapshot")
    dss.Solution.Solve()
    if not dss.Solution.Converged():
        raise FeederError(f"{path.name}: OpenDSS's snapshot solution did not converge")
    lines, transformers = read_lines(dss), read_transformers(dss)
    secondary = secondary_phases(lines, transformers)
    branches, bases = build_branches(lines, transformers, bus_bases(dss), secondary, s_base_kva)
    dss.Vsources.First()
    swing = terminals(dss)[0][0]
    # The source's basekv is line-to-line, except for a single-phase source (line-to-neutral).
    kv_ln = dss.Vsources.BasekV() / (np.sqrt(3.0) if dss.Vsources.Phases() > 1 else 1.0)
    v_swing = dss.Vsources.PU() * kv_ln * 1000.0 / bases[swing]
    reached = radial_tree(branches, swing, path.name)
    tree = [br for br, on in zip(branches, reached) if on]
    on_tree = {b for br in tree for b in (br.bus1, br.bus2)} | {swing}
    isolated = tuple(sorted({b for br in branches for b in (br.bus1, br.bus2)} - on_tree))
    if isolated:
        warnings.warn(f"{path.name}: {len(isolated)} bus(es) not connected to the source are left out, with what "
                      f"connects there: {', '.join(isolated[:5])}{' ...' if len(isolated) > 5 else ''}",
                      UserWarning, stacklevel=2)
    feeder = _feeder(tree, swing, bases, s_base_kva, v_swing, dss, secondary, options)
    loads = tables.read_loads(dss, secondary)
    model = DssModel(
        feeder=feeder, p=np.zeros(0), q=np.zeros(0), loads=loads, pv=tables.read_pv(dss, secondary),
        generators=tables.read_generators(dss, secondary), storage=tables.read_storage(dss, secondary),
        ratings=_ratings(tree, feeder), loadshapes=tables.read_loadshapes(dss), skipped_commands=skipped,
        isolated_buses=isolated,
        secondaries=pd.DataFrame({"bus": list(secondary), "phase": ["abc"[v[0]] for v in secondary.values()],
                                  "transformer": [v[1] for v in secondary.values()]}),
    )
    p, q = model.per_phase(loads, "p_kw", "q_kvar")
    object.__setattr__(model, "p", p)
    object.__setattr__(model, "q", q)
    return model


def read_dss(path, *, s_base_kva: float = DEFAULT_S_BASE_KVA, open_lines: Sequence[str] = (),
             disable: Sequence[str] = (), **options) -> tuple[Feeder, np.ndarray, np.ndarray]:
    """Load an OpenDSS model as a feeder and its base loads (see :func:`read_dss_model`).

    Returns
    -------
    feeder : Feeder
    p, q : ndarray (n_bus, 3)
        Base loads, p.u., in ``feeder.bus_names`` order (capacitors are on the feeder).
    """
    model = read_dss_model(path, s_base_kva=s_base_kva, open_lines=open_lines, disable=disable, **options)
    return model.feeder, model.p, model.q


def _apply(dss, open_lines: Sequence[str], disable: Sequence[str], file: str) -> None:
    lines = {n.lower() for n in dss.Lines.AllNames()}
    unknown = [n for n in open_lines if n.lower() not in lines]
    if unknown:
        raise FeederError(f"{file}: open_lines names {unknown}, which are not lines of the model")
    for name in open_lines:
        dss.Text.Command(f"open line.{name} term=1")
    for target in disable:
        if "." in target:
            if dss.Circuit.SetActiveElement(target) < 0:
                raise FeederError(f"{file}: disable names {target!r}, which is not an element of the model")
            dss.Text.Command(f"disable {target}")
            continue
        try:
            known_class = dss.Circuit.SetActiveClass(target) >= 0
        except dss.DSSException:
            known_class = False
        if not known_class:
            raise FeederError(f"{file}: disable names {target!r}, which is not an OpenDSS class")
        for element in dss.ActiveClass.AllNames():
            if element and element.lower() != "none":
                dss.Text.Command(f"disable {target}.{element}")


def _refuse_unsupported(dss, file: str) -> None:
    found = []
    for full in dss.Circuit.AllElementNames():
        cls = full.split(".", 1)[0].lower()
        if cls in _KNOWN:
            continue
        dss.Circuit.SetActiveElement(full)
        if dss.CktElement.Enabled():
            found.append(full)
    vsources = [n for n in enabled_names(dss, dss.Vsources)]
    found += [f"Vsource.{n}" for n in vsources[1:]]
    for name in enabled_names(dss, dss.Reactors):
        buses = [b.split(".", 1)[0].lower() for b in dss.CktElement.BusNames()]
        if len(buses) < 2 or buses[0] == buses[1]:
            found.append(f"Reactor.{name} (shunt)")
    if found:
        raise FeederError(f"{file}: read_dss does not model these elements ({len(found)}): {', '.join(found)}; "
                          f"disable them (disable=...) or remove them from the model")


def _feeder(tree, swing: str, bases: dict, s_base_kva: float, v_swing: float, dss, secondary: dict,
            options: dict) -> Feeder:
    buses = sorted({b for br in tree for b in (br.bus1, br.bus2)} | {swing})
    n = len(tree)
    r, x, b = np.zeros((n, 3, 3)), np.zeros((n, 3, 3)), np.zeros((n, 3, 3))
    ratio, s_norm = np.ones((n, 3)), np.full(n, np.inf)
    line_phases = np.zeros((n, 3), bool)
    for k, br in enumerate(tree):
        r[k], x[k], b[k], ratio[k], line_phases[k], s_norm[k] = br.r, br.x, br.b, br.ratio, br.phases, br.s_norm_kva
    index = {name: k for k, name in enumerate(buses)}
    bus_phases = np.zeros((len(buses), 3), bool)
    bus_phases[index[swing]] = True
    for br, ph in zip(tree, line_phases):
        bus_phases[index[br.bus1]] |= ph
        bus_phases[index[br.bus2]] |= ph
    # An element without a rating (0 A) keeps the feeder's default limits (Table C3).
    rated = np.isfinite(s_norm) & (s_norm > 0)
    limits = {"p_max_pu": np.where(rated, s_norm * RATING_PF / s_base_kva, TABLE_C3_LIMITS["p_max"]),
              "q_max_pu": np.where(rated, s_norm * np.sqrt(1.0 - RATING_PF ** 2) / s_base_kva,
                                   TABLE_C3_LIMITS["q_max"])}
    return Feeder.from_arrays(
        buses, [br.bus1 for br in tree], [br.bus2 for br in tree], r, x, swing=swing,
        line_names=[br.name for br in tree], line_phases=line_phases, bus_phases=bus_phases, ratio=ratio,
        v_swing_pu=v_swing, s_base_kva=s_base_kva, v_base_v=np.array([bases[bus] for bus in buses]),
        b_shunt_pu=b, cap_q_pu=_capacitors(dss, index, bases, secondary, s_base_kva),
        **{**limits, **options},
    )


def _ratings(tree, feeder: Feeder) -> pd.DataFrame:
    by_name = {br.name: br for br in tree}
    rows = [by_name[name] for name in feeder.line_names]
    return pd.DataFrame({
        "line": list(feeder.line_names), "elements": [" ".join(br.elements) for br in rows],
        "normamps": [br.normamps for br in rows], "emergamps": [br.emergamps for br in rows],
        "s_norm_kva_per_phase": [br.s_norm_kva for br in rows],
        "s_emerg_kva_per_phase": [br.s_emerg_kva for br in rows],
    })


def _capacitors(dss, index: dict, bases: dict, secondary: dict, s_base_kva: float) -> np.ndarray:
    """Reactive power of enabled capacitors at 1 p.u. of their bus's base, per bus and phase,
    p.u.: rated kvar x (base / rated voltage)^2 x the share of steps in service after the solve."""
    out = np.zeros((len(index), 3))
    for _ in enabled_names(dss, dss.Capacitors):
        (bus, nodes), *_ = terminals(dss)
        if bus not in index:
            continue  # isolated
        nph = dss.CktElement.NumPhases()
        letters = tables.element_phases(bus, nodes, nph, secondary)
        ph = ["abc".index(c) for c in letters]
        on = np.mean(dss.Capacitors.States())
        delta = dss.Capacitors.IsDelta() or nph > 1
        kv_ln = dss.Capacitors.kV() / (np.sqrt(3.0) if delta else 1.0)
        q = dss.Capacitors.kvar() * on * (bases[bus] / (kv_ln * 1000.0)) ** 2
        out[index[bus], ph] += q / len(ph) / s_base_kva
    return out
