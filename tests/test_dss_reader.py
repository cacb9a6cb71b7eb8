"""read_dss / read_dss_model on small hand-made OpenDSS files, against hand calculations."""
from pathlib import Path

import numpy as np
import pytest

import tempp_core as tc

dss = pytest.importorskip("opendssdirect")

from tempp_core.errors import FeederError  # noqa: E402
from tempp_core.io.dss import read_dss, read_dss_model  # noqa: E402
from tempp_core.io.dss.tables import hourly_means  # noqa: E402

V_LN = 12470.0 / np.sqrt(3.0)  # phase-to-neutral base of a 12.47 kV bus, V
S_BASE = 1000.0  # kVA per phase
Z_BASE = V_LN**2 / (S_BASE * 1000.0)  # ohm

HEAD = """Clear
New Circuit.t basekv=12.47 pu=1.0 phases=3 bus1=src MVAsc3=2000000 MVAsc1=2100000
"""
TWO_BUS = HEAD + """
New Linecode.lc nphases=3 units=mi normamps=400 emergamps=600
~ rmatrix=[0.3 | 0.1 0.3 | 0.1 0.1 0.3] xmatrix=[1.0 | 0.5 1.0 | 0.5 0.5 1.0] cmatrix=[10 | -2 10 | -2 -2 10]
New Line.l1 bus1=src bus2=b2 linecode=lc length=2 units=mi
New Loadshape.day npts=8 interval=0.25 mult=(1 2 3 4 5 6 7 8)
New Load.ld bus1=b2 phases=3 kv=12.47 kw=300 kvar=90 model=1 daily=day
Set voltagebases=[12.47]
Calcvoltagebases
"""


def write(tmp_path: Path, text: str, name: str = "master.dss") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_two_bus_line_in_per_unit(tmp_path):
    feeder, p, q = read_dss(write(tmp_path, TWO_BUS))
    assert feeder.bus_names == ("src", "b2")
    k = 0  # the only line
    # 2 mi of the linecode, in ohm, over the 12.47 kV / 1000 kVA base
    assert feeder.r_pu[k, 0, 0] == pytest.approx(0.6 / Z_BASE, rel=1e-9)
    assert feeder.r_pu[k, 0, 1] == pytest.approx(0.2 / Z_BASE, rel=1e-9)
    assert feeder.x_pu[k, 1, 1] == pytest.approx(2.0 / Z_BASE, rel=1e-9)
    assert feeder.x_pu[k, 1, 2] == pytest.approx(1.0 / Z_BASE, rel=1e-9)
    # charging: omega C l, C in nF/mi, times the base impedance
    b_aa = 2 * np.pi * 60 * 10e-9 * 2
    assert feeder.b_shunt_pu[k, 0, 0] == pytest.approx(b_aa * Z_BASE, rel=1e-6)
    assert p[1] == pytest.approx([0.1, 0.1, 0.1])
    assert q[1] == pytest.approx([0.03, 0.03, 0.03])


def test_line_rating_becomes_a_box_inside_the_circle(tmp_path):
    model = read_dss_model(write(tmp_path, TWO_BUS))
    s_norm = 400 * V_LN / 1000.0  # kVA per phase
    row = model.ratings.iloc[0]
    assert row["line"] == "line.l1"
    assert row["normamps"] == 400 and row["emergamps"] == 600
    assert row["s_norm_kva_per_phase"] == pytest.approx(s_norm)
    assert row["s_emerg_kva_per_phase"] == pytest.approx(600 * V_LN / 1000.0)
    f = model.feeder
    assert f.p_max_pu[0] == pytest.approx(0.9 * s_norm / S_BASE)
    assert f.q_max_pu[0] == pytest.approx(np.sqrt(1 - 0.81) * s_norm / S_BASE)
    assert np.hypot(f.p_max_pu[0], f.q_max_pu[0]) == pytest.approx(s_norm / S_BASE)


