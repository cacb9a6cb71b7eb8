"""Both cores for the LinDist3Flow sweeps, 1M buses x 24 periods: the library's serial calls; the
batch split between two threads on the same bus-major arrays (each thread sweeps the whole tree
for half of the columns); and each thread on its own chunk-major block (n, B/2, 3). The sweep
kernels are the library's; only the layout and the threading differ.

Not used by the library: it records why the power flow and the adjoint stay serial on the
bus-major layout (docs/benchmarks.md, "Both cores for the sweeps").
"""
import numpy as np
import pytest
from numba import njit, prange

import tempp_core as tc
from tempp_core.network.kernels.sweeps import adjoint_voltage_sweep, flow_sweep, path_sum_sweep, voltage_sweep
from tempp_core.network.physics.layout import as_bus_major

from conftest import T, feeder_and_batch


@njit
def _power_flow(tree, v_root, q_shunt, p, q, P, Q, v2, vm):
    child_ptr, child, parent, bus_phase, ratio2, MP, MQ = tree
    flow_sweep(child_ptr, child, bus_phase, p, q, q_shunt, P, Q)
    voltage_sweep(parent, bus_phase, ratio2, MP, MQ, v_root, P, Q, v2, vm, True)


@njit
def _adjoint(tree, y_v2, y_P, lam, g_p, g_q):
    child_ptr, child, parent, bus_phase, ratio2, MP, MQ = tree
    adjoint_voltage_sweep(child_ptr, child, bus_phase, ratio2, MP, MQ, y_v2, y_P, y_P, lam, g_p, g_q)
    path_sum_sweep(parent, bus_phase, g_p, g_q)


@njit(parallel=True)
def _power_flow_split(tree, v_root, q_shunt, p, q, P, Q, v2, vm):
    h = p.shape[1] // 2
    for c in prange(2):
        s = slice(c * h, (c + 1) * h)
        _power_flow(tree, v_root[s], q_shunt, p[:, s], q[:, s], P[:, s], Q[:, s], v2[:, s], vm[:, s])


@njit(parallel=True)
def _power_flow_blocks(tree, v_root, q_shunt, p, q, P, Q, v2, vm):
    for c in prange(p.shape[0]):
        _power_flow(tree, v_root, q_shunt, p[c], q[c], P[c], Q[c], v2[c], vm[c])


@njit(parallel=True)
def _adjoint_split(tree, y_v2, y_P, lam, g_p, g_q):
    h = y_v2.shape[1] // 2
    for c in prange(2):
        s = slice(c * h, (c + 1) * h)
        _adjoint(tree, y_v2[:, s], y_P[:, s], lam[:, s], g_p[:, s], g_q[:, s])


@njit(parallel=True)
def _adjoint_blocks(tree, y_v2, y_P, lam, g_p, g_q):
    for c in prange(y_v2.shape[0]):
        _adjoint(tree, y_v2[c], y_P[c], lam[c], g_p[c], g_q[c])


def _blocks(a):
    """The two halves of the columns of a bus-major array as chunk-major blocks (2, n, B/2, 3)."""
    h = a.shape[1] // 2
    return np.ascontiguousarray(np.stack([a[:, :h], a[:, h:]]))


def _tree(f):
    return f.child_ptr, f.child, f.parent, f.bus_phases, f.ratio2, f.MP, f.MQ


@pytest.mark.parametrize("layout", ["serial", "split", "blocks"])
def test_power_flow_layouts_1M(benchmark, layout):
    f, P, Q = feeder_and_batch("1M")
    out = tc.PowerFlowBuffers.allocate(f, T)
    if layout == "serial":
        benchmark.pedantic(tc.power_flow, args=(f, P, Q), kwargs={"out": out}, rounds=5, iterations=1,
                           warmup_rounds=1)
        return
    p, q = as_bus_major(P, f.n_bus, "p")[0], as_bus_major(Q, f.n_bus, "q")[0]
    root = np.ascontiguousarray(np.broadcast_to(f.v_swing_pu**2, (T, 3)))
    if layout == "split":
        args = (_tree(f), root, f.cap_q_pu, p, q, out.P, out.Q, out.v2, out.vm)
        benchmark.pedantic(_power_flow_split, args=args, rounds=5, iterations=1, warmup_rounds=1)
    else:
        args = (_tree(f), root[: T // 2], f.cap_q_pu, *(_blocks(a) for a in (p, q, out.P, out.Q, out.v2, out.vm)))
        benchmark.pedantic(_power_flow_blocks, args=args, rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("layout", ["serial", "split", "blocks"])
def test_adjoint_layouts_1M(benchmark, layout):
    f, _, _ = feeder_and_batch("1M")
    rng = np.random.default_rng(0)
    y_v2 = np.ascontiguousarray(rng.normal(size=(f.n_bus, T, 3)))
    y_P = np.ascontiguousarray(rng.normal(size=(f.n_line, T, 3)))
    out = tc.AdjointBuffers.allocate(f, T)
    if layout == "serial":
        s = tc.sensitivity(f)
        benchmark.pedantic(s.adjoint_bus_major, args=(y_v2, y_P, y_P, out), rounds=5, iterations=1,
                           warmup_rounds=1)
    elif layout == "split":
        benchmark.pedantic(_adjoint_split, args=(_tree(f), y_v2, y_P, out.lam, out.g_p, out.g_q), rounds=5,
                           iterations=1, warmup_rounds=1)
    else:
        args = (_tree(f), *(_blocks(a) for a in (y_v2, y_P, out.lam, out.g_p, out.g_q)))
        benchmark.pedantic(_adjoint_blocks, args=args, rounds=5, iterations=1, warmup_rounds=1)
