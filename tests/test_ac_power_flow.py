"""ac_power_flow against a plain nodal Newton solve, power-grid-model, and its own contract
(batches, buffers, load models, non-convergence reported)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings

import tempp_core as tc
from tempp_core.errors import InjectionError

from tests.feeders import feeder_seeds, random_feeder_arrays, random_loads
from tests.reference.dense_ac import dense_ac_power_flow

SWING = np.exp(1j * np.array([0.0, -2.0, 2.0]) * np.pi / 3)


def random_ac_case(seed, n, reverse_some=False):
    """A random feeder with regulators, charging, capacitors and ZIP loads, and its lines as
    given (for the dense reference, which does not orient anything)."""
    rng = np.random.default_rng(seed + 7)
    a = random_feeder_arrays(seed, n, with_ratio=True)
    n_line = n - 1
    b = rng.uniform(0.0, 2e-3, (n_line, 3, 3))
    b = (b + b.transpose(0, 2, 1)) / 2
    tree_lines = []
    for k in range(n_line):
        ph = np.array([c in a["tree_phases"][k + 1] for c in "abc"])
        mask = ph[:, None] & ph[None, :]
        tree_lines.append({"from": int(a["tree_parent"][k + 1]), "to": k + 1, "phases": ph,
                           "z": np.where(mask, a["tree_r"][k] + 1j * a["tree_x"][k], 0), "ratio": a["tree_ratio"][k],
                           "b": np.where(mask, b[k], 0)})
    if reverse_some:
        # the same device described from its other end: ratio inverted, Z moved across it (D Z D)
        for k in np.flatnonzero(rng.random(n_line) < 0.5):
            ln = tree_lines[k]
            d = ln["ratio"]
            ln.update({"from": ln["to"], "to": ln["from"], "ratio": 1.0 / d, "z": d[:, None] * ln["z"] * d[None, :]})
    names = a["tree_names"]
    phases = np.array([[c in ph for c in "abc"] for ph in a["tree_phases"]])
    cap = rng.uniform(0.0, 0.02, (n, 3)) * phases
    cap[0] = 0
    feeder = tc.Feeder.from_arrays(
        list(names), [names[ln["from"]] for ln in tree_lines], [names[ln["to"]] for ln in tree_lines],
        np.array([ln["z"].real for ln in tree_lines]), np.array([ln["z"].imag for ln in tree_lines]),
        swing=names[0], bus_phases=list(a["tree_phases"]), line_phases=list(a["tree_phases"][1:]),
        ratio=np.array([ln["ratio"] for ln in tree_lines]), b_shunt_pu=np.array([ln["b"] for ln in tree_lines]),
        cap_q_pu=cap, v_swing_pu=1.02,
    )
    return feeder, names, phases, tree_lines, cap


@settings(max_examples=15, deadline=None, derandomize=True)
@given(feeder_seeds)
def test_matches_a_dense_newton_solve(seed_n):
    seed, n = seed_n
    reverse = seed % 2 == 1
    feeder, names, phases, lines, cap = random_ac_case(seed, n, reverse_some=reverse)
    p, q = random_loads(feeder, seed)
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.ones(3), size=(feeder.n_bus, 3, 2))
    res = tc.ac_power_flow(feeder, p, q, load_model=shares)
    assert res.converged
    pos = feeder.bus_index(list(names))
    v_ref = dense_ac_power_flow(lines, phases, 1.02 * SWING, p[pos], q[pos], cap=cap, shares=shares[pos])
    np.testing.assert_allclose(res.v[pos][phases], v_ref[phases], rtol=0, atol=1e-9)
    assert np.isnan(res.vm[~feeder.bus_phases]).all()


def test_flows_and_losses_balance():
    """Sending-end flow of the head line = loads + capacitors + every line's losses below it."""
    feeder, names, phases, lines, cap = random_ac_case(3, 12)
    p, q = random_loads(feeder, 3)
    res = tc.ac_power_flow(feeder, p, q)
    v2 = np.nan_to_num(res.vm) ** 2
    head = feeder.child[feeder.child_ptr[0]:feeder.child_ptr[1]] - 1
    sent_p = np.nansum(res.P[head])
    sent_q = np.nansum(res.Q[head])
    assert sent_p == pytest.approx(p[1:].sum() + res.loss_P.sum(), abs=1e-12)
    assert sent_q == pytest.approx(q[1:].sum() - (feeder.cap_q_pu * v2).sum() + res.loss_Q.sum(), abs=1e-12)