def test_loads_table_and_loadshape_hourly_means(tmp_path):
    model = read_dss_model(write(tmp_path, TWO_BUS))
    row = model.loads.iloc[0]
    assert (row["name"], row["bus"], row["phases"], row["model"], row["conn"], row["daily"]) == \
        ("ld", "b2", "abc", 1, "wye", "day")
    assert row["kv"] == pytest.approx(12.47) and row["p_kw"] == pytest.approx(300)
    # 15-minute points 1..8 -> two hours: mean(1..4), mean(5..8)
    assert model.loadshapes["day"] == pytest.approx([2.5, 6.5])


def test_hourly_means_of_uneven_shapes():
    assert hourly_means(np.array([1.0, 2.0, 3.0]), 2.0) == pytest.approx([1, 1, 2, 2, 3, 3])
    assert hourly_means(np.arange(1.0, 7.0), 0.25) == pytest.approx([2.5, 5.5])  # last hour half covered
    # hour array: 1 on [0, 0.5), 3 on [0.5, 2), 5 on [2, 3) (the mean spacing, 1 h)
    assert hourly_means(np.array([1.0, 3.0, 5.0]), 0.0, np.array([0.0, 0.5, 2.0])) == pytest.approx([2, 3, 5])


CENTER_TAP = HEAD + """
New Line.pri bus1=src.2 bus2=p.2 phases=1 r1=0.3 x1=0.6 r0=0.3 x0=0.6 c1=0 c0=0 length=0.1 units=mi
New Transformer.ct phases=1 windings=3 xhl=2.04 xht=2.04 xlt=1.36 %noloadloss=0 %imag=0
~ wdg=1 bus=p.2.0  conn=wye kv=7.2  kva=25 %r=0.6
~ wdg=2 bus=s.1.0  conn=wye kv=0.12 kva=25 %r=1.2
~ wdg=3 bus=s.0.2  conn=wye kv=0.12 kva=25 %r=1.2
New Linecode.tpx nphases=2 units=kft rmatrix=[0.77 | 0.15 0.77] xmatrix=[0.38 | 0.22 0.38] normamps=200
New Line.drop bus1=s.1.2 bus2=h.1.2 linecode=tpx length=0.05 units=kft
New Load.l1 bus1=h.1.0 phases=1 kv=0.12 kw=2.0 kvar=0.5 model=1
New Load.l2 bus1=h.2.0 phases=1 kv=0.12 kw=2.0 kvar=0.5 model=1
New Load.l12 bus1=h.1.2 phases=1 kv=0.24 kw=3.0 kvar=0.7 model=1
New Loadshape.sun npts=24 interval=1 mult=(0 0 0 0 0 0 0.1 0.3 0.5 0.7 0.9 1 1 0.9 0.7 0.5 0.3 0.1 0 0 0 0 0 0)
New PVSystem.pv bus1=h.1.2 phases=1 kv=0.24 kva=5 pmpp=4 irradiance=0.5 pf=1 daily=sun
Set voltagebases=[12.47, 0.208]
Calcvoltagebases
"""


def test_center_tap_transformer_and_triplex_equivalents(tmp_path):
    model = read_dss_model(write(tmp_path, CENTER_TAP))
    f = model.feeder
    assert f.phase_string(f.bus_index("s")) == "b" and f.phase_string(f.bus_index("h")) == "b"
    assert f.v_base_v[f.bus_index("h")] == pytest.approx(120.0)
    ct = f.line_names.index("transformer.ct")
    # star legs (%): H = (2.04 + 2.04 - 1.36)/2 = 1.36, X1 = X2 = 0.68; R = 0.6 + (1.2 + 1.2)/4
    # -> 1.2 + j1.70 % on 25 kVA at 7.2 kV, i.e. x 1000/25 x (7200 / 7199.56)^2 on our base
    assert f.r_pu[ct, 1, 1] == pytest.approx(0.012 * 40 * (7200 / V_LN) ** 2, rel=1e-9)
    assert f.x_pu[ct, 1, 1] == pytest.approx(0.017 * 40 * (7200 / V_LN) ** 2, rel=1e-9)
    assert f.ratio[ct, 1] == pytest.approx(V_LN / 7200, rel=1e-9)  # 7.2 kV : 120 V on 7199.56 V and 120 V
    drop = f.line_names.index("line.drop")
    # (Z11 + Z22 - 2 Z12)/4 over 50 ft, on 120 V / 1000 kVA
    z_base = 120.0**2 / 1e6
    assert f.r_pu[drop, 1, 1] == pytest.approx((2 * 0.0385 - 2 * 0.0075) / 4 / z_base, rel=1e-9)
    assert f.x_pu[drop, 1, 1] == pytest.approx((2 * 0.019 - 2 * 0.011) / 4 / z_base, rel=1e-9)
    # 200 A per leg at 240 V
    assert model.ratings.set_index("line").loc["line.drop", "s_norm_kva_per_phase"] == pytest.approx(48.0)
    h = f.bus_index("h")
    assert model.p[h] == pytest.approx([0, 0.007, 0])  # 2 + 2 + 3 kW on phase b
    assert model.q[h] == pytest.approx([0, 0.0017, 0])
    assert set(model.secondaries["bus"]) == {"s", "h"}


