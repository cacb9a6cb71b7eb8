"""Populate any feeder with market participants, reproducibly, for scaling studies.

Customers take the place of the feeder's base loads: every bus with load gets
``customers_per_bus`` customers sharing it, each on the phases that carry load there (split
in proportion to the base load per phase). By default no two customers are alike:

- **type**: drawn RL 50 %, CL 25 %, IL 15 %, AL 10 % (Table C2's bands follow the type);
- **size**: the bus's base load is shared in proportion to log-normal weights
  (``size_sigma = 0.5``: skewed, a few large customers and many small ones; the median
  customer has 0.88 times the mean share); the customers of a bus sum to its base load;
- **profile**: its type's 24-hour shape from the default case's ``profiles.csv``, times
  mean-one log-normal AR(1) noise per customer and hour (``profile_sigma = 0.15``, lag-one
  correlation 0.7; :func:`tempp_core.cases.noise.ar1_factors`), each hour kept within
  [0.25, 1.75] of the customer's mean so that it stays in its price-responsive range;
- **alpha, beta**: the spec's calibration (model.md section 4) from its own mean load.

``homogeneous=True`` gives identical customers at each bus (equal shares, the type's shape).
DERs (G1, G2, WT, PV with Table C1 costs) are sized in proportion to the feeder's mean load and
placed at random three-phase buses far from the source; the MG is the swing bus with the
default case's LMP profile.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..case import Case, Placement
from ..errors import InjectionError, InputError
from ..network.feeder import Feeder
from ..market.participants import G1_COST, G2_COST, RENEWABLE_COST, DER, Customer, MainGrid, Market
from ..units import pu_to_kw
from .data import profiles
from .noise import ar1_factors

KINDS = ("RL", "CL", "IL", "AL")
KIND_WEIGHTS = (0.5, 0.25, 0.15, 0.1)
#: DER sizes as fractions of the feeder's mean total load: G1, G2 (flat), WT, PV (peak of profile).
DER_SHARES = {"G1": 0.15, "G2": 0.12, "WT": 0.10, "PV": 0.15}


def populate(feeder: Feeder, p: np.ndarray, q: np.ndarray | None = None, *, seed: int = 0,
             customers_per_bus: int = 1, mg_share: float = 0.8, name: str = "populated",
             line_limit_factor: float | None = 2.0, v_limits: tuple[float, float] | None = None,
             der_buses: tuple[str, str, str, str] | None = None, max_customer_buses: int | None = None,
             capacitors: bool = True, homogeneous: bool = False, size_sigma: float = 0.5,
             profile_sigma: float = 0.15) -> Case:
    """A 24-period market case on ``feeder`` with customers at its loads.

    Parameters
    ----------
    feeder : Feeder
    p, q : ndarray (n_bus, 3)
        Base loads, p.u. (``q`` is unused: customers' reactive power follows their power factor).
    seed : int
        Draws of customer types and DER buses.
    customers_per_bus : int
        Customers sharing each loaded bus (e.g. 12,300 customers on IEEE 123's 85 load buses
        need about 145 per bus).
    mg_share : float
        Main-grid capacity as a fraction of the peak total original load.
    line_limit_factor : float or None
        Line flow limits are set to this multiple of each line's flow magnitude at the peak of
        the original load, or when the DERs export their capacity with no load, whichever is
        larger (so they can bind without being absurd on a large feeder); None keeps the
        feeder's limits.
    v_limits : (float, float), optional
        Voltage limits (p.u.) for every bus instead of the feeder's.
    der_buses : four bus names, optional
        Where G1, G2, WT and PV connect (three-phase buses); drawn at random far from the
        source when omitted.
    max_customer_buses : int, optional
        Put customers on at most this many loaded buses (drawn at random); the other buses
        carry no load. Keeps the market's size fixed while the network grows (scaling studies).
    capacitors : bool
        Keep the feeder's fixed capacitors (``False`` removes them from the case's feeder).
    homogeneous : bool
        Identical customers at each bus (equal shares of its load, the type's own shape).
    size_sigma, profile_sigma : float
        Spread of customers' sizes and of their hourly profiles (see the module docstring).
    """
    _check_counts(customers_per_bus=customers_per_bus, max_customer_buses=max_customer_buses)
    for label, value in (("mg_share", mg_share), ("size_sigma", size_sigma + 1.0), ("profile_sigma", profile_sigma + 1.0),
                         ("line_limit_factor", 1.0 if line_limit_factor is None else line_limit_factor)):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"populate: {label} must be a finite number > 0 (sigmas >= 0); got {value!r}")
    p = _base_loads(feeder, p)
    rng = np.random.default_rng(seed)
    if not capacitors:
        feeder = replace(feeder, cap_q_pu=np.zeros_like(feeder.cap_q_pu))
    prof = profiles()
    T = len(prof)
    load_kw = pu_to_kw(np.clip(p, 0.0, None), feeder.s_base_kva) * feeder.bus_phases
    load_kw[0] = 0.0
    buses = np.flatnonzero(load_kw.sum(axis=1) > 0)
    if max_customer_buses is not None and buses.size > max_customer_buses:
        buses = np.sort(rng.choice(buses, size=max_customer_buses, replace=False))
        kept = np.zeros(feeder.n_bus, dtype=bool)
        kept[buses] = True
        load_kw = load_kw * kept[:, None]
    customers_per_bus = int(customers_per_bus)
    kinds = rng.choice(len(KINDS), size=(buses.size, customers_per_bus), p=KIND_WEIGHTS)
    shapes = np.array([prof[k].to_numpy() for k in KINDS])
    p_ori = _original_loads(rng, load_kw[buses].sum(axis=1), shapes[kinds], homogeneous, size_sigma, profile_sigma)
    names = feeder.bus_names
    bus_of = np.repeat(buses, customers_per_bus)
    kind_of = [KINDS[k] for k in kinds.ravel()]
    where = {int(bus): _connection(load_kw[bus]) for bus in buses}
    customers, placement = [], []
    for c, (bus, kind) in enumerate(zip(bus_of, kind_of)):
        cname = f"{kind}_{names[bus]}_{c % customers_per_bus}"
        customers.append(Customer(cname, kind, p_ori[c]))
        placement.append(Placement(cname, names[bus], *where[int(bus)]))
    total = load_kw.sum()
    three = np.flatnonzero(feeder.bus_phases.all(axis=1) & (np.arange(feeder.n_bus) > 0))
    far = three[np.argsort(feeder.depth()[three])][-max(4, three.size // 3):]
    drawn = rng.choice(far, size=4, replace=far.size < 4)
    der_buses = drawn if der_buses is None else feeder.bus_index(list(der_buses))
    wt = prof["wt_kw"].to_numpy() / prof["wt_kw"].max()
    pv = prof["pv_kw"].to_numpy() / prof["pv_kw"].max()
    ders = [
        DER("G1", DER_SHARES["G1"] * total, G1_COST), DER("G2", DER_SHARES["G2"] * total, G2_COST),
        DER("WT", DER_SHARES["WT"] * total * wt, RENEWABLE_COST), DER("PV", DER_SHARES["PV"] * total * pv, RENEWABLE_COST),
    ]
    placement += [Placement(d.name, feeder.bus_names[bus], "abc") for d, bus in zip(ders, der_buses)]
    peak = p_ori.sum(axis=0).max()
    grid = MainGrid(prof["lmp_per_kwh"].to_numpy(), p_max_kw=float(mg_share * peak))
    market = Market(ders, grid, customers, n_periods=T)
    if line_limit_factor is not None:
        der_kw = np.zeros_like(load_kw)
        der_kw[der_buses] = np.array([np.max(d.p_max_kw) for d in ders])[:, None] / 3.0
        feeder = _limits_from_flows(feeder, load_kw, der_kw, line_limit_factor)
    if v_limits is not None:
        feeder = replace(feeder, v_min_pu=np.full(feeder.n_bus, float(v_limits[0])),
                         v_max_pu=np.full(feeder.n_bus, float(v_limits[1])))
    return Case(feeder, market, tuple(placement), name)


def _base_loads(feeder: Feeder, p) -> np.ndarray:
    """The base loads ``p`` (n_bus, 3) checked: numbers, finite, some positive load off the swing bus."""
    from ..network.physics.layout import as_bus_major

    as_bus_major(p, feeder.n_bus, "p", ())  # shape and numbers, as the power flow reads them
    p = np.asarray(p, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(p).all(axis=1))
    if bad.size:
        raise InjectionError(f"populate: bus '{feeder.bus_names[bad[0]]}' has a non-finite base load")
    if not (p[1:] * feeder.bus_phases[1:] > 0).any():
        raise InjectionError("populate: no bus but the swing bus has a positive base load p; expected the loads "
                             "that customers take the place of (p.u.)")
    return p


def _check_counts(**counts) -> None:
    for label, value in counts.items():
        if value is None:
            continue
        if isinstance(value, bool) or not float(value).is_integer() or value < 1:
            raise InputError(f"populate: {label} is {value!r}; expected a whole number >= 1")


def _connection(bus_load_kw: np.ndarray) -> tuple[str, tuple[float, ...] | None]:
    """Phases that carry load at a bus, and the shares of each (None when one phase)."""
    on = bus_load_kw > 0
    shares = tuple(bus_load_kw[on] / bus_load_kw[on].sum())
    return "".join(ph for ph, flag in zip("abc", on) if flag), shares if len(shares) > 1 else None


def _original_loads(rng: np.random.Generator, bus_kw: np.ndarray, shapes: np.ndarray, homogeneous: bool,
                    size_sigma: float, profile_sigma: float) -> np.ndarray:
    """Original profiles (n_bus_loaded * per_bus, T), kW: each bus's mean load shared among its
    customers (log-normal weights unless homogeneous), times their type's shape and noise."""
    n_bus, per_bus, T = shapes.shape
    if homogeneous:
        weights = np.full((n_bus, per_bus), 1.0 / per_bus)
        return (bus_kw[:, None, None] * weights[:, :, None] * shapes).reshape(-1, T)
    weights = rng.lognormal(0.0, size_sigma, (n_bus, per_bus))
    weights /= weights.sum(axis=1, keepdims=True)
    profile = shapes * ar1_factors(rng, (n_bus, per_bus), T, profile_sigma, 0.7)
    for _ in range(2):  # clipping moves the mean a little; twice keeps every hour in range
        mean = profile.mean(axis=2, keepdims=True)
        profile = np.clip(profile, 0.25 * mean, 1.75 * mean)
    profile /= profile.mean(axis=2, keepdims=True)
    return (bus_kw[:, None, None] * weights[:, :, None] * profile).reshape(-1, T)


def _limits_from_flows(feeder: Feeder, load_kw: np.ndarray, der_kw: np.ndarray, factor: float) -> Feeder:
    """Flow limits at ``factor`` times the larger of each line's flow at the mean load and
    its flow when the DERs export their capacity with no load (p.u.), floored."""
    from ..network.physics.power_flow import power_flow

    snapshots = np.stack([load_kw, -der_kw]) / feeder.s_base_kva
    res = power_flow(feeder, snapshots, 0.33 * np.clip(snapshots, 0.0, None))
    base_p = np.nanmax(np.abs(res.P), axis=(0, 2))
    base_q = np.nanmax(np.abs(res.Q), axis=(0, 2))
    floor = 1e-3
    return replace(feeder, p_max_pu=np.maximum(factor * base_p, floor),
                   q_max_pu=np.maximum(factor * base_q, floor))
