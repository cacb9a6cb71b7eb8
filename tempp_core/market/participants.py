"""Market participants and their economics (Tables C1-C2), validated at construction.

The market side knows these and nothing about the network: no bus, phase or impedance.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import CaseError
from ..messages import TransactionLayout
from . import pbdr

# Table C1 (DERs and main grid) ---------------------------------------------------------
G1_P_MAX_KW, G1_COST = 125.0, 0.075
G2_P_MAX_KW, G2_COST = 100.0, 0.05
RENEWABLE_COST = 0.0
MG_P_MAX_KW = 250.0
# Table C2 (customers and aggregator) ---------------------------------------------------
BANDS = {"RL": (0.9, 1.1), "IL": (0.95, 1.05), "CL": (0.95, 1.05), "AL": (0.95, 1.05)}
PRICE_MIN, PRICE_MAX, DAILY_CAP = 0.12, 0.24, 4.32
ALPHA, BETA = 0.25, 0.002
#: Our choice: the source gives no customer power factor.
DEFAULT_POWER_FACTOR = 0.95


def _is_number(value) -> bool:
    """A real number (not a bool, not text)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _profile(value, n: int, what: str, allow_scalar: bool = True) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CaseError(f"{what} is {value!r}; expected numbers, one per period") from None
    if arr.ndim == 0 and allow_scalar:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise CaseError(f"{what} has shape {arr.shape}; expected ({n},), one value per period")
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
    if bad.size:
        raise CaseError(f"{what} is {float(arr[bad[0]])!r} in period {bad[0]}; expected a finite value >= 0")
    return arr


@dataclass(frozen=True, eq=False)
class DER:
    """A distributed energy resource selling active power.

    Parameters
    ----------
    name : str
    p_max_kw : float or array (T,)
        Capacity or available power per period, kW.
    cost_per_kwh : float
        Bid cost gamma_d, $/kWh.
    """

    name: str
    p_max_kw: float | np.ndarray
    cost_per_kwh: float

    def p_max(self, T: int) -> np.ndarray:
        return _profile(self.p_max_kw, T, f"DER '{self.name}' p_max_kw")


@dataclass(frozen=True, eq=False)
class MainGrid:
    """The main grid (MG): sells at the LMP up to the transformer capacity.

    Parameters
    ----------
    lmp_per_kwh : array (T,)
        LMP lambda_t, $/kWh.
    p_max_kw : float
        Transformer capacity, kW (Table C1: 250).
    """

    lmp_per_kwh: np.ndarray
    p_max_kw: float = MG_P_MAX_KW


@dataclass(frozen=True, eq=False)
class Customer:
    """A price-responsive customer of the load aggregator.

    Parameters
    ----------
    name : str
    kind : {'RL', 'IL', 'CL', 'AL'}
        Residential, industrial, commercial, agricultural load.
    p_ori_kw : array (T,)
        Original load profile, kW.
    band : (float, float), optional
        Adjustment band as fractions of p_ori (Table C2 by kind).
    power_factor : float
        Of the load (q = p tan(acos pf)); 0.95 by default (our choice).
    alpha, beta : float, optional
        Utility alpha p - beta p^2 ($/kWh, $/kWh^2). Default: the calibration of
        model.md section 4, alpha = 0.25 and beta = 0.002 * p_ref / mean(p_ori).
    """

    name: str
    kind: str
    p_ori_kw: np.ndarray
    band: tuple[float, float] | None = None
    power_factor: float = DEFAULT_POWER_FACTOR
    alpha: float | None = None
    beta: float | None = None


@dataclass(frozen=True)
class Aggregator:
    """The load aggregator's limits on personalized prices (Table C2).

    ``daily_cap`` bounds each customer's sum of prices over the horizon, $/kWh summed.
    Left at None it is Table C2's 4.32 for 24 periods, i.e. 0.18 per period: for a horizon
    of T periods, 0.18 T (our choice for horizons other than a day).
    """

    price_min: float = PRICE_MIN
    price_max: float = PRICE_MAX
    daily_cap: float | None = None

    def cap(self, T: int) -> float:
        """The cap over a horizon of T periods."""
        return DAILY_CAP * T / 24.0 if self.daily_cap is None else float(self.daily_cap)