def test_center_tap_equivalent_matches_opendss(tmp_path):
    """Balanced legs: the equivalent half-voltage from LinDist3Flow is OpenDSS's |V1 - V2|/2."""
    model = read_dss_model(write(tmp_path, CENTER_TAP), disable=("PVSystem",))
    f = model.feeder
    vm = tc.power_flow(f, model.p, model.q).vm
    dss.Circuit.SetActiveBus("h")
    v = np.asarray(dss.Bus.Voltages()).view(complex)
    equivalent = abs(v[0] - v[1]) / 2 / 120.0
    assert vm[f.bus_index("h"), 1] == pytest.approx(equivalent, abs=5e-4)
    assert 1 - equivalent > 0.01  # a drop worth comparing


def test_der_tables_on_a_secondary(tmp_path):
    model = read_dss_model(write(tmp_path, CENTER_TAP))
    pv = model.pv.iloc[0]
    assert (pv["name"], pv["bus"], pv["phases"], pv["nodes"], pv["daily"]) == ("pv", "h", "b", "1.2", "sun")
    assert (pv["pmpp_kw"], pv["s_rated_kva"], pv["irradiance_pu"]) == pytest.approx((4, 5, 0.5))
    assert pv["p_out_kw"] == pytest.approx(2.0, rel=0.02)  # Pmpp x irradiance, OpenDSS's snapshot
    p, _ = model.per_phase(model.pv, "p_out_kw", "q_out_kvar")
    assert p[model.feeder.bus_index("h")] == pytest.approx([0, pv["p_out_kw"] / 1000, 0])
    assert model.loadshapes["sun"][11] == 1.0 and len(model.loadshapes["sun"]) == 24


def test_generator_and_storage_are_data(tmp_path):
    text = TWO_BUS + """
New Generator.g bus1=b2 kv=12.47 kw=500 kvar=100 model=1 daily=day
New Storage.s bus1=b2 phases=3 kv=12.47 kwrated=250 kwhrated=1000 %stored=40 %reserve=20
"""
    model = read_dss_model(write(tmp_path, text))
    g, s = model.generators.iloc[0], model.storage.iloc[0]
    assert (g["name"], g["bus"], g["phases"], g["daily"]) == ("g", "b2", "abc", "day")
    assert (g["p_kw"], g["q_kvar"]) == pytest.approx((500, 100))
    assert g["p_out_kw"] == pytest.approx(500, rel=1e-3)
    assert (s["p_rated_kw"], s["e_rated_kwh"], s["pct_stored"], s["pct_reserve"]) == (250, 1000, 40, 20)


THREE_WINDING = HEAD + """
New Transformer.t3 phases=3 windings=3 xhl=7.5 xht=36 xlt=28 %rs=[0.11 0.11 0.275]
~ buses=[src b2 b3] conns=[wye wye delta] kvs=[12.47 4.16 2.4] kvas=[15000 15000 5000]
New Load.a bus1=b2 phases=3 kv=4.16 kw=900 kvar=300
New Load.t bus1=b3 phases=3 kv=2.4 kw=600 kvar=200 conn=delta
Set voltagebases=[12.47, 4.16, 2.4]
Calcvoltagebases
"""


