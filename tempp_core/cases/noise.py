"""Mean-one random factors correlated from hour to hour, for profiles that are not all alike.

``factor_t = exp(sigma z_t - sigma^2 / 2)`` with ``z_t = rho z_{t-1} + sqrt(1 - rho^2) e_t``,
``e_t ~ N(0, 1)``: log-normal, mean one, lag-one correlation ``rho`` (an AR(1) process).
"""
from __future__ import annotations

import numpy as np


def ar1_factors(rng: np.random.Generator, shape: tuple[int, ...], T: int, sigma: float, rho: float) -> np.ndarray:
    """Mean-one log-normal factors (*shape, T) with AR(1) correlation over the last axis."""
    e = rng.standard_normal(shape + (T,))
    z = np.empty_like(e)
    z[..., 0] = e[..., 0]
    for t in range(1, T):  # over hours only; every other axis is vectorized
        z[..., t] = rho * z[..., t - 1] + np.sqrt(1.0 - rho**2) * e[..., t]
    return np.exp(sigma * z - 0.5 * sigma**2)
