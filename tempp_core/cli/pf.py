"""``tempp pf``: the power flow of a feeder's base loads, as a voltage summary."""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from .inputs import load_feeder


def cmd_pf(args: argparse.Namespace) -> int:
    from .. import ac_power_flow, power_flow

    feeder, p, q = load_feeder(args.case, open_lines=args.open, disable=args.disable)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # reported below
        result = ac_power_flow(feeder, p, q) if args.ac else power_flow(feeder, p, q)
    elapsed = time.perf_counter() - start
    model = "AC" if args.ac else "LinDist3Flow"
    print(f"{feeder}  ({model} power flow {elapsed * 1e3:.1f} ms, the first call includes loading the kernels)")
    if args.ac and not result.converged:
        print(_ac_failure(result.iterations, result.mismatch))
        return 3  # tempp_core.cli.EXIT_NOT_SECURE (importing it here would be an import cycle)
    _print_voltages(feeder, result.vm)
    collapsed = int(result.collapsed.sum())
    if collapsed:  # LinDist3Flow only: a converged AC state has no collapsed bus-phase
        print(f"VOLTAGE COLLAPSE: {collapsed} bus-phase(s) collapse (v2 <= 0: no voltage solution under this load)")
        return 3
    return 0


def _print_voltages(feeder, vm: np.ndarray) -> None:
    """Lowest, mean and highest |V| of each phase, and the bus-phases outside their limits."""
    on = feeder.bus_phases
    vm = np.where(on, vm, np.nan)
    print("voltage magnitude by phase (p.u.):")
    for k, ph in enumerate("abc"):
        column = vm[:, k]
        if np.isnan(column).all():
            continue
        low = int(np.nanargmin(column))
        print(f"  {ph}: min {np.nanmin(column):.4f} (bus {feeder.bus_names[low]}), mean {np.nanmean(column):.4f}, "
              f"max {np.nanmax(column):.4f}")
    limited = on.copy()
    limited[0] = False  # the swing bus is held, not limited
    outside = limited & ((vm < feeder.v_min_pu[:, None]) | (vm > feeder.v_max_pu[:, None]))
    print(f"bus-phases outside their voltage limits: {int(outside.sum())}")


def _ac_failure(iterations, mismatch) -> str:
    """The line that replaces the summary when the AC power flow of the base loads (the one
    period ``pf`` solves) has no solution; ``mismatch`` is inf where the sweeps collapsed."""
    if np.isinf(mismatch):
        why = f"the voltage collapsed (went to zero, blew up or overflowed) at sweep {int(iterations)}"
    else:
        why = f"still moving by {float(mismatch):.3g} p.u. after {int(iterations)} sweeps"
    return (f"AC POWER FLOW DID NOT CONVERGE for the base loads (the one period solved): {why}; "
            "no AC voltages to report")