def test_three_winding_star_equivalent(tmp_path):
    feeder, p, _ = read_dss(write(tmp_path, THREE_WINDING))
    legs = {name: k for k, name in enumerate(feeder.line_names)}
    per_phase_kva = 15000 / 3
    scale = S_BASE / per_phase_kva / 100  # % on the rating -> p.u.
    assert feeder.x_pu[legs["transformer.t3"], 0, 0] == pytest.approx((7.5 + 36 - 28) / 2 * scale)
    assert feeder.x_pu[legs["transformer.t3:x"], 0, 0] == pytest.approx((7.5 + 28 - 36) / 2 * scale)
    assert feeder.x_pu[legs["transformer.t3:t"], 0, 0] == pytest.approx((36 + 28 - 7.5) / 2 * scale)
    # resistances on winding 1's kVA: R3 x 15000/5000
    assert feeder.r_pu[legs["transformer.t3:t"], 1, 1] == pytest.approx(0.275 * 3 * scale)
    assert p[feeder.bus_index("b3")] == pytest.approx([0.2, 0.2, 0.2])


def test_regulator_at_its_solved_tap(tmp_path):
    text = HEAD + """
New Transformer.reg phases=1 windings=2 buses=[src.1 r.1] conns=[wye wye] kvs=[7.2 7.2] kvas=[5000 5000] xhl=0.01
New RegControl.reg transformer=reg winding=2 vreg=126 band=1 ptratio=60
New Line.l bus1=r.1 bus2=e.1 phases=1 r1=0.5 x1=1 r0=0.5 x0=1 c1=0 c0=0 length=2 units=mi
New Load.ld bus1=e.1 phases=1 kv=7.2 kw=1000 kvar=300
Set voltagebases=[12.47]
Calcvoltagebases
"""
    feeder, *_ = read_dss(write(tmp_path, text))
    dss.Transformers.Name("reg")
    dss.Transformers.Wdg(2)
    tap = dss.Transformers.Tap()
    assert tap > 1.0 and (tap - 1.0) / 0.00625 == pytest.approx(round((tap - 1.0) / 0.00625))
    assert feeder.ratio[feeder.line_names.index("transformer.reg"), 0] == pytest.approx(tap)


def test_capacitor_at_one_pu_of_its_bus(tmp_path):
    text = TWO_BUS + "New Capacitor.c bus1=b2 phases=3 kv=13.2 kvar=600\n"
    feeder, _, _ = read_dss(write(tmp_path, text))
    # 200 kvar per phase at 13.2 kV, seen at 12.47 kV
    assert feeder.cap_q_pu[1] == pytest.approx([0.2 * (12.47 / 13.2) ** 2] * 3)


def extend(text: str) -> str:
    """TWO_BUS with more elements, defined before its voltage bases are computed."""
    return TWO_BUS.replace("Set voltagebases", text.strip() + "\nSet voltagebases")


def test_open_switch_in_the_file_and_open_lines(tmp_path):
    text = extend("""
New Line.sw bus1=b2 bus2=b3 switch=yes
New Line.l3 bus1=b3 bus2=b4 linecode=lc length=1 units=mi
New Line.tie bus1=src bus2=b4 switch=yes
Open Line.tie
""")
    feeder, *_ = read_dss(write(tmp_path, text))
    assert "line.tie" not in feeder.line_names and "line.sw" in feeder.line_names
    feeder, *_ = read_dss(write(tmp_path, text.replace("Open Line.tie", "")), open_lines=("tie",))
    assert "line.tie" not in feeder.line_names


def test_meshed_model_names_the_tie_switch(tmp_path):
    text = extend("""
New Line.sw1 bus1=b2 bus2=b3 switch=yes
New Line.l3 bus1=b3 bus2=b4 linecode=lc length=1 units=mi
New Line.l4 bus1=b4 bus2=b5 linecode=lc length=1 units=mi
New Line.l5 bus1=b5 bus2=b6 linecode=lc length=1 units=mi
New Line.l6 bus1=src bus2=b7 linecode=lc length=1 units=mi
New Line.tie bus1=b7 bus2=b6 switch=yes
""")
    with pytest.raises(FeederError, match=r"meshed \(1 loop\); opening line\.tie makes it radial"):
        read_dss(write(tmp_path, text))
    with pytest.raises(FeederError, match="open_lines=\\('nope',\\)|not lines of the model"):
        read_dss(write(tmp_path, text), open_lines=("nope",))


