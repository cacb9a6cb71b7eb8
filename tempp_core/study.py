"""Comparison of the formulation choices on one case: cut granularity, sensitivity mode and
load handling, each against the centralized optimum (the table in docs/benchmarks.md)."""
from __future__ import annotations

import itertools
import time
import warnings

import numpy as np
import pandas as pd

from .case import Case
from .clearing import clear
from .errors import NetworkUnsecurableError


def modes_table(case: Case, *, cuts=("period", "aggregate", "constraint"), sensitivities=("exact", "paper"),
                loads=("joint", "fixed"), repeats: int = 3, max_iter: int = 100) -> pd.DataFrame:
    """Clear ``case`` in every combination of modes; one row each.

    Columns: sensitivity, cuts, loads, status, iterations, cuts_total, time_s (median of
    ``repeats`` runs), objective ($), gap (relative to the centralized optimum with the same
    load mode), worst_violation (p.u., at the final transactions).
    """
    reference = {mode: _centralized_objective(case, mode) for mode in loads}
    rows = []
    for sens, cut, load in itertools.product(sensitivities, cuts, loads):
        times, result = [], None
        for _ in range(repeats):
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    result = clear(case, sensitivity=sens, cuts=cut, loads=load, max_iter=max_iter)
            except NetworkUnsecurableError:
                result = None
            times.append(time.perf_counter() - start)
        ref = reference[load]
        rows.append({
            "sensitivity": sens, "cuts": cut, "loads": load,
            "status": result.status if result else "unsecurable",
            "iterations": result.iterations if result else np.nan,
            "cuts_total": int(sum(h.cuts_added for h in result.history)) if result else np.nan,
            "time_s": float(np.median(times)),
            "objective": result.objective if result else np.nan,
            "gap": (result.objective - ref) / abs(ref) if result else np.nan,
            "worst_violation": result.network.worst_violation if result else np.nan,
        })
    return pd.DataFrame(rows)


def _centralized_objective(case: Case, loads: str) -> float:
    try:
        return clear(case, "centralized", loads=loads).objective
    except NetworkUnsecurableError:
        return np.nan


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
    from .benders import COARSE_REVENUE_TOL
    from .cases import synthetic
    from .cases.populate import populate
    from .market import MasterProblem
    from .physics.power_flow import PowerFlowBuffers, power_flow
    from .physics.sensitivity import AdjointBuffers, Sensitivity
    from .temo import Temo

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
        temo = Temo(case.feeder, case.market.layout(), case.connections())
        proposal = MasterProblem(case.market).solve().transactions

        def iteration():
            MasterProblem(case.market).solve(revenue_tol=COARSE_REVENUE_TOL)
            temo.check(proposal)

        timed("benders_iteration", n, iteration)
        timed("clear", n, lambda: clear(case))
    return pd.DataFrame(rows)


def growth_exponents(table: pd.DataFrame) -> dict[str, float]:
    """Slope of log(time) against log(bus-periods) per task (1 = linear)."""
    return {task: float(np.polyfit(np.log(g["bus_periods"]), np.log(g["time_s"]), 1)[0])
            for task, g in table.groupby("task") if len(g) > 1}
