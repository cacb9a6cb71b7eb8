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
    on = feeder.bus_phases.copy()
    vm = np.where(on, result.vm, np.nan)
    collapsed = int(result.collapsed.sum()) if not args.ac else int((~np.asarray(result.converged)).sum())
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
    if collapsed:
        what = "did not converge" if args.ac else "collapse (v2 <= 0: no voltage solution under this load)"
        print(f"VOLTAGE COLLAPSE: {collapsed} {'case(s)' if args.ac else 'bus-phase(s)'} {what}")
        return 3
    return 0