@dataclass(frozen=True, eq=False)
class Market:
    """All participants of one market over ``n_periods`` hourly periods.

    Validation happens here (every error names the participant, the field and the
    expectation), and the per-customer arrays the master needs are derived once.

    Attributes (derived)
    --------------------
    der_p_max : ndarray (n_der, T), kW
    alpha, beta : ndarray (n_customer,)
    p_lo, p_hi : ndarray (n_customer, T)
        Customer bounds: band intersected with the price-feasible interval, kW.
    energy_min : ndarray (n_customer,)
        Daily consumption floor implied by the daily price cap, kWh.
    """

    ders: Sequence[DER]
    grid: MainGrid
    customers: Sequence[Customer]
    aggregator: Aggregator = Aggregator()
    n_periods: int = 24
    der_p_max: np.ndarray = field(init=False, repr=False)
    alpha: np.ndarray = field(init=False, repr=False)
    beta: np.ndarray = field(init=False, repr=False)
    p_lo: np.ndarray = field(init=False, repr=False)
    p_hi: np.ndarray = field(init=False, repr=False)
    energy_min: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.n_periods, bool) or not _is_number(self.n_periods) or not float(self.n_periods).is_integer():
            raise CaseError(f"n_periods is {self.n_periods!r}; expected a whole number of periods")
        T = int(self.n_periods)
        object.__setattr__(self, "n_periods", T)
        if T < 1:
            raise CaseError(f"n_periods must be at least 1, got {self.n_periods!r}")
        object.__setattr__(self, "ders", tuple(self.ders))
        object.__setattr__(self, "customers", tuple(self.customers))
        names = [d.name for d in self.ders] + [c.name for c in self.customers]
        blank = next((n for n in names if not isinstance(n, str) or not n.strip()), None)
        if blank is not None:
            raise CaseError(f"a participant is named {blank!r}; expected a non-empty name")
        seen: set[str] = set()
        for n in names:
            if n in seen or n == "MG":
                raise CaseError(f"participant name {n!r} is used more than once (or is the reserved 'MG')")
            seen.add(n)
        agg = self.aggregator
        for name in ("price_min", "price_max", "daily_cap"):
            value = getattr(agg, name)
            if not (value is None and name == "daily_cap") and not _is_number(value):
                raise CaseError(f"aggregator {name} is {value!r}; expected a number ($/kWh)")
        if not (0 <= agg.price_min < agg.price_max < np.inf) or not 0 < agg.cap(T) < np.inf:
            raise CaseError(f"aggregator limits {agg} must satisfy 0 <= price_min < price_max and daily_cap > 0")
        lmp = _profile(self.grid.lmp_per_kwh, T, "main grid lmp_per_kwh", allow_scalar=False)
        if not (_is_number(self.grid.p_max_kw) and np.isfinite(self.grid.p_max_kw) and self.grid.p_max_kw >= 0):
            raise CaseError(f"main grid p_max_kw is {self.grid.p_max_kw!r}; expected a finite value >= 0")
        for d in self.ders:
            if not (_is_number(d.cost_per_kwh) and np.isfinite(d.cost_per_kwh) and d.cost_per_kwh >= 0):
                raise CaseError(f"DER '{d.name}' cost_per_kwh is {d.cost_per_kwh!r}; expected a finite value >= 0")
        der_p_max = np.array([d.p_max(T) for d in self.ders]).reshape(len(self.ders), T)
        derived = pbdr.customer_arrays(self.customers, T, agg, BANDS, ALPHA, BETA)
        values = dict(der_p_max=der_p_max, **derived)
        for key, value in values.items():
            value.flags.writeable = False
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_lmp", lmp)

    @property
    def lmp(self) -> np.ndarray:
        """LMP lambda_t, $/kWh, (T,)."""
        return self._lmp

    @property
    def der_cost(self) -> np.ndarray:
        """gamma_d, $/kWh, (n_der,)."""
        return np.array([d.cost_per_kwh for d in self.ders], dtype=np.float64)

    def layout(self) -> TransactionLayout:
        return TransactionLayout(tuple(d.name for d in self.ders), tuple(c.name for c in self.customers),
                                 int(self.n_periods))
