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
    cap = aggregator.cap(T)
    p_ref = (alpha0 - cap / T) / (2.0 * beta0)
    if p_ref <= 0:
        raise CaseError(
            f"the default calibration needs alpha > daily_cap / T; got alpha {alpha0} and cap {cap} over {T} periods"
        )
    unknown = [c for c in customers if c.kind not in bands]
    if unknown:
        raise CaseError(f"customer '{unknown[0].name}' has kind {unknown[0].kind!r}; expected one of {sorted(bands)}")
    p_ori = _profiles(customers, T)
    mean = p_ori.mean(axis=1)
    _check(mean <= 0, customers, "has an all-zero original load profile")
    band = np.array([_numbers(bands[c.kind] if c.band is None else c.band, c, "band", (2,)) for c in customers],
                    dtype=np.float64).reshape(n, 2)
    _check(~(np.isfinite(band).all(axis=1) & (0 <= band[:, 0]) & (band[:, 0] <= band[:, 1])), customers,
           "has band ({}, {}); expected finite 0 <= lo <= hi", lambda i: tuple(band[i]))
    pf = np.array([_numbers(c.power_factor, c, "power_factor") for c in customers], dtype=np.float64)
    _check(~((0 < pf) & (pf <= 1)), customers, "has power_factor {}; expected 0 < pf <= 1", lambda i: pf[i])
    alpha = np.array([alpha0 if c.alpha is None else _numbers(c.alpha, c, "alpha") for c in customers], dtype=np.float64)
    # None (not NaN) asks for the default calibration: a NaN beta is refused below
    default_beta = np.array([c.beta is None for c in customers], dtype=bool)
    given_beta = np.array([0.0 if c.beta is None else _numbers(c.beta, c, "beta") for c in customers], dtype=np.float64)
    beta = np.where(default_beta, beta0 * p_ref / np.where(mean > 0, mean, 1.0), given_beta)
    _check(~(np.isfinite(alpha) & np.isfinite(beta) & (beta > 0)), customers,
           "has alpha {}, beta {}; expected finite numbers and beta > 0", lambda i: (alpha[i], beta[i]))
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


def _profiles(customers: Sequence, T: int) -> np.ndarray:
    """Original load profiles stacked (n, T), kW; each checked for shape, finiteness and sign."""
    n = len(customers)
    try:
        p_ori = np.array([c.p_ori_kw for c in customers], dtype=np.float64).reshape(n, T)
    except (ValueError, TypeError):
        bad = next(c for c in customers if np.shape(c.p_ori_kw) != (T,))
        raise CaseError(f"customer '{bad.name}' p_ori_kw has shape {np.shape(bad.p_ori_kw)}; expected ({T},), "
                        "one value per period") from None
    _check(~(np.isfinite(p_ori) & (p_ori >= 0)).all(axis=1), customers,
           "p_ori_kw must be {} finite values >= 0".format(T))
    return p_ori


def _numbers(value, customer, field: str, shape: tuple = ()) -> np.ndarray:
    """A customer's field as float64 of ``shape``, or a CaseError naming the customer and field."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.shape != shape or isinstance(value, (bool, str, bytes)):
        raise CaseError(f"customer '{customer.name}' has {field} {value!r}; expected "
                        + ("a number" if shape == () else f"{shape[0]} numbers"))
    return arr


def _check(bad: np.ndarray, customers: Sequence, message: str, values=None) -> None:
    """Raise a CaseError naming the first customer where ``bad`` holds."""
    where = np.flatnonzero(bad)
    if where.size:
        i = int(where[0])
        text = message.format(*np.atleast_1d(values(i))) if values is not None else message
        raise CaseError(f"customer '{customers[i].name}' {text}")
