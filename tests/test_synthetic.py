"""Synthetic feeders: reproducible, nested phases, mutual impedances, sane voltages."""
import numpy as np
import pytest

import tempp_core as tc
from tempp_core.cases import synthetic


def test_same_seed_same_feeder_and_different_seed_different():
    a, pa, _ = synthetic(500, seed=3)
    b, pb, _ = synthetic(500, seed=3)
    c, pc, _ = synthetic(500, seed=4)
    np.testing.assert_array_equal(a.parent, b.parent)
    np.testing.assert_array_equal(a.r_pu, b.r_pu)
    np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a.parent, c.parent)


@pytest.mark.parametrize("n", [10, 1000, 100_000])
def test_sizes_phases_impedances_and_voltages(n):
    f, p, q = synthetic(n, seed=1)
    assert f.n_bus == n and p.shape == (n, 3)
    # phases nested, checked from the raw arrays
    assert not (f.line_phases & ~f.bus_phases[f.parent[1:]]).any()
    assert not (f.bus_phases[1:] & ~f.line_phases).any()
    assert not p[~f.bus_phases].any()
    three = f.line_phases.all(axis=1)
    assert three.any()
    off = f.x_pu[three][:, 0, 1]
    assert (off > 0.2 * f.x_pu[three][:, 0, 0]).all() and (off < 0.6 * f.x_pu[three][:, 0, 0]).all()
    vm = tc.power_flow(f, p, q).vm
    assert np.nanmin(vm[1:]) == pytest.approx(0.95, abs=1e-9)
    assert np.nanmax(vm) < 1.05
    if n >= 1000:
        counts = f.line_phases.sum(axis=1)
        assert {1, 2, 3} <= set(np.unique(counts).tolist())
