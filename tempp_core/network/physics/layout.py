"""Conversion between the public layout ``(..., n, 3)`` and the kernels' bus-major layout."""
from __future__ import annotations

import numba
import numpy as np

from ...errors import InjectionError

#: Below this many bus-periods a sweep runs on one thread. On the 2-core machine two threads
#: gained 5-10 % from 100k buses x 24 periods on and lost below (docs/benchmarks.md): the AC
#: sweeps are bound by memory bandwidth, which one thread nearly fills.
PARALLEL_MIN_WORK = 1_000_000


def n_chunks(n: int, batch_size: int) -> int:
    """How many threads share a batch of ``batch_size`` columns over ``n`` buses: all of
    Numba's threads (at most one per column) when the work is at least
    :data:`PARALLEL_MIN_WORK` bus-periods, else one."""
    if n * batch_size < PARALLEL_MIN_WORK:
        return 1
    return max(1, min(numba.get_num_threads(), batch_size))


def as_bus_major(values, n: int, what: str, batch: tuple[int, ...] | None = None) -> tuple[np.ndarray, tuple[int, ...]]:
    """View ``values`` of shape (..., n, 3) as bus-major (n, B, 3) without copying when the
    input is C-contiguous float64.

    Returns
    -------
    view : ndarray (n, B, 3)
    batch : tuple
        The leading batch shape (B is its product).
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InjectionError(f"{what} is not an array of numbers (got {type(values).__name__}); expected p.u. "
                             f"values of shape (..., {n}, 3)") from None
    if arr.ndim < 2 or arr.shape[-2:] != (n, 3):
        raise InjectionError(f"{what} has shape {arr.shape}; expected (..., {n}, 3)")
    if batch is not None and arr.shape[:-2] != batch:
        raise InjectionError(f"{what} has batch shape {arr.shape[:-2]}; expected {batch}")
    lead = arr.shape[:-2]
    arr = np.ascontiguousarray(arr).reshape((-1, n, 3))
    return np.moveaxis(arr, 1, 0), lead


def to_public(bus_major: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
    """View a bus-major (n, B, 3) array as (*batch, n, 3) (no copy)."""
    n = bus_major.shape[0]
    return np.moveaxis(bus_major, 0, 1).reshape(batch + (n, 3))
