"""Comparison of the formulation choices on one case: cut granularity, sensitivity mode and
load handling, each against the centralized optimum (the table in docs/benchmarks.md)."""
from __future__ import annotations

import itertools
import time
import warnings
from typing import Callable

import numpy as np
import pandas as pd

from ..case import Case
from ..clearing.clear import clear
from ..errors import NetworkUnsecurableError


def modes_table(case: Case, *, cuts=("period", "aggregate", "constraint"), sensitivities=("exact", "paper"),
                loads=("joint", "fixed"), repeats: int = 3, max_iter: int = 100,
                progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Clear ``case`` in every combination of modes; one row each.

    Columns: sensitivity, cuts, loads, status, iterations, cuts_total, time_s (median of
    ``repeats`` runs), objective_usd, gap (relative to the centralized optimum with the same
    load mode), worst_violation_pu (largest single limit violation at the final transactions);
    NaN where a mode ended without a result (status ``unsecurable``). ``progress`` is called
    with a line per mode as it finishes.
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
            "status": result.status.value if result else "unsecurable",
            "iterations": result.iterations if result else np.nan,
            "cuts_total": int(sum(h.cuts_added for h in result.history)) if result else np.nan,
            "time_s": float(np.median(times)),
            "objective_usd": result.objective if result else np.nan,
            "gap": (result.objective - ref) / abs(ref) if result else np.nan,
            "worst_violation_pu": result.network.worst_violation if result else np.nan,
        })
        if progress is not None:
            row = rows[-1]
            progress(f"{sens}/{cut}/{load}: {row['status']}, {row['iterations']} iterations, {row['time_s']:.2f} s")
    return pd.DataFrame(rows)


def _centralized_objective(case: Case, loads: str) -> float:
    try:
        return clear(case, "centralized", loads=loads).objective
    except NetworkUnsecurableError:
        return np.nan
