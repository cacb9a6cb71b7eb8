"""Personalized price-based demand response (PBDR).

Customer c maximizes ``alpha_c p - beta_c p^2 - pi p``; its best response is
``p = clip((alpha_c - pi) / (2 beta_c), band)`` and, inside the band, the load
aggregator's price and the customer's consumption are one-to-one:
``pi = alpha_c - 2 beta_c p``. The LA's price limits thus become linear limits on p.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import CaseError


def price_from_load(alpha, beta, p_kw):
    """Personalized price pi = alpha - 2 beta p, $/kWh (arrays broadcast)."""
    return np.asarray(alpha) - 2.0 * np.asarray(beta) * np.asarray(p_kw)


def best_response(alpha, beta, price, lo_kw, hi_kw):
    """Consumption maximizing alpha p - beta p^2 - price p within [lo, hi], kW."""
    return np.clip((np.asarray(alpha) - np.asarray(price)) / (2.0 * np.asarray(beta)), lo_kw, hi_kw)


def price_interval_load(alpha, beta, price_min: float, price_max: float):
    """Load interval (kW) whose price lies in [price_min, price_max]."""
    two_beta = 2.0 * np.asarray(beta)
    return (np.asarray(alpha) - price_max) / two_beta, (np.asarray(alpha) - price_min) / two_beta


def daily_energy_floor(alpha, beta, daily_cap: float, T: int):
    """sum_t pi_t <= cap  <=>  sum_t p_t >= (T alpha - cap) / (2 beta), kWh."""
    return (T * np.asarray(alpha) - daily_cap) / (2.0 * np.asarray(beta))


def customer_arrays(customers: Sequence, T: int, aggregator, bands: dict, alpha0: float, beta0: float) -> dict:
    """Validate customers and derive alpha, beta, bounds and the daily floor (vectorized).

    Default calibration (model.md section 4): alpha_c = alpha0 and
    beta_c = beta0 p_ref / mean(p_ori_c) with p_ref = (alpha0 - cap/T) / (2 beta0).
    """
    n = len(customers)
    p_ori = np.zeros((n, T))
    band = np.zeros((n, 2))
    alpha = np.zeros(n)
    beta = np.zeros(n)
    cap = aggregator.cap(T)
    p_ref = (alpha0 - cap / T) / (2.0 * beta0)
    if p_ref <= 0:
        raise CaseError(
            f"the default calibration needs alpha > daily_cap / T; got alpha {alpha0} and cap {cap} over {T} periods"
        )
    for i, c in enumerate(customers):
        if c.kind not in bands:
            raise CaseError(f"customer '{c.name}' has kind {c.kind!r}; expected one of {sorted(bands)}")
        prof = np.asarray(c.p_ori_kw, dtype=np.float64)
        if prof.shape != (T,) or not np.isfinite(prof).all() or (prof < 0).any():
            raise CaseError(f"customer '{c.name}' p_ori_kw must be {T} finite values >= 0; got shape {prof.shape}")
        if prof.mean() <= 0:
            raise CaseError(f"customer '{c.name}' has an all-zero original load profile")
        p_ori[i] = prof
        lo, hi = c.band if c.band is not None else bands[c.kind]
        if not (0 <= lo <= hi):
            raise CaseError(f"customer '{c.name}' has band ({lo}, {hi}); expected 0 <= lo <= hi")
        band[i] = lo, hi
        if not (0 < c.power_factor <= 1):
            raise CaseError(f"customer '{c.name}' has power_factor {c.power_factor}; expected 0 < pf <= 1")
        alpha[i] = alpha0 if c.alpha is None else c.alpha
        beta[i] = beta0 * p_ref / prof.mean() if c.beta is None else c.beta
        if beta[i] <= 0 or not np.isfinite(alpha[i]):
            raise CaseError(f"customer '{c.name}' has alpha {alpha[i]}, beta {beta[i]}; expected beta > 0")
    price_lo, price_hi = price_interval_load(alpha[:, None], beta[:, None], aggregator.price_min, aggregator.price_max)
    band_lo, band_hi = band[:, :1] * p_ori, band[:, 1:] * p_ori
    p_lo = np.maximum(band_lo, price_lo)
    p_hi = np.minimum(band_hi, price_hi)
    empty = np.argwhere(p_lo > p_hi + 1e-12)
    if empty.size:
        i = empty[0, 0]
        periods = np.flatnonzero(p_lo[i] > p_hi[i] + 1e-12)
        t = periods[0]
        raise CaseError(
            f"customer '{customers[i].name}' leaves its price-responsive range in period(s) {periods.tolist()}: "
            f"band [{band_lo[i, t]:.4g}, {band_hi[i, t]:.4g}] kW and price-feasible interval "
            f"[{price_lo[i, 0]:.4g}, {price_hi[i, 0]:.4g}] kW do not meet (period {t})"
        )
    floor = daily_energy_floor(alpha, beta, cap, T)
    short = np.flatnonzero(p_hi.sum(axis=1) < floor - 1e-9)
    if short.size:
        i = short[0]
        raise CaseError(
            f"customer '{customers[i].name}' cannot meet the daily price cap: it needs at least "
            f"{floor[i]:.4g} kWh but its band and price interval allow at most {p_hi[i].sum():.4g} kWh"
        )
    return dict(alpha=alpha, beta=beta, p_lo=p_lo, p_hi=p_hi, energy_min=floor)
