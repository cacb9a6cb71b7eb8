"""Every figure renders to a non-empty PNG of the expected size."""
import numpy as np
import pandas as pd
import pytest

import tempp_core as tc

pytest.importorskip("matplotlib")
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
    files = plots.save_all(result, tmp_path)
    assert {f.stem for f in files} == {"convergence", "dispatch", "prices", "voltage_profile"}
    sizes = {"convergence": (7, 4), "dispatch": (8, 4.5), "voltage_profile": (8, 4.5),
             "prices": (8, 1.6 + 0.22 * len(case.market.customers))}
    for f in files:
        _check_png(f, *sizes[f.stem], 110)


def test_the_price_heatmap_stays_readable_with_many_customers():
    """85 customers: one labelled row per customer type, not 85 unlabelled rows."""
    case = tc.cases.load("ieee123")
    result = tc.clear(case)
    fig = plots.prices(result)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    kinds = sorted({c.kind for c in case.market.customers})
    assert len(labels) == len(kinds) and all(lab.split()[0] in kinds for lab in labels)
    assert fig.get_size_inches()[1] < 3.0


def test_iteration_axes_have_integer_ticks(cleared):
    _, result = cleared
    ticks = plots.convergence(result).axes[0].get_xticks()
    assert np.allclose(ticks, np.round(ticks))


@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_figures_in_vector_formats(cleared, tmp_path, fmt, magic):
    _, result = cleared
    files = plots.save_all(result, tmp_path, fmt=fmt)
    assert all(f.suffix == f".{fmt}" and f.read_bytes()[:5].startswith(magic[:4]) for f in files)


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
