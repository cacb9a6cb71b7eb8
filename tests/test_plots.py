"""Every figure renders to a non-empty PNG of the expected size."""
import numpy as np
import pandas as pd
import pytest

import tempp_core as tc

matplotlib = pytest.importorskip("matplotlib")
import matplotlib.image  # noqa: E402

from tempp_core import plots  # noqa: E402


@pytest.fixture(scope="module")
def cleared():
    case = tc.cases.paper()
    return case, tc.clear(case)


def _check_png(path, width_in, height_in, dpi):
    image = matplotlib.image.imread(path)
    assert image.shape[0] == pytest.approx(height_in * dpi, abs=2)
    assert image.shape[1] == pytest.approx(width_in * dpi, abs=2)
    rgb = image[..., :3]
    assert rgb.std() > 0.05  # not a blank canvas


def test_figures_of_a_clearing(cleared, tmp_path):
    case, result = cleared
    files = plots.save_all(result, case, tmp_path)
    assert {f.stem for f in files} == {"convergence", "dispatch", "prices", "voltage_profile"}
    sizes = {"convergence": (7, 4), "dispatch": (8, 4.5), "voltage_profile": (8, 4.5),
             "prices": (8, 1.5 + 0.25 * len(case.market.customers))}
    for f in files:
        _check_png(f, *sizes[f.stem], 110)


def test_scaling_plot_fits_the_exponent(tmp_path):
    n = np.array([1e3, 1e4, 1e5])
    table = pd.DataFrame({"task": "power_flow", "bus_periods": n, "time_s": 2e-8 * n**1.0})
    fig = plots.scaling(table)
    assert "exponent 1.00" in fig.axes[0].get_legend().get_texts()[0].get_text()
    fig.savefig(tmp_path / "s.png", dpi=100)
    _check_png(tmp_path / "s.png", 7, 4.5, 100)


def test_electrical_distance_grows_along_every_path(cleared):
    case, _ = cleared
    d = plots.electrical_distance(case.feeder)
    assert d[0] == 0 and (d[1:] >= d[case.feeder.parent[1:]]).all()


def test_cli_writes_plots(tmp_path):
    from tempp_core.cli import main

    assert main(["run", "--plots", str(tmp_path)]) == 0
    assert (tmp_path / "voltage_profile.png").stat().st_size > 10_000
