"""Read an OpenDSS model into a :class:`~tempp_core.network.feeder.Feeder` (optional extra ``dss``).

What is read, after OpenDSS compiles and solves the model once (so regulator taps are at
their solved positions):

- **Lines and switches**: series impedance from each element's primitive admittance,
  ``Z = inv(-Y_12)``, and total charging susceptance ``B = Im 2 (Y_11 + Y_12)`` (kept on the
  feeder for the AC power flow; LinDist3Flow neglects it), in p.u. of the sending bus's base.
  Open or disabled elements are left out.
- **Transformers and regulators** (two windings): series impedance ``(%R1 + %R2 + j Xhl)/100``
  on the rating, converted to the per-phase base, no mutual terms; a fixed ratio per phase from
  the windings' kV, bus bases and (solved) taps. Single-phase units between the same pair of
  buses (regulator banks) become one multi-phase branch.
- **Loads**: constant power (kW, kvar times the load multiplier) whatever their model; wye
  loads spread evenly over their phases; delta loads split evenly over the phases they join
  (an approximation).
- **Capacitors**: fixed shunts of their rated kvar at 1 p.u. voltage (``feeder.cap_q_pu``).

Not supported: transformers with three or more windings, phase shifts (delta-wye angles are
ignored: magnitudes only), voltage-dependent load models, generators, PV systems and storage
(an error is raised if any is enabled), line charging, meshed circuits (the feeder must be
radial after open switches are removed).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from ..errors import FeederError
from ..network.feeder import Feeder
from ..units import DEFAULT_S_BASE_KVA


def _dss():
    try:
        import opendssdirect as dss
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("read_dss needs OpenDSS: pip install 'tempp_core[dss]'") from exc
    return dss


def _bus_and_phases(spec: str, n_default: int) -> tuple[str, list[int]]:
    """'671.1.3' -> ('671', [0, 2]); '671' -> all of 1..n_default."""
    parts = spec.lower().split(".")
    nodes = [int(k) - 1 for k in parts[1:] if k.isdigit() and 1 <= int(k) <= 3]
    return parts[0], nodes if len(parts) > 1 else list(range(n_default))


def read_dss(path, *, s_base_kva: float = DEFAULT_S_BASE_KVA, open_lines=(), disable=(), **options
             ) -> tuple[Feeder, np.ndarray, np.ndarray]:
    """Load an OpenDSS model as a feeder and its base loads.

    Parameters
    ----------
    path : path to the master .dss file
    s_base_kva : float
        Per-phase power base of the result, kVA.
    open_lines : sequence of str
        Lines (switches) to open before solving, e.g. the tie switches of a model that is
        meshed as shipped (the IEEE 123 model's ``sw7``, ``sw8``).
    disable : sequence of str
        OpenDSS classes to disable before solving, e.g. ``("Generator", "PVSystem",
        "Storage")`` to study a feeder without its own generation (otherwise such elements
        are refused: read_dss does not model them).
    **options
        Passed to :meth:`Feeder.from_arrays` (limits).

    Returns
    -------
    feeder : Feeder
    p, q : ndarray (n_bus, 3)
        Base loads, p.u., in ``feeder.bus_names`` order (capacitors are on the feeder).
    """
    dss = _dss()
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(path)
    dss.Text.Command("clear")
    dss.Text.Command(f'compile "{path}"')
    for name in open_lines:
        dss.Text.Command(f"open line.{name} term=1")
    for cls in disable:
        dss.Circuit.SetActiveClass(cls)
        for element in dss.ActiveClass.AllNames():
            if element and element.lower() != "none":
                dss.Text.Command(f"disable {cls}.{element}")
    _refuse_unsupported(dss)
    dss.Solution.Solve()
    if not dss.Solution.Converged():
        raise FeederError(f"OpenDSS did not converge on {path.name}")
    base_v = {}
    for name in dss.Circuit.AllBusNames():
        dss.Circuit.SetActiveBus(name)
        base_v[name] = dss.Bus.kVBase() * 1000.0
    branches = _series_elements(dss, base_v, s_base_kva) + _transformers(dss, base_v, s_base_kva)
    buses = sorted({b for br in branches for b in (br["from"], br["to"])})
    phases = defaultdict(set)
    for br in branches:
        phases[br["from"]].update(br["phases"])
        phases[br["to"]].update(br["phases"])
    dss.Vsources.First()
    swing, _ = _bus_and_phases(dss.CktElement.BusNames()[0], 3)
    v_swing = dss.Vsources.PU()
    n = len(branches)
    r, x, b = (np.zeros((n, 3, 3)) for _ in range(3))
    ratio = np.ones((n, 3))
    for k, br in enumerate(branches):
        r[k], x[k], b[k], ratio[k] = br["r"], br["x"], br["b"], br["ratio"]
    letters = lambda ph: "".join("abc"[i] for i in sorted(ph))  # noqa: E731
    feeder = Feeder.from_arrays(
        buses, [b["from"] for b in branches], [b["to"] for b in branches], r, x, swing=swing,
        line_names=[b["name"] for b in branches], line_phases=[letters(b["phases"]) for b in branches],
        bus_phases=[letters(phases[b]) if b != swing else "abc" for b in buses], ratio=ratio,
        v_swing_pu=v_swing, s_base_kva=s_base_kva, v_base_v=np.array([base_v[b] for b in buses]),
        b_shunt_pu=b, cap_q_pu=_capacitors(dss, buses, s_base_kva), **options,
    )
    p, q = _loads(dss, feeder, s_base_kva)
    return feeder, p, q


def _enabled(elements):
    """Names of the enabled elements of an opendssdirect class (Lines, Loads, ...), each made
    active in turn."""
    import opendssdirect as dss

    for name in elements.AllNames():
        if name.lower() == "none":  # OpenDSS's answer for an empty class
            return
        elements.Name(name)
        if dss.CktElement.Enabled():
            yield name


def _refuse_unsupported(dss) -> None:
    for cls in ("Generator", "PVSystem", "Storage"):
        dss.Circuit.SetActiveClass(cls)
        names = []
        for name in dss.ActiveClass.AllNames():
            if name and name.lower() != "none":
                dss.Circuit.SetActiveElement(f"{cls}.{name}")
                if dss.CktElement.Enabled():
                    names.append(name)
        if names:
            raise FeederError(f"read_dss does not model {cls} elements; found {names[:3]} "
                              f"(pass disable=({cls!r},) to study the feeder without them)")


def _series_elements(dss, base_v: dict, s_base_kva: float) -> list[dict]:
    """Lines, switches and series reactors: ``Z = inv(-Y12)`` from the primitive admittance.

    Single-phase elements joining the same two buses on different phases (e.g. one line per
    phase to a capacitor bank) become one branch; overlapping phases stay separate (a loop)."""
    out: list[dict] = []
    by_pair: dict[tuple[str, str], dict] = {}
    for kind, elements in (("line", dss.Lines), ("reactor", dss.Reactors)):
        for name in _enabled(elements):
            buses = dss.CktElement.BusNames()
            if len(buses) < 2 or any(dss.CktElement.IsOpen(t, 0) for t in (1, 2)):
                continue  # shunt reactors and open elements carry no flow along the feeder
            branch = _series_branch(dss, kind, name, buses, base_v, s_base_kva)
            if branch is None:
                continue
            twin = by_pair.get((branch["from"], branch["to"]))
            if twin is not None and not (twin["phases"] & branch["phases"]):
                twin["phases"] |= branch["phases"]
                for key in ("r", "x", "b"):
                    twin[key] += branch[key]
                continue
            by_pair.setdefault((branch["from"], branch["to"]), branch)
            out.append(branch)
    return out


def _series_branch(dss, kind: str, name: str, buses, base_v: dict, s_base_kva: float) -> dict | None:
    nph = dss.CktElement.NumPhases()
    bus1, ph1 = _bus_and_phases(buses[0], nph)
    bus2, _ = _bus_and_phases(buses[1], nph)
    if bus1 == bus2:
        return None
    y = np.array(dss.CktElement.YPrim()).reshape(-1, 2)
    n_cond = int(round(np.sqrt(y.shape[0]))) // 2
    y = (y[:, 0] + 1j * y[:, 1]).reshape(2 * n_cond, 2 * n_cond)
    z = np.linalg.inv(-y[:nph, n_cond:n_cond + nph])
    y_shunt = 2.0 * (y[:nph, :nph] + y[:nph, n_cond:n_cond + nph])  # pi model: half at each end
    z_base = base_v[bus1] ** 2 / (s_base_kva * 1000.0)
    r, x, b = np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((3, 3))
    idx = np.ix_(ph1, ph1)
    r[idx], x[idx], b[idx] = z.real / z_base, z.imag / z_base, y_shunt.imag * z_base
    return dict(name=f"{kind}.{name}", **{"from": bus1, "to": bus2}, phases=set(ph1), r=r, x=x, b=b,
                ratio=np.ones(3))


def _transformers(dss, base_v: dict, s_base_kva: float) -> list[dict]:
    grouped: dict[tuple[str, str], dict] = {}
    for name in _enabled(dss.Transformers):
        if dss.Transformers.NumWindings() != 2:
            raise FeederError(f"transformer '{name}' has {dss.Transformers.NumWindings()} windings; read_dss "
                              "supports two")
        nph = dss.CktElement.NumPhases()
        (bus1, ph1), (bus2, _) = (_bus_and_phases(b, nph) for b in dss.CktElement.BusNames()[:2])
        kva = dss.Transformers.kVA()
        wdg = []
        for w in (1, 2):
            dss.Transformers.Wdg(w)
            kv_ln = dss.Transformers.kV() / (np.sqrt(3.0) if nph == 3 else 1.0)
            wdg.append((kv_ln * 1000.0, dss.Transformers.Tap(), dss.Transformers.R()))
        dss.Transformers.Wdg(1)
        z_pu = ((wdg[0][2] + wdg[1][2]) + 1j * dss.Transformers.Xhl()) / 100.0
        z_ours = z_pu * s_base_kva / (kva / nph)
        rho = (wdg[1][0] * wdg[1][1] / base_v[bus2]) / (wdg[0][0] * wdg[0][1] / base_v[bus1])
        entry = grouped.setdefault((bus1, bus2), dict(name=f"transformer.{name}", **{"from": bus1, "to": bus2},
                                                      phases=set(), r=np.zeros((3, 3)), x=np.zeros((3, 3)),
                                                      b=np.zeros((3, 3)), ratio=np.ones(3)))
        for f in ph1:
            entry["phases"].add(f)
            entry["r"][f, f], entry["x"][f, f], entry["ratio"][f] = z_ours.real, z_ours.imag, rho
    return list(grouped.values())


def _loads(dss, feeder: Feeder, s_base_kva: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.zeros((feeder.n_bus, 3))
    q = np.zeros((feeder.n_bus, 3))
    mult = dss.Solution.LoadMult()
    for _ in _enabled(dss.Loads):
        bus, ph = _bus_and_phases(dss.CktElement.BusNames()[0], 3)
        if dss.Loads.IsDelta() and len(ph) == 1:
            ph = [ph[0], (ph[0] + 1) % 3]
        j = feeder.bus_index(bus)
        ph = [f for f in ph if feeder.bus_phases[j, f]] or ph
        share = 1.0 / len(ph)
        p[j, ph] += dss.Loads.kW() * mult * share / s_base_kva
        q[j, ph] += dss.Loads.kvar() * mult * share / s_base_kva
    return p, q


def _capacitors(dss, buses: list[str], s_base_kva: float) -> np.ndarray:
    """Rated reactive power of enabled capacitors per bus and phase (len(buses), 3), p.u."""
    where = {b: k for k, b in enumerate(buses)}
    out = np.zeros((len(buses), 3))
    for _ in _enabled(dss.Capacitors):
        bus, ph = _bus_and_phases(dss.CktElement.BusNames()[0], dss.CktElement.NumPhases())
        out[where[bus], ph] += dss.Capacitors.kvar() / len(ph) / s_base_kva
    return out
