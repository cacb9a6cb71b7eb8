"""Random variants of a case for Monte Carlo studies: renewables, loads and LMP.

Every varied profile is multiplied by mean-one log-normal noise that is correlated from hour
to hour (an AR(1) process with lag-one correlation ``correlation``):
``factor_t = exp(sigma z_t - sigma^2 / 2)``, ``z_t = rho z_{t-1} + sqrt(1 - rho^2) e_t``,
``e_t ~ N(0, 1)``. Then:

- **renewables** — every DER whose availability is a profile (WT, PV, ...): ``renewable_sigma``
  (default 0.25); availability stays >= 0 and at most 1.5 times its nominal peak;
- **customers' original loads**: ``load_sigma`` (default 0.08), independently per customer;
  each hour is kept within [0.25, 1.7] times the customer's mean so that it stays in its
  price-responsive range (model.md section 4);
- **LMP**: ``lmp_sigma`` (default 0.10), one draw per scenario, kept >= 0.

Same case and seed, same scenarios. The feeder and placement are shared (the same objects),
so TEMO can assess all scenarios in one batch.
"""
from __future__ import annotations

import numbers
from dataclasses import replace

import numpy as np

from ..case import Case
from ..cases.noise import ar1_factors
from ..errors import InputError
from ..market.participants import Market


def sample(case: Case, n: int, seed: int = 0, *, renewable_sigma: float = 0.25, load_sigma: float = 0.08,
           lmp_sigma: float = 0.10, correlation: float = 0.7) -> list[Case]:
    """``n`` variants of ``case`` (see the module docstring for the distributions).

    Returns
    -------
    list of Case
        Named ``'<case>-s<k>'``; same feeder and placement objects as ``case``.
    """
    if n < 1:
        raise InputError(f"n must be at least 1, got {n}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError(f"seed is {seed!r}; expected a whole number >= 0")
    for name, value in (("renewable_sigma", renewable_sigma), ("load_sigma", load_sigma), ("lmp_sigma", lmp_sigma)):
        if not value >= 0:
            raise InputError(f"{name} must be >= 0, got {value}")
    if not -1 < correlation < 1:
        raise InputError(f"correlation must be in (-1, 1), got {correlation}")
    m = case.market
    T = m.n_periods
    rng = np.random.default_rng(seed)
    variable = [k for k, d in enumerate(m.ders) if np.ndim(d.p_max_kw) > 0]
    der_f = ar1_factors(rng, (n, len(variable)), T, renewable_sigma, correlation)
    load_f = ar1_factors(rng, (n, len(m.customers)), T, load_sigma, correlation)
    lmp_f = ar1_factors(rng, (n,), T, lmp_sigma, correlation)
    p_ori = np.array([c.p_ori_kw for c in m.customers]).reshape(len(m.customers), T)
    mean = p_ori.mean(axis=1, keepdims=True)
    out = []
    for s in range(n):
        ders = list(m.ders)
        for j, k in enumerate(variable):
            base = np.asarray(m.ders[k].p_max_kw, dtype=np.float64)
            ders[k] = replace(m.ders[k], p_max_kw=np.clip(base * der_f[s, j], 0.0, 1.5 * base.max()))
        loads = np.clip(p_ori * load_f[s], 0.25 * mean, 1.7 * mean)
        customers = [replace(c, p_ori_kw=loads[i]) for i, c in enumerate(m.customers)]
        grid = replace(m.grid, lmp_per_kwh=np.maximum(m.lmp * lmp_f[s], 0.0))
        market = Market(ders, grid, customers, m.aggregator, T)
        out.append(Case(case.feeder, market, case.placement, f"{case.name}-s{s}"))
    return out
