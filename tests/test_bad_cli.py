"""The command line under bad input (issue 9, classes 6 and 7): one line on stderr, no
traceback, and the documented exit code (tempp_core.cli: 2 input, 3 no secure result), before
any expensive work where it can be known then."""
import sys

import pandas as pd
import pytest

import tempp_core as tc
from tempp_core.cli import main

EXIT_INPUT, EXIT_NOT_SECURE = 2, 3


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A file, an empty folder, an empty and a garbage .dss file, a CSV folder whose bus
    table has text in a load, one with an empty bus table."""
    root = tmp_path_factory.mktemp("cli")
    (root / "afile").write_text("x")
    (root / "empty").mkdir()
    (root / "empty.dss").write_text("")
    (root / "typo.dss").write_text("Clear\nNwe Circuit.t basekv=12.47\n")
    ieee13 = tc.cases.data_path("ieee13")
    for name, edit in (("textload", lambda t: t.assign(pl_a=t["pl_a"].astype(object).where(t.index != 5, "x"))),
                       ("nobuses", lambda t: t.iloc[:0])):
        folder = root / name
        folder.mkdir()
        (folder / "branch_data.csv").write_bytes((ieee13 / "branch_data.csv").read_bytes())
        edit(pd.read_csv(ieee13 / "bus_data.csv")).to_csv(folder / "bus_data.csv", index=False)
    return root


CASES = [
    # usage errors (argparse): one line, exit 2
    (["pf", "--bogus"], EXIT_INPUT, r"unrecognized arguments: --bogus"),
    (["run", "--cuts", "x"], EXIT_INPUT, r"argument --cuts: invalid choice: 'x'"),
    (["run", "--tol", "abc"], EXIT_INPUT, r"argument --tol: invalid float value: 'abc'"),
    (["run", "--max-iter", "2.5"], EXIT_INPUT, r"argument --max-iter: invalid int value: '2\.5'"),
    (["run", "--plot-format", "gif"], EXIT_INPUT, r"argument --plot-format: invalid choice: 'gif'"),
    (["batch", "--scenarios", "x"], EXIT_INPUT, r"argument --scenarios: invalid int value: 'x'"),
    ([], EXIT_INPUT, r"the following arguments are required: command"),
    (["nocmd"], EXIT_INPUT, r"invalid choice: 'nocmd'"),
    (["bench"], EXIT_INPUT, r"the following arguments are required: study"),
    # option values
    (["run", "--tol", "-1"], EXIT_INPUT, r"tol must be a finite number >= 0 \(p\.u\.\); got -1"),
    (["run", "--tol", "nan"], EXIT_INPUT, r"tol must be .*got nan"),
    (["run", "--tol", "inf"], EXIT_INPUT, r"tol must be .*got inf"),
    (["run", "--max-iter", "0"], EXIT_INPUT, r"max_iter must be an integer >= 1; got 0"),
    (["run", "--hours", "3"], EXIT_INPUT, r"--hours apply to OpenDSS \(\.dss\) files only"),
    (["run", "--open", "sw1"], EXIT_INPUT, r"--open apply to OpenDSS"),
    (["pf", "--disable", "Storage"], EXIT_INPUT, r"--disable apply to OpenDSS"),
    (["batch", "--scenarios", "0"], EXIT_INPUT, r"--scenarios must be at least 1; got 0"),
    (["batch", "--scenarios", "-5"], EXIT_INPUT, r"--scenarios must be at least 1; got -5"),
    (["batch", "--workers", "-1"], EXIT_INPUT, r"--workers must be 0 \(in-process\) or more; got -1"),
    (["batch", "--scenarios", "1", "--seed", "-1"], EXIT_INPUT, r"seed is -1; expected a whole number >= 0"),
    (["bench", "scaling", "--sizes", "abc"], EXIT_INPUT, r"--sizes 'abc': expected comma-separated whole bus counts"),
    (["bench", "scaling", "--sizes", ""], EXIT_INPUT, r"--sizes '': expected"),
    (["bench", "scaling", "--sizes", "10,,20"], EXIT_INPUT, r"--sizes '10,,20': expected"),
    (["bench", "scaling", "--sizes", "inf"], EXIT_INPUT, r"--sizes 'inf': expected"),
    (["bench", "scaling", "--sizes", "nan"], EXIT_INPUT, r"--sizes 'nan': expected"),
    (["bench", "scaling", "--sizes", "100.5"], EXIT_INPUT, r"--sizes '100\.5': expected"),
    (["bench", "scaling", "--sizes", "1"], EXIT_INPUT, r"--sizes '1': every feeder needs at least 2 buses"),
    (["bench", "scaling", "--sizes", "10", "--repeats", "0"], EXIT_INPUT, r"--repeats must be at least 1; got 0"),
    (["bench", "modes", "--repeats", "0"], EXIT_INPUT, r"--repeats must be at least 1; got 0"),
    (["bench", "modes", "--max-iter", "0", "--repeats", "1"], EXIT_INPUT, r"max_iter must be an integer >= 1; got 0"),
    # inputs that do not exist or do not read
    (["pf", "--case", "nowhere"], EXIT_INPUT, r"--case 'nowhere': not an embedded feeder, a case folder or a \.dss file"),
    (["pf", "--case", "{root}/empty"], EXIT_INPUT, r"empty is not a case folder: it needs bus_data\.csv"),
    (["pf", "--case", "{root}/afile"], EXIT_INPUT, r"afile': not an embedded feeder"),
    (["pf", "--case", "{root}/no_such.dss"], EXIT_INPUT, r"OpenDSS file '.*no_such\.dss' does not exist"),
    (["pf", "--case", "{root}/empty.dss"], EXIT_INPUT, r"empty\.dss defines no circuit"),
    (["pf", "--case", "{root}/typo.dss"], EXIT_INPUT, r"typo\.dss:2: .*starts with 'nwe', which is not an OpenDSS command"),
    (["pf", "--case", "{root}/textload"], EXIT_INPUT, r"bus_data.csv row 6, column 'pl_a': 'x' is not a number"),
    (["pf", "--case", "{root}/nobuses"], EXIT_INPUT, r"exactly one swing bus"),
    (["run", "--case", "nowhere"], EXIT_INPUT, r"no market case 'nowhere'"),
    (["run", "--case", "{root}/empty"], EXIT_INPUT, r"case folder .*empty lacks case\.toml"),
    (["run", "--case", "{root}/empty.dss"], EXIT_INPUT, r"empty\.dss defines no circuit"),
    (["batch", "--case", "nowhere"], EXIT_INPUT, r"no market case 'nowhere'"),
    (["bench", "modes", "--case", "nowhere"], EXIT_INPUT, r"no market case 'nowhere'"),
    # outputs
    (["run", "--out", "{root}/afile"], EXIT_INPUT, r"--out '.*afile': .*afile is a file; expected a folder"),
    (["run", "--plots", "{root}/afile"], EXIT_INPUT, r"--plots '.*afile': .*afile is a file; expected a folder"),
    (["batch", "--out", "{root}/empty"], EXIT_INPUT, r"--out '.*empty': .*empty is a folder; expected a file name"),
    (["bench", "scaling", "--sizes", "10", "--out", "{root}/afile"], EXIT_INPUT, r"--out '.*afile': .*is a file"),
    (["bench", "modes", "--out", "{root}/empty"], EXIT_INPUT, r"--out '.*empty': .*empty is a folder; expected a file name"),
]


@pytest.mark.parametrize("argv, code, match", CASES, ids=[" ".join(c[0]) or "(nothing)" for c in CASES])
def test_bad_command_lines(argv, code, match, files, capsys, monkeypatch):
    import importlib
    import re

    modes = importlib.import_module("tempp_core.studies.modes")
    scaling = importlib.import_module("tempp_core.studies.scaling")  # the package exports a function of that name

    # No study may start: every one of these is refused before its work.
    monkeypatch.setattr(scaling, "scaling", lambda *a, **k: pytest.fail("the scaling study started"))
    monkeypatch.setattr(modes, "modes_table", lambda *a, **k: pytest.fail("the modes study started"))
    argv = [a.replace("{root}", str(files)) for a in argv]
    try:
        got = main(argv)
    except SystemExit as exc:  # argparse
        got = exc.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert got == code, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(match, lines[0]), lines[0]


def _blocked(monkeypatch, *modules: str) -> None:
    """Make ``modules`` unimportable, as when an optional extra is not installed."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "tempp_core.plots", raising=False)


