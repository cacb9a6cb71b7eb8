"""Synthetic feeders: reproducible, sizes honoured, nested phases, realistic mutual
impedances, sane voltages at any size."""
import importlib

import numpy as np
import pytest

import tempp_core as tc
from tempp_core.cases.synthetic import SYNTHETIC_V_BASE_V, synthetic

# The package exports the function under the module's name; reach the module itself.
synthetic_module = importlib.import_module("tempp_core.cases.synthetic")

# A 24-hour shape up to 1.1x the base load, as the benchmarks use.
SHAPE = 0.6 + 0.5 * np.sin(np.pi * (np.arange(24) - 6) / 24.0) ** 2


def _arrays(feeder, p, q):
    return [feeder.parent, feeder.bus_phases, feeder.line_phases, feeder.r_pu, feeder.x_pu,
            feeder.p_max_pu, feeder.q_max_pu, p, q]


def test_same_seed_gives_identical_arrays_and_another_seed_differs():
    a = synthetic(2000, seed=3)
    b = synthetic(2000, seed=3)
    c = synthetic(2000, seed=4)
    assert a[0].bus_names == b[0].bus_names
    for x, y in zip(_arrays(*a), _arrays(*b)):
        np.testing.assert_array_equal(x, y)
    assert a[0].bus_names != c[0].bus_names
    for x, y in zip(_arrays(*a)[:1] + _arrays(*a)[3:], _arrays(*c)[:1] + _arrays(*c)[3:]):
        assert x.shape == y.shape and not np.array_equal(x, y)


@pytest.mark.parametrize("n", [2, 3, 10, 57, 1000])
def test_sizes_are_honoured(n):
    f, p, q = synthetic(n, seed=n)
    assert f.n_bus == n and f.n_line == n - 1
    assert p.shape == q.shape == (n, 3)
    assert f.bus_names[0] == "b0"
    assert (p[0] == 0).all() and p.any()


def test_generated_tree_is_radial_with_nested_phases_before_the_feeder_checks_it():
    """The generator's own arrays, independently of Feeder.from_arrays' validation."""
    parent, level, phases, code = synthetic_module._tree(50_000, np.random.default_rng(7), 0.9)
    j = np.arange(1, parent.size)
    assert parent[0] == -1 and (parent[1:] >= 0).all() and (parent[1:] < j).all()
    assert (phases[level == 0]).all()                          # three-phase trunk
    assert (phases.any(axis=1)).all()                          # no bus without a phase
    assert not (phases[1:] & ~phases[parent[1:]]).any()        # line phases within upstream's
    # each level taps only the level above it (or continues its own chain)
    assert (level[parent[1:]] >= level[1:] - 1).all() and (level[parent[1:]] <= level[1:]).all()
    counts = phases[1:].sum(axis=1)
    assert set(np.unique(counts[level[1:] > 0]).tolist()) == {1, 2, 3}


@pytest.mark.parametrize("n", [10, 1000, 100_000])
def test_phases_nested_in_the_built_feeder_and_loads_only_on_present_phases(n):
    f, p, q = synthetic(n, seed=1)
    parent = np.asarray(f.parent)
    upstream = np.asarray(f.bus_phases)[parent[1:]]
    lines = np.asarray(f.line_phases)
    assert not (lines & ~upstream).any()
    assert not (np.asarray(f.bus_phases)[1:] & ~lines).any()
    assert not p[~f.bus_phases].any() and not q[~f.bus_phases].any()
    assert (p >= 0).all() and (q >= 0).all() and (q <= p * np.tan(np.arccos(0.85)) + 1e-15).all()
    # every end-of-line bus carries a load on each of its phases: checks that the loads
    # were put back in the feeder's bus order
    leaf = np.diff(f.child_ptr) == 0
    assert (p[leaf][f.bus_phases[leaf]] > 0).all()
    if n >= 1000:
        assert set(np.unique(lines.sum(axis=1)).tolist()) == {1, 2, 3}


def test_line_codes_match_kersting_config_601():
    """Carson + Kron for 556 ACSR / 4/0 neutral on spacing 500, phasing BACN (Kersting,
    Example 4.1: the IEEE 13-node feeder's configuration 601), ohm/mile."""
    z = synthetic_module._Z_TABLE[0, 7]
    expected = np.array([
        [0.3465 + 1.0179j, 0.1560 + 0.5017j, 0.1580 + 0.4236j],
        [0.1560 + 0.5017j, 0.3375 + 1.0478j, 0.1535 + 0.3849j],
        [0.1580 + 0.4236j, 0.1535 + 0.3849j, 0.3414 + 1.0348j],
    ])
    np.testing.assert_allclose(z, expected, atol=2e-4)


def test_impedances_are_full_symmetric_with_realistic_mutual_terms():
    f, _, _ = synthetic(20_000, seed=2)
    r, x = np.asarray(f.r_pu), np.asarray(f.x_pu)
    np.testing.assert_array_equal(r, r.transpose(0, 2, 1))
    np.testing.assert_array_equal(x, x.transpose(0, 2, 1))
    z_base = SYNTHETIC_V_BASE_V**2 / 1e6
    three = f.line_phases.all(axis=1)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        self_z = np.hypot(r[three, a, a], x[three, a, a])
        ratio = np.hypot(r[three, a, b], x[three, a, b]) / self_z
        assert (ratio > 0.25).all() and (ratio < 0.55).all()
    # two-phase lines are coupled too; absent phases carry nothing
    two = f.line_phases.sum(axis=1) == 2
    assert two.any()
    off = np.abs(x[two] * (1 - np.eye(3))).max(axis=(1, 2))
    assert (off > 0).all()
    assert not r[~(f.line_phases[:, :, None] & f.line_phases[:, None, :])].any()
    # self impedance per mile of every conductor used: 0.3-1.4 ohm/mile resistance
    per_mile = synthetic_module._Z_TABLE[:, 7].real.diagonal(axis1=1, axis2=2)
    assert (per_mile > 0.3).all() and (per_mile < 1.4).all()
    assert (r[three, 0, 0] * z_base > 0).all()


@pytest.mark.parametrize("n", [10, 1000, 100_000])
def test_voltages_sane_at_base_and_over_a_day(n):
    f, p, q = synthetic(n, seed=5)
    base = tc.power_flow(f, p, q).vm
    assert np.nanmin(base) >= 0.95 - 1e-9 and np.nanmax(base) <= 1.05 + 1e-9
    if n >= 1000:  # the drop, not the per-bus cap, sets the load scale
        assert np.nanmin(base) == pytest.approx(0.95, abs=1e-9)
    day = tc.power_flow(f, SHAPE[:, None, None] * p, SHAPE[:, None, None] * q).vm
    assert np.nanmin(day) > 0.9 and np.nanmax(day) < 1.05
    # line ratings cover the base flows
    res = tc.power_flow(f, p, q)
    assert (np.nanmax(np.abs(res.P), axis=1) <= f.p_max_pu).all()


def test_small_feeders_keep_per_bus_loads_realistic():
    f, p, _ = synthetic(30, seed=0, s_base_kva=1000.0)
    kw = p[p > 0] * 1000.0
    assert 5.0 < np.median(kw) < 200.0


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="at least 2"):
        synthetic(1)
    with pytest.raises(ValueError, match="trunk_continue"):
        synthetic(10, trunk_continue=1.5)
    with pytest.raises(ValueError, match="v_min_target"):
        synthetic(10, v_min_target=1.0)