def test_script_runs_definitions_only(tmp_path):
    marker = tmp_path / "editor-ran"
    editor = write(tmp_path, f"#!/bin/sh\ntouch {marker}\n", "editor.sh")
    editor.chmod(0o755)
    write(tmp_path, "New Load.extra bus1=b2 phases=3 kv=12.47 kw=30 kvar=0\nshow voltages\n", "sub/extra.dss")
    text = TWO_BUS + f"""
Set editor={editor}
Solve
Show voltages LN Nodes
Redirect sub/extra.dss
New Monitor.m element=line.l1 terminal=1
~ mode=0
Export voltages
Save circuit dir={tmp_path / "saved"}
Set mode=yearly number=8760 loadmult=0.5
Solve mode=yearly number=8760
Plot profile
DOScmd touch {marker}
"""
    master = write(tmp_path, text)
    before = sorted(tmp_path.rglob("*"))
    model = read_dss_model(master)
    assert sorted(tmp_path.rglob("*")) == before  # nothing saved, exported, edited
    assert dss.Solution.Mode() == 0 and dss.Solution.Hour() == 0  # a snapshot, no yearly run
    skipped = [(Path(s.file).name, s.command.split()[0].lower()) for s in model.skipped_commands]
    for verb in ("solve", "show", "export", "save", "plot", "doscmd"):
        assert ("master.dss", verb) in skipped
    assert ("extra.dss", "show") in skipped
    assert ("master.dss", "new") in skipped and ("master.dss", "~") in skipped  # the monitor
    assert ("master.dss", "set") in skipped  # set editor; set mode (its loadmult ran)
    assert dss.Solution.LoadMult() == 0.5
    assert model.p[1] == pytest.approx([0.5 * 0.11] * 3)  # the redirected load counts


def test_compile_follows_relative_paths_and_names_missing_files(tmp_path):
    write(tmp_path, "New Linecode.lc nphases=3 units=mi r1=0.3 x1=0.6 r0=0.6 x0=1.2\n", "codes/lines.dss")
    inner = TWO_BUS.replace("New Linecode.lc", "Redirect ../codes/lines.dss\n!").replace("~ rmatrix", "! ")
    write(tmp_path, inner, "feeder/inner.dss")
    outer = write(tmp_path, "Compile (feeder/inner.dss)\nNew Load.more bus1=b2 phases=3 kv=12.47 kw=3\n", "run.dss")
    feeder, p, _ = read_dss(outer)
    assert feeder.r_pu[0, 0, 0] == pytest.approx((0.6 + 2 * 0.3) / 3 * 2 / Z_BASE)  # (R0 + 2 R1)/3 per mi
    assert p[1] == pytest.approx([0.101] * 3)
    bad = write(tmp_path, TWO_BUS + "Redirect nowhere.dss\n", "bad.dss")
    with pytest.raises(FeederError, match=r"nowhere\.dss.*does not exist.*bad\.dss:\d+"):
        read_dss(bad)
    with pytest.raises(FeederError, match="does not exist"):
        read_dss(tmp_path / "missing.dss")
    broken = write(tmp_path, TWO_BUS + "New Line.x bus1=b2 bus2=b9 linecode=no_such_code\n", "broken.dss")
    with pytest.raises(FeederError, match=r"broken\.dss:1\d:.*Line\.x"):
        read_dss(broken)


def test_unsupported_elements_in_one_message(tmp_path):
    text = TWO_BUS + """
New Reactor.shunt1 bus1=b2 phases=3 kvar=100 kv=12.47
New Reactor.shunt2 bus1=src phases=3 kvar=50 kv=12.47
New Vsource.second bus1=b2 basekv=12.47
"""
    listed = r"\(3\): (?=.*Reactor\.shunt1 \(shunt\))(?=.*Reactor\.shunt2 \(shunt\))(?=.*Vsource\.second)"
    with pytest.raises(FeederError, match=listed):
        read_dss(write(tmp_path, text))
