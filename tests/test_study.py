"""Study tools: the modes table and the scaling study (small sizes)."""
import numpy as np
import pandas as pd
import pytest

import tempp_core as tc
from tempp_core.studies import growth_exponents, modes_table, scaling


def test_modes_table_on_the_paper_case():
    table = modes_table(tc.cases.paper(), cuts=("period", "constraint"), sensitivities=("exact",),
                        loads=("joint",), repeats=1)
    assert list(table["status"]) == ["optimal", "optimal"]
    assert (table["gap"].abs() < 1e-6).all()
    assert (table["worst_violation_pu"] < 1e-9).all()


def test_scaling_study_small_sizes():
    table = scaling((100, 400), repeats=1, customer_buses=10)
    assert set(table["task"]) == {"power_flow", "adjoint", "benders_iteration", "clear"}
    assert len(table) == 2 * 4 and set(table["bus_periods"]) == {100 * 24, 400 * 24}
    assert set(growth_exponents(table)) == {"power_flow", "adjoint", "benders_iteration", "clear"}


def test_growth_exponent_recovers_a_power_law():
    n = np.array([1e2, 1e3, 1e4, 1e5])
    table = pd.DataFrame({"task": "x", "bus_periods": n, "time_s": 3e-9 * n**1.2})
    assert growth_exponents(table)["x"] == pytest.approx(1.2)


def test_cli_bench_scaling(tmp_path, capsys):
    from tempp_core.cli import main

    assert main(["bench", "scaling", "--sizes", "100,300", "--repeats", "1", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "scaling.csv").is_file()
    assert "growth exponent of power_flow" in capsys.readouterr().out
