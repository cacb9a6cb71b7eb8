"""Kernels that build random radial feeders (used by :mod:`tempp_core.cases.synthetic_feeders`)."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def nested_phases(parent, branch_start, pick, choice):
    """Phase masks (n, 3) where every bus's phases are a subset of its parent's.

    A bus that continues its parent's branch keeps the parent's phases. A bus that starts
    a branch keeps them with probability 0.75, else takes two of them
    (``pick[j, 1]``) or one (``choice[j]`` selects which).

    Parameters
    ----------
    parent : int64 (n,), parent[j] < j, parent[0] = -1
    branch_start : bool (n,)
    pick : float64 (n, 2), uniform draws
    choice : int64 (n,), uniform draws in [0, 6)
    """
    n = parent.size
    out = np.zeros((n, 3), dtype=np.bool_)
    out[0, :] = True
    for j in range(1, n):
        i = parent[j]
        count = 0
        for f in range(3):
            count += out[i, f]
        if not branch_start[j] or count == 1 or pick[j, 0] < 0.75:
            for f in range(3):
                out[j, f] = out[i, f]
            continue
        keep = 2 if (count == 3 and pick[j, 1] < 0.35) else 1
        # rotate over the parent's phases, starting at a random one, keeping `keep` of them
        start = choice[j] % count
        seen = 0
        kept = 0
        for step in range(2 * 3):
            f = step % 3
            if out[i, f]:
                if seen >= start and kept < keep:
                    out[j, f] = True
                    kept += 1
                seen += 1
            if kept == keep:
                break
    return out