def test_batches_and_reused_buffers():
    feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee123"))
    scale = np.array([[0.5, 1.0, 1.3], [0.2, 0.8, 1.1]])
    P, Q = scale[..., None, None] * p, scale[..., None, None] * q
    res = tc.ac_power_flow(feeder, P, Q)
    assert res.vm.shape == (2, 3, feeder.n_bus, 3) and res.P.shape == (2, 3, feeder.n_line, 3)
    assert res.converged.shape == (2, 3) and res.converged.all()
    assert res.loss_P.shape == (2, 3, feeder.n_line)
    one = tc.ac_power_flow(feeder, P[1, 2], Q[1, 2])
    assert one.converged.shape == ()
    np.testing.assert_array_equal(res.v[1, 2], one.v)
    buf = tc.AcPowerFlowBuffers.allocate(feeder, 6)
    again = tc.ac_power_flow(feeder, P, Q, out=buf)
    np.testing.assert_array_equal(again.vm, res.vm)
    assert np.shares_memory(again.vm, buf.vm)
    # lighter columns converge in fewer sweeps; each column stops on its own
    assert res.iterations[1, 0] < res.iterations[0, 2]
    assert (res.mismatch <= 1e-10).all()


def test_named_load_models_are_their_shares():
    feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    for name, shares in (("impedance", [1, 0, 0]), ("current", [0, 1, 0]), ("power", [0, 0, 1])):
        a = tc.ac_power_flow(feeder, p, q, load_model=name).v
        b = tc.ac_power_flow(feeder, p, q, load_model=np.broadcast_to(shares, (feeder.n_bus, 3, 1, 3))).v
        np.testing.assert_array_equal(a, b)
    # constant impedance draws less than constant power where the voltage sags below 1 p.u.
    z = tc.ac_power_flow(feeder, p, q, load_model="impedance")
    s = tc.ac_power_flow(feeder, p, q)
    assert np.nanmin(z.vm) > np.nanmin(s.vm)


