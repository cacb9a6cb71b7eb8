"""ac_power_flow under loads it cannot carry: no NaN or inf on a present phase, the failed
elements zeroed and flagged (``converged``, ``collapsed``), one warning per call, the
solved elements unaffected by the failed ones (in the batch, in the reused buffers of a warm
start), and ``tempp pf --ac`` exiting 3 with a message instead of a summary of NaNs."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tempp_core as tc

from tests.feeders import build, feeder_seeds, random_feeder_arrays, random_loads, write_scaled_ieee13

SWING = np.exp(1j * np.array([0.0, -2.0, 2.0]) * np.pi / 3)
OUTPUTS = ("v", "vm", "P", "Q", "loss_P", "loss_Q")


def solve_recording(feeder, p, q, **options) -> tuple[tc.AcPowerFlowResult, list[warnings.WarningMessage]]:
    """``ac_power_flow`` and every RuntimeWarning it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = tc.ac_power_flow(feeder, p, q, **options)
    return res, [w for w in caught if issubclass(w.category, RuntimeWarning)]


def line_powers(arrays: dict, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From voltages ``v`` (n_bus, 3) in tree order and the raw lines of
    :func:`tests.feeders.random_feeder_arrays` (impedance on the sending side of the ratio):
    the net power each bus-phase draws from its lines (n_bus, 3), each line's sending-end
    power (n_line, 3; NaN on absent phases) and its loss (n_line,), all complex p.u.

    The current through line ``k``'s impedance is ``Z^-1 (V_from - V_to / ratio)``; it leaves
    the parent bus and arrives at the child divided by the ratio."""
    phases = np.array([[c in ph for c in "abc"] for ph in arrays["tree_phases"]])
    n = len(phases)
    drawn = np.zeros((n, 3), dtype=complex)
    sent = np.full((n - 1, 3), np.nan, dtype=complex)
    loss = np.zeros(n - 1, dtype=complex)
    for k in range(n - 1):
        i, j, ph = arrays["tree_parent"][k + 1], k + 1, phases[k + 1]
        z = (arrays["tree_r"][k] + 1j * arrays["tree_x"][k])[np.ix_(ph, ph)]
        ratio = arrays["tree_ratio"][k][ph]
        current = np.linalg.solve(z, v[i, ph] - v[j, ph] / ratio)
        s_in, s_out = v[i, ph] * np.conj(current), v[j, ph] * np.conj(current / ratio)
        drawn[i, ph] -= s_in
        drawn[j, ph] += s_out
        sent[k, ph] = s_in
        loss[k] = (s_in - s_out).sum()
    return drawn, sent, loss


@settings(max_examples=30, deadline=None, derandomize=True)
@given(feeder_seeds, st.lists(st.floats(0.0, 5.0), min_size=1, max_size=4))
def test_random_feeders_under_any_load_give_finite_flagged_results(seed_n, log_scales):
    """Loads up to 1e5 times a light random load: about 1x-30x converge, 10x-1e4x mostly run
    out of sweeps, 1e4x-1e5x collapse, and a batch mixes them."""
    seed, n = seed_n
    arrays = random_feeder_arrays(seed, n, with_ratio=seed % 2 == 0)
    feeder = build(arrays)
    scale = 10.0 ** np.array(log_scales)[:, None, None]
    p, q = random_loads(feeder, seed, batch=(len(log_scales),))
    p, q = scale * p, scale * q
    res, caught = solve_recording(feeder, p, q)

    on_bus, on_line = feeder.bus_phases, feeder.line_phases
    failed = ~res.converged
    for name in OUTPUTS:
        values = getattr(res, name)
        on = on_bus if name in ("v", "vm") else on_line
        present = values[..., on] if values.ndim == 3 else values  # loss_P, loss_Q: per line
        assert np.isfinite(present).all(), name
        assert (present[failed] == 0).all(), name
        if values.ndim == 3:  # absent phases stay NaN in every element
            assert np.isnan(values[..., ~on]).all(), name
    np.testing.assert_array_equal(res.collapsed, failed[:, None, None] & on_bus)
    assert len(caught) == int(failed.any())
    if failed.any():
        assert f"{int(failed.sum())} of {failed.size} batch elements did not converge" in str(caught[0].message)

    pos = feeder.bus_index(list(arrays["tree_names"]))  # tree order -> the feeder's
    line = pos[1:] - 1  # the feeder's line feeding each non-swing bus of the tree
    for b in np.flatnonzero(res.converged):
        v = res.v[b][pos]
        drawn, sent, loss = line_powers(arrays, v)
        load = (p[b] + 1j * q[b])[pos]
        size = 1.0 + np.abs(load).sum()
        np.testing.assert_allclose(v[0], feeder.v_swing_pu * SWING, rtol=0, atol=1e-15)
        np.testing.assert_allclose(drawn[1:], load[1:], rtol=0, atol=1e-9 * size)
        np.testing.assert_allclose((res.P[b] + 1j * res.Q[b])[line], sent, rtol=0, atol=1e-9 * size)
        np.testing.assert_allclose((res.loss_P[b] + 1j * res.loss_Q[b])[line], loss, rtol=0, atol=1e-9 * size)


@pytest.mark.parametrize("n_chunk", [1, 2])
def test_a_collapsing_element_leaves_its_batch_neighbour_alone(n_chunk):
    """IEEE 13 at its loads and at 1e4 times them, in one chunk and on two."""
    feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    scale = np.array([1.0, 1e4])[:, None, None]
    out = tc.AcPowerFlowBuffers.allocate(feeder, 2, n_chunk=n_chunk)
    with pytest.warns(RuntimeWarning, match=r"1 of 2 batch elements did not converge.*element \(1,\)"):
        res = tc.ac_power_flow(feeder, scale * p, scale * q, out=out)
    np.testing.assert_array_equal(res.converged, [True, False])
    assert not res.collapsed[0].any()
    np.testing.assert_array_equal(res.collapsed[1], feeder.bus_phases)
    assert (res.vm[1][feeder.bus_phases] == 0).all()
    solo = tc.ac_power_flow(feeder, p, q)
    for name in OUTPUTS + ("iterations", "mismatch"):
        np.testing.assert_array_equal(getattr(res, name)[0], getattr(solo, name), err_msg=name)
    with pytest.warns(RuntimeWarning, match="1 of 1"):  # the heavy one fails on its own too
        assert not tc.ac_power_flow(feeder, 1e4 * p, 1e4 * q).converged


@pytest.mark.parametrize("scale, why", [(1e4, "the voltage collapsed"), (40.0, "still moving by")])
def test_pf_ac_exits_3_without_nan(tmp_path, capsys, scale, why):
    from tempp_core.cli import main

    assert main(["pf", "--ac", "--case", str(write_scaled_ieee13(tmp_path, scale))]) == 3
    captured = capsys.readouterr()
    assert "AC POWER FLOW DID NOT CONVERGE" in captured.out and why in captured.out
    assert "nan" not in (captured.out + captured.err).lower()


def test_pf_ac_exits_0_at_the_base_loads(tmp_path, capsys):
    from tempp_core.cli import main

    assert main(["pf", "--ac", "--case", str(write_scaled_ieee13(tmp_path, 1.0))]) == 0
    out = capsys.readouterr().out
    assert "voltage magnitude by phase" in out and "DID NOT CONVERGE" not in out


def test_warm_start_after_failures_starts_them_flat():
    """Buffers that last held a converged, a collapsed and a non-converged element: with
    ``start="previous"`` the failed two start flat (exactly a cold solve, sweep for sweep),
    the converged one from its solution (the same state within the tolerance)."""
    feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    out = tc.AcPowerFlowBuffers.allocate(feeder, 3)
    first = np.array([1.0, 1e4, 40.0])[:, None, None]
    with pytest.warns(RuntimeWarning, match="2 of 3"):
        tc.ac_power_flow(feeder, first * p, first * q, out=out)
    second = np.array([0.9, 1.0, 1.1])[:, None, None]
    warm = tc.ac_power_flow(feeder, second * p, second * q, out=out, start="previous")
    cold = tc.ac_power_flow(feeder, second * p, second * q)
    assert warm.converged.all() and cold.converged.all()
    for name in ("v", "vm", "P", "Q", "iterations"):
        np.testing.assert_array_equal(getattr(warm, name)[1:], getattr(cold, name)[1:], err_msg=name)
    np.testing.assert_allclose(warm.v[0], cold.v[0], rtol=0, atol=1e-9)


def test_warm_start_after_an_overflow_starts_it_flat():
    """Converged voltages whose flows overflow (capacitors of 1.3e308 p.u. behind a line of
    1e-310 p.u.): reported as failed, so the next warm start must not reuse them either."""
    eye = np.eye(3)[None]
    cap = np.array([[0.0] * 3, [1.3e308] * 3])
    feeder = tc.Feeder.from_arrays(["s", "a"], ["s"], ["a"], 1e-310 * eye, 1e-310 * eye, swing="s",
                                   v_swing_pu=np.full(3, 1.2), cap_q_pu=cap)
    out = tc.AcPowerFlowBuffers.allocate(feeder, 2)
    none = np.zeros((2, 2, 3))
    res, caught = solve_recording(feeder, none, none, out=out)
    assert not res.converged.any() and len(caught) == 1
    assert np.isinf(res.mismatch).all() and (res.vm == 0).all() and (res.Q == 0).all()
    # loads of 1.7e308 p.u. var (at 1 p.u.) that take most of the capacitors' output: the flows fit
    q = np.zeros((2, 2, 3))
    q[:, 1] = 1.7e308
    warm = tc.ac_power_flow(feeder, none, q, out=out, start="previous")
    warm_v, warm_iterations = warm.v.copy(), warm.iterations.copy()
    cold = tc.ac_power_flow(feeder, none, q)
    assert cold.converged.all() and np.isfinite(cold.Q).all()
    np.testing.assert_array_equal(warm_v, cold.v)
    np.testing.assert_array_equal(warm_iterations, cold.iterations)
