"""Scaling study: the network engine and the clearing on synthetic feeders of growing size
(the figures of docs/benchmarks.md), and the growth exponents fitted to them."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..clearing.clear import clear


def scaling(sizes=(100, 1_000, 10_000, 100_000, 1_000_000), *, periods: int = 24, repeats: int = 3,
            customer_buses: int = 60, clear_up_to: int = 100_000, seed: int = 0,
            progress=None) -> pd.DataFrame:
    """Time the network engine and the clearing on synthetic feeders of growing size.

    For each size: ``power_flow`` and the adjoint (24 periods, reused buffers), one Benders
    iteration (a master solve and TEMO's check), and a full clearing — the last two on the
    feeder populated with customers on ``customer_buses`` buses, so the market stays the same
    size while the network grows (clearing only up to ``clear_up_to`` buses). Median of
    ``repeats`` after one untimed warm-up call.

    Returns
    -------
    DataFrame
        ``task, n_bus, bus_periods, time_s``.
    """
    from ..cases import synthetic
    from ..cases.population import populate
    from ..market import MasterProblem
    from ..network.physics.power_flow import PowerFlowBuffers, power_flow
    from ..network.physics.sensitivity import AdjointBuffers, Sensitivity
    from ..network.temo import Temo

    rows = []

    def timed(task, n, fn):
        fn()  # warm: compile or load kernels, first-touch buffers
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        rows.append({"task": task, "n_bus": n, "bus_periods": n * periods, "time_s": float(np.median(times))})

    for n in sizes:
        if progress:
            progress(f"{n} buses")
        feeder, p, q = synthetic(int(n), seed=seed)
        shape = 0.6 + 0.5 * np.sin(np.pi * (np.arange(periods) - 6) / 24.0) ** 2
        P, Q = shape[:, None, None] * p, shape[:, None, None] * q
        pf = PowerFlowBuffers.allocate(feeder, periods)
        power_flow(feeder, P, Q, out=pf)
        timed("power_flow", n, lambda: power_flow(feeder, P, Q, out=pf))
        sens, adj = Sensitivity(feeder), AdjointBuffers.allocate(feeder, periods)
        y = np.ascontiguousarray(pf.v2)
        yl = np.ascontiguousarray(pf.P)
        timed("adjoint", n, lambda: sens.adjoint_bus_major(y, yl, yl, adj))
        if n > clear_up_to:
            continue
        case = populate(feeder, p, q, seed=seed, max_customer_buses=customer_buses,
                        line_limit_factor=4.0, v_limits=(0.9, 1.1))
        temo = Temo(case.feeder, case.injections)
        proposal = MasterProblem(case.market).solve().transactions

        def iteration():
            MasterProblem(case.market).solve()
            temo.check(proposal)

        timed("benders_iteration", n, iteration)
        timed("clear", n, lambda: clear(case))
    return pd.DataFrame(rows)


def growth_exponents(table: pd.DataFrame) -> dict[str, float]:
    """Slope of log(time) against log(bus-periods) per task (1 = linear)."""
    return {task: float(np.polyfit(np.log(g["bus_periods"]), np.log(g["time_s"]), 1)[0])
            for task, g in table.groupby("task") if len(g) > 1}
