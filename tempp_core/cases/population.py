"""Populate any feeder with market participants, reproducibly, for scaling studies.

Customers take the place of the feeder's base loads: every bus with load gets
``customers_per_bus`` customers sharing it, each on the phases that carry load there (split
in proportion to the base load per phase). A customer's original profile is its share of the
bus's base load (kW) times the 24-hour shape of its type from the paper case's
``profiles.csv``; types are drawn RL 50 %, CL 25 %, IL 15 %, AL 10 %. DERs (G1, G2, WT, PV
with Table C1 costs) are sized in proportion to the feeder's mean load and placed at random
three-phase buses far from the source; the MG is the swing bus with the paper's LMP profile.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..case import Case, Placement
from ..network.feeder import Feeder
from ..market.participants import G1_COST, G2_COST, RENEWABLE_COST, DER, Customer, MainGrid, Market
from ..units import pu_to_kw
from .data import profiles

KINDS = ("RL", "CL", "IL", "AL")
KIND_WEIGHTS = (0.5, 0.25, 0.15, 0.1)
#: DER sizes as fractions of the feeder's mean total load: G1, G2 (flat), WT, PV (peak of profile).
DER_SHARES = {"G1": 0.15, "G2": 0.12, "WT": 0.10, "PV": 0.15}


def populate(feeder: Feeder, p: np.ndarray, q: np.ndarray | None = None, *, seed: int = 0,
             customers_per_bus: int = 1, mg_share: float = 0.8, name: str = "populated",
             line_limit_factor: float | None = 2.0, v_limits: tuple[float, float] | None = None,
             der_buses: tuple[str, str, str, str] | None = None, max_customer_buses: int | None = None,
             capacitors: bool = True) -> Case:
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
    """
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
    kinds = rng.choice(len(KINDS), size=(buses.size, customers_per_bus), p=KIND_WEIGHTS)
    customers, placement = [], []
    for b, bus in enumerate(buses):
        on = load_kw[bus] > 0
        phases = "".join(ph for ph, flag in zip("abc", on) if flag)
        shares = tuple(load_kw[bus, on] / load_kw[bus, on].sum())
        mean_kw = load_kw[bus].sum() / customers_per_bus
        for c in range(customers_per_bus):
            kind = KINDS[kinds[b, c]]
            cname = f"{kind}_{feeder.bus_names[bus]}_{c}"
            customers.append(Customer(cname, kind, mean_kw * prof[kind].to_numpy()))
            placement.append(Placement(cname, feeder.bus_names[bus], phases, shares if len(shares) > 1 else None))
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
    shapes = np.array([prof[k].to_numpy() for k in KINDS])
    peak = (shapes[kinds.ravel()].T * np.repeat(load_kw[buses].sum(axis=1) / customers_per_bus,
                                                 customers_per_bus)).sum(axis=1).max()
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