def test_non_convergence_is_reported():
    feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    loads = np.array([1.0, 40.0, 1.0])[:, None, None]
    with pytest.warns(RuntimeWarning, match=r"1 of 3 batch elements did not converge.*element \(1,\)"):
        res = tc.ac_power_flow(feeder, loads * p, loads * q)
    np.testing.assert_array_equal(res.converged, [True, False, True])
    assert res.mismatch[1] > 1e-10
    with pytest.warns(RuntimeWarning, match="1 of 1"):
        few = tc.ac_power_flow(feeder, p, q, max_iter=2)
    assert not few.converged and few.iterations == 2 and np.isfinite(few.vm[feeder.bus_phases]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tc.ac_power_flow(feeder, p, q)


def test_errors_name_the_problem():
    feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    bad = p.copy()
    bad[feeder.bus_index("611"), 0] = 0.1
    with pytest.raises(InjectionError, match="'611'.*only 'c'"):
        tc.ac_power_flow(feeder, bad, q)
    bad = p.copy()
    bad[feeder.bus_index("675"), 1] = np.inf
    with pytest.raises(InjectionError, match="'675'.*non-finite"):
        tc.ac_power_flow(feeder, bad, q)
    with pytest.raises(InjectionError, match="summing to 1"):
        tc.ac_power_flow(feeder, p, q, load_model=[0.5, 0.5, 0.5])
    with pytest.raises(InjectionError, match="broadcast"):
        tc.ac_power_flow(feeder, p, q, load_model=np.ones((4, 3)) / 3)
    with pytest.raises(InjectionError, match="not one of"):
        tc.ac_power_flow(feeder, p, q, load_model="zip")
    with pytest.raises(InjectionError, match="buffers"):
        tc.ac_power_flow(feeder, p, q, out=tc.AcPowerFlowBuffers.allocate(feeder, 2))
    with pytest.raises(ValueError, match="tol"):
        tc.ac_power_flow(feeder, p, q, tol=0.0)


pgm = pytest.importorskip("power_grid_model")


def test_agrees_with_power_grid_model():
    """power-grid-model's asymmetric Newton-Raphson on the same random three-phase feeder,
    full 3x3 line impedances and capacitances, constant-power loads, a stiff source."""
    from power_grid_model import ComponentType, DatasetType, LoadGenType, PowerGridModel, initialize_array

    rng = np.random.default_rng(11)
    n = 30
    parent = np.array([-1] + [int(rng.integers(max(0, j - 3), j)) for j in range(1, n)])
    u_ll = 12470.0
    v_base = u_ll / np.sqrt(3.0)
    s_base = 1e6  # VA per phase
    z_base = v_base**2 / s_base
    omega = 2 * np.pi * 50.0
    a = rng.uniform(0.02, 0.06, (n - 1, 3, 3))
    r_ohm = (a + a.transpose(0, 2, 1)) / 2 + np.eye(3) * rng.uniform(0.2, 0.4, (n - 1, 1, 1))
    a = rng.uniform(0.1, 0.2, (n - 1, 3, 3))
    x_ohm = (a + a.transpose(0, 2, 1)) / 2 + np.eye(3) * rng.uniform(0.4, 0.8, (n - 1, 1, 1))
    c_farad = np.eye(3) * 1e-8 - (np.ones((3, 3)) - np.eye(3)) * 2e-9
    p_w = rng.uniform(0, 60e3, (n, 3))
    q_var = rng.uniform(0, 25e3, (n, 3))
    p_w[0] = q_var[0] = 0

    names = [f"n{k}" for k in range(n)]
    feeder = tc.Feeder.from_arrays(
        names, [names[i] for i in parent[1:]], names[1:], r_ohm / z_base, x_ohm / z_base, swing="n0",
        v_base_v=v_base, s_base_kva=s_base / 1e3, b_shunt_pu=np.broadcast_to(omega * c_farad * z_base, (n - 1, 3, 3)),
    )
    pos = feeder.bus_index(names)  # the feeder orders buses depth-first
    res = tc.ac_power_flow(feeder, (p_w / s_base)[np.argsort(pos)], (q_var / s_base)[np.argsort(pos)])

    node = initialize_array(DatasetType.input, ComponentType.node, n)
    node["id"] = np.arange(n)
    node["u_rated"] = u_ll
    line = initialize_array(DatasetType.input, ComponentType.asym_line, n - 1)
    line["id"] = np.arange(n, 2 * n - 1)
    line["from_node"], line["to_node"] = parent[1:], np.arange(1, n)
    line["from_status"] = line["to_status"] = 1
    for (i, k), key in zip([(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)], ["aa", "ba", "bb", "ca", "cb", "cc"]):
        line[f"r_{key}"], line[f"x_{key}"], line[f"c_{key}"] = r_ohm[:, i, k], x_ohm[:, i, k], c_farad[i, k]
    source = initialize_array(DatasetType.input, ComponentType.source, 1)
    source["id"], source["node"], source["status"], source["u_ref"] = 2 * n, 0, 1, 1.0
    source["sk"] = 1e15
    load = initialize_array(DatasetType.input, ComponentType.asym_load, n - 1)
    load["id"] = np.arange(2 * n + 1, 3 * n)
    load["node"], load["status"], load["type"] = np.arange(1, n), 1, LoadGenType.const_power
    load["p_specified"], load["q_specified"] = p_w[1:], q_var[1:]
    model = PowerGridModel({ComponentType.node: node, ComponentType.asym_line: line, ComponentType.source: source,
                            ComponentType.asym_load: load}, system_frequency=50.0)
    out = model.calculate_power_flow(symmetric=False, error_tolerance=1e-12, max_iterations=50)
    u_pgm = out[ComponentType.node]["u"] / v_base
    np.testing.assert_allclose(res.vm[pos], u_pgm, rtol=0, atol=1e-8)
    p_from = out[ComponentType.asym_line]["p_from"] / s_base
    np.testing.assert_allclose(res.P[pos[1:] - 1], p_from, rtol=0, atol=1e-8)


def test_threads_give_bit_identical_results():
    """Two chunks on two threads against one chunk on one (and a padded last chunk)."""
    from tempp_core.cases import synthetic

    feeder, p, q = synthetic(3000, seed=4)
    scale = np.linspace(0.5, 1.4, 7)[:, None, None]
    one = tc.ac_power_flow(feeder, scale * p, scale * q, out=tc.AcPowerFlowBuffers.allocate(feeder, 7, n_chunk=1))
    two = tc.ac_power_flow(feeder, scale * p, scale * q, out=tc.AcPowerFlowBuffers.allocate(feeder, 7, n_chunk=2))
    for name in ("v", "vm", "P", "Q", "loss_P", "loss_Q", "iterations", "mismatch", "converged"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)


def test_start_from_the_previous_solution():
    """Loads moved by 1 %: the same solution in fewer sweeps; an element that had not
    converged starts flat again."""
    feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee123"))
    scale = np.linspace(0.6, 1.2, 5)[:, None, None]
    buf = tc.AcPowerFlowBuffers.allocate(feeder, 5)
    first = tc.ac_power_flow(feeder, scale * p, scale * q, out=buf)
    first_iterations, first_v = first.iterations.copy(), first.v.copy()  # the result views buf
    flat = tc.ac_power_flow(feeder, 1.01 * scale * p, 1.01 * scale * q)
    warm = tc.ac_power_flow(feeder, 1.01 * scale * p, 1.01 * scale * q, out=buf, start="previous")
    assert warm.converged.all() and (warm.iterations < first_iterations).all()
    np.testing.assert_allclose(warm.v, flat.v, rtol=0, atol=1e-9)
    with pytest.warns(RuntimeWarning):
        tc.ac_power_flow(feeder, scale * p, scale * q, out=buf, max_iter=2)
    again = tc.ac_power_flow(feeder, scale * p, scale * q, out=buf, start="previous")
    np.testing.assert_array_equal(again.iterations, first_iterations)
    np.testing.assert_array_equal(again.v, first_v)
    with pytest.raises(ValueError, match="start"):
        tc.ac_power_flow(feeder, p, q, start="previous")
