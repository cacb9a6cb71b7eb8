"""Raw series elements of a solved OpenDSS circuit, in OpenDSS's own units (ohm, kV, kVA).

Nothing here knows about the three-phase tree; :mod:`.network` maps these records onto it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RawLine:
    """A line, switch or series reactor.

    ``nodes`` are the OpenDSS node numbers of its phase conductors at terminal 1 (the same
    at terminal 2 for every element read here); ``z`` and ``b`` are (n, n) over them.
    """

    name: str  # "line.l1", "reactor.r1"
    bus1: str
    bus2: str
    nodes: list[int]
    z_ohm: np.ndarray  # series impedance, complex (n, n)
    b_siemens: np.ndarray  # total shunt susceptance, (n, n)
    normamps: float
    emergamps: float
    switch: bool


@dataclass
class Winding:
    bus: str
    nodes: list[int]  # node numbers of the winding's phase conductors
    kv: float  # rated kV as OpenDSS takes it (line-to-line for 3-phase and delta windings)
    kva: float  # rated kVA of the whole winding (all phases)
    tap: float  # solved tap, p.u.
    r_pct: float  # % resistance on this winding's kVA
    line_to_line: bool  # rated across two phases: delta, a multi-phase bank, or 1-phase wye from phase to phase

    @property
    def kv_ln(self) -> float:
        """Rated phase-to-neutral voltage, kV, or for a winding rated line-to-line its
        magnitude equivalent kV/sqrt 3 (the 30 degree shift is dropped)."""
        return self.kv / np.sqrt(3.0) if self.line_to_line else self.kv


@dataclass
class RawTransformer:
    name: str  # "transformer.t1"
    n_phases: int
    windings: list[Winding]
    x_pct: tuple[float, float, float]  # XHL, XHT, XLT, % on winding 1's kVA
    norm_kva: float  # normal and emergency ratings (all phases), kVA
    emerg_kva: float


def enabled_names(dss, elements):
    """Yield the names of the enabled elements of an opendssdirect class (``dss.Lines``, ...),
    each made the active element in turn."""
    for name in elements.AllNames():
        if name.lower() == "none":  # OpenDSS's answer for an empty class
            return
        elements.Name(name)
        if dss.CktElement.Enabled():
            yield name


def terminals(dss) -> list[tuple[str, list[int]]]:
    """(bus, node numbers of every conductor) of each terminal of the active element."""
    buses = dss.CktElement.BusNames()
    order = dss.CktElement.NodeOrder()
    nc = dss.CktElement.NumConductors()
    return [(b.split(".", 1)[0].lower(), list(order[k * nc:(k + 1) * nc])) for k, b in enumerate(buses)]


def read_lines(dss) -> list[RawLine]:
    """Closed, enabled two-terminal lines and reactors joining two different buses.

    Series impedance ``Z = inv(-Y12)`` over the phase conductors, i.e. with any other
    conductor (a neutral) at zero voltage (Kron reduction); total charging ``B = Im 2 (Y11 + Y12)``
    (pi model, half at each end)."""
    out: list[RawLine] = []
    for kind, elements in (("line", dss.Lines), ("reactor", dss.Reactors)):
        for name in enabled_names(dss, elements):
            terms = terminals(dss)
            if len(terms) < 2 or terms[0][0] == terms[1][0]:
                continue  # shunt reactors are refused elsewhere; a jumper within a bus is no branch
            if dss.CktElement.IsOpen(1, 0) or dss.CktElement.IsOpen(2, 0):
                continue
            nph = dss.CktElement.NumPhases()
            nc = len(terms[0][1])
            y = np.asarray(dss.CktElement.YPrim(), dtype=float).view(complex).reshape(2 * nc, 2 * nc)
            y12 = y[:nph, nc:nc + nph]
            out.append(RawLine(
                name=f"{kind}.{name.lower()}", bus1=terms[0][0], bus2=terms[1][0], nodes=terms[0][1][:nph],
                z_ohm=np.linalg.inv(-y12), b_siemens=(2.0 * (y[:nph, :nph] + y12)).imag,
                normamps=dss.CktElement.NormalAmps(), emergamps=dss.CktElement.EmergAmps(),
                switch=kind == "line" and bool(dss.Lines.IsSwitch()),
            ))
    return out


def read_transformers(dss) -> list[RawTransformer]:
    """Enabled transformers (regulators included) with their solved taps."""
    out: list[RawTransformer] = []
    props = dss.Properties
    for name in enabled_names(dss, dss.Transformers):
        nph = dss.CktElement.NumPhases()
        terms = terminals(dss)
        windings = []
        for w in range(1, dss.Transformers.NumWindings() + 1):
            dss.Transformers.Wdg(w)
            bus, nodes = terms[w - 1]
            delta = bool(dss.Transformers.IsDelta())
            phase_to_phase = len(nodes) > nph and 1 <= nodes[0] <= 3 and 1 <= nodes[nph] <= 3
            windings.append(Winding(bus=bus, nodes=nodes[:nph], kv=dss.Transformers.kV(), kva=dss.Transformers.kVA(),
                                    tap=dss.Transformers.Tap(), r_pct=dss.Transformers.R(),
                                    line_to_line=nph > 1 or delta or phase_to_phase))
        dss.Transformers.Wdg(1)
        out.append(RawTransformer(
            name=f"transformer.{name.lower()}", n_phases=nph, windings=windings,
            x_pct=(dss.Transformers.Xhl(), dss.Transformers.Xht(), dss.Transformers.Xlt()),
            norm_kva=float(props.Value("normhkva")), emerg_kva=float(props.Value("emerghkva")),
        ))
    return out


def bus_bases(dss) -> dict[str, float]:
    """Phase-to-neutral voltage base of every bus, V (0 where OpenDSS has none)."""
    out = {}
    for name in dss.Circuit.AllBusNames():
        dss.Circuit.SetActiveBus(name)
        out[name.lower()] = dss.Bus.kVBase() * 1000.0
    return out