MISSING_EXTRAS = [
    ("plots without matplotlib", ["run", "--plots", "{tmp}/figs"], ("matplotlib", "matplotlib.pyplot"), r"matplotlib"),
    ("parquet without pyarrow", ["batch", "--out", "{tmp}/t.parquet"], ("pyarrow",), r"pyarrow"),
    ("Dask workers without distributed", ["batch", "--scenarios", "1", "--workers", "1"], ("distributed",),
     r"distributed"),
    ("a .dss file without OpenDSS", ["pf", "--case", "{tmp}/x.dss"], ("opendssdirect",), r"read_dss needs OpenDSS"),
]


@pytest.mark.parametrize("label, argv, blocked, match", MISSING_EXTRAS, ids=[m[0] for m in MISSING_EXTRAS])
def test_a_missing_optional_extra_is_an_input_error(label, argv, blocked, match, tmp_path, capsys, monkeypatch):
    (tmp_path / "x.dss").write_text("Clear\n")
    _blocked(monkeypatch, *blocked)
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == EXIT_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0] and "extra" in err[0]


def test_a_clearing_that_does_not_converge_exits_3_and_says_so(capsys):
    """Class 6: one Benders round cannot secure the paper case; the command says so and exits 3."""
    assert main(["run", "--max-iter", "1", "--quiet", "--ac-check", "off"]) == EXIT_NOT_SECURE
    out = capsys.readouterr().out
    assert "warning: Benders stopped after max_iter=1" in out and "the result is not secure" in out
    assert "benders: max_iter (NOT SECURE)" in out
