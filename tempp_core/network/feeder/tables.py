"""Read feeder tables in the layout of PNNL DistOPF case folders.

Columns read (others are ignored):

``buses`` (bus_data.csv)
    ``id`` (referenced by lines), ``name`` (optional; defaults to ``id``), ``bus_type``
    (exactly one ``SWING``), ``phases``, ``v_a``, ``v_b``, ``v_c`` (swing voltage, p.u.),
    ``v_min``, ``v_max`` (p.u.), ``v_ln_base`` (V), ``s_base`` (VA, per phase), and the
    loads ``pl_a, ql_a, pl_b, ql_b, pl_c, ql_c`` (p.u.; read by :func:`loads_from_table`).
``lines`` (branch_data.csv)
    ``fb``, ``tb``, ``r_aa, r_ab, r_ac, r_bb, r_bc, r_cc``, ``x_aa ... x_cc`` (p.u.),
    ``phases``, ``name`` (optional), ``status`` (``OPEN`` rows are normally-open switches
    and are left out), ``p_max``, ``q_max`` (optional flow limits, p.u.; tempp_core's own
    columns, not DistOPF's), ``b_aa ... b_cc`` (optional total charging susceptance, p.u.;
    ours too).
``regulators`` (reg_data.csv)
    ``fb``, ``tb`` of a line, and ``ratio_a, ratio_b, ratio_c`` or ``tap_a, tap_b, tap_c``
    (ratio = 1 + 0.00625 tap, the 32-step +-10 % regulator).
``capacitors`` (cap_data.csv)
    ``id`` of a bus and ``q_a, q_b, q_c``: reactive power at 1 p.u. voltage, p.u.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import FeederError, InjectionError
from .phases import PHASE_LETTERS

_PAIRS = [(a, b) for i, a in enumerate(PHASE_LETTERS) for b in PHASE_LETTERS[i:]]
TAP_STEP = 0.00625


def _require(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise FeederError(f"{what} lacks column(s) {missing}")


def _label(table: pd.DataFrame | None, kind: str) -> str:
    """How errors name a table: its file when :func:`tempp_core.io` read it, else its kind."""
    if table is None:
        return f"{kind} table"
    return str(table.attrs.get("path", f"{kind} table"))


def _numbered(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` indexed by row number from 1 (as errors name rows; survives filtering)."""
    return table.set_axis(pd.RangeIndex(1, len(table) + 1), axis=0)


def _blank(values: pd.Series) -> np.ndarray:
    text = values.astype("string").str.strip()
    return (text.isna() | (text == "")).to_numpy(bool)


def column_numbers(table: pd.DataFrame, column: str, what: str, *, blank: float | None = np.nan,
                   error: type[Exception] = FeederError) -> np.ndarray:
    """The numbers of one column as float64.

    Cells may be numbers, or text as :mod:`tempp_core.io` reads it (every cell a string).

    Parameters
    ----------
    table : DataFrame
    column : str
    what : str
        The table's name in errors (e.g. its file).
    blank : float or None
        Value of blank cells (empty text, NaN, None); None refuses them.
    error : exception class
        Raised for a cell that is not a number.

    Raises
    ------
    error
        Naming the table, the row (the table's index label: tempp_core numbers rows from 1,
        header not counted), the column and the value.
    """
    values = table[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values.to_numpy(np.float64, na_value=np.nan)
        empty = np.isnan(out)
    else:
        empty = _blank(values)
        text = values.astype("string").str.strip().mask(empty)
        out = pd.to_numeric(text, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        bad = np.flatnonzero(~empty & np.isnan(out) & (text.str.lower() != "nan").to_numpy(bool, na_value=False))
        if bad.size:
            k = bad[0]
            raise error(f"{what} row {table.index[k]}, column {column!r}: {values.iloc[k]!r} is not a number")
    if empty.any():
        if blank is None:
            raise error(f"{what} row {table.index[np.flatnonzero(empty)[0]]}, column {column!r} is blank; "
                        "expected a number")
        out[empty] = blank
    return out


def _unique(values: pd.Series, what: str, column: str) -> None:
    """Refuse a value used twice in ``column``, naming both rows (``values`` numbered from 1)."""
    repeated = values.duplicated(keep=False)
    if repeated.any():
        value = values[repeated].iloc[0]
        rows = values.index[(values == value).to_numpy()][:2].tolist()
        raise FeederError(f"{what} rows {rows[0]} and {rows[1]} have the same {column} {value!r}; "
                          f"{column} must be unique")


def _symmetric(table: pd.DataFrame, prefix: str, what: str) -> np.ndarray:
    out = np.zeros((len(table), 3, 3))
    for a, b in _PAIRS:
        i, j = PHASE_LETTERS.index(a), PHASE_LETTERS.index(b)
        col = column_numbers(table, f"{prefix}_{a}{b}", what)
        out[:, i, j] = col
        out[:, j, i] = col
    return out


def bus_names_of(buses: pd.DataFrame) -> pd.Series:
    """Bus names indexed by bus id, as text (``name`` column; its blank cells and a missing
    column fall back to the id)."""
    ids = buses["id"].astype(str).to_numpy(object)
    names = ids if "name" not in buses.columns else \
        np.where(_blank(buses["name"]), ids, buses["name"].astype(str).to_numpy(object))
    return pd.Series(names, index=pd.Index(ids, dtype=object), dtype=object)


#: Values of a branch's ``status`` (any case); blank means closed.
STATUS_VALUES = ("OPEN", "CLOSED")


def closed_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Rows of a branch table that are in service (status not OPEN)."""
    if "status" not in lines.columns:
        return lines
    status = lines["status"].astype(object).where(lines["status"].notna(), "").astype(str).str.strip().str.upper()
    unknown = np.flatnonzero(~status.isin(STATUS_VALUES + ("",)).to_numpy())
    if unknown.size:
        k = unknown[0]
        raise FeederError(f"{_label(lines, 'branch')} row {lines.index[k]}: status is {lines['status'].iloc[k]!r}; "
                          "expected OPEN, CLOSED or blank (closed)")
    return lines[(status != "OPEN").to_numpy()]


#: Columns each table may have (others are ignored; ones that resemble these are named in a warning).
KNOWN_COLUMNS = {
    "bus": ["id", "name", "bus_type", "phases", "v_a", "v_b", "v_c", "v_min", "v_max", "v_ln_base", "s_base",
            "pl_a", "ql_a", "pl_b", "ql_b", "pl_c", "ql_c"],
    "branch": ["fb", "tb", "name", "phases", "status", "p_max", "q_max"]
              + [f"{k}_{a}{b}" for k in "rxb" for a, b in _PAIRS],
    "regulator": ["fb", "tb", "phases"] + [f"{k}_{p}" for k in ("ratio", "tap") for p in PHASE_LETTERS],
    "capacitor": ["id", "name", "phases"] + [f"q_{p}" for p in PHASE_LETTERS],
}


def warn_lookalike_columns(table: pd.DataFrame, what: str, known: list[str]) -> None:
    """Name the columns of ``table`` that are not read but resemble one that is (a typo such
    as ``Pl_a`` or ``Alpha`` would otherwise be ignored silently)."""
    import difflib
    import warnings

    for column in map(str, table.columns):
        if column in known:
            continue
        close = difflib.get_close_matches(column.lower(), known, n=1, cutoff=0.75)
        if close:
            warnings.warn(f"{what} table column {column!r} is not read; did you mean {close[0]!r}?", UserWarning,
                          stacklevel=3)


def feeder_arrays_from_tables(buses: pd.DataFrame, lines: pd.DataFrame,
                              regulators: pd.DataFrame | None = None,
                              capacitors: pd.DataFrame | None = None) -> dict:
    """Keyword arguments of :meth:`Feeder.from_arrays` read from DistOPF-style tables.

    Ids (``id``, ``fb``, ``tb``) are compared as text. Errors name the table (its file when
    read by :mod:`tempp_core.io`), the row counted from 1 and the column.
    """
    for table, what in ((buses, "bus"), (lines, "branch"), (regulators, "regulator"), (capacitors, "capacitor")):
        if table is not None:
            warn_lookalike_columns(table, what, KNOWN_COLUMNS[what])
    what_bus, what_line = _label(buses, "bus"), _label(lines, "branch")
    buses, lines = _numbered(buses), _numbered(lines)
    _require(buses, ["id", "bus_type"], what_bus)
    _require(lines, ["fb", "tb"] + [f"{k}_{a}{b}" for k in "rx" for a, b in _PAIRS], what_line)
    names = bus_names_of(buses)
    _unique(pd.Series(names.index.to_numpy(), index=buses.index), what_bus, "id")
    _unique(pd.Series(names.to_numpy(), index=buses.index), what_bus, "name")
    swing = buses.loc[buses["bus_type"].astype(str).str.strip().str.upper() == "SWING"]
    if len(swing) != 1:
        found = ", ".join(repr(n) for n in names[swing["id"].astype(str)].tolist()) or "none"
        raise FeederError(
            f"a radial feeder has exactly one swing bus (its root); found {len(swing)}: {found}"
        )
    live = closed_lines(lines)
    fb, tb = live["fb"].astype(str), live["tb"].astype(str)
    _unique(fb + " -> " + tb, what_line, "branch fb -> tb")  # parallel closed rows would close a loop
    unknown = ~fb.isin(names.index) | ~tb.isin(names.index)
    if unknown.any():
        row = unknown.to_numpy().argmax()
        raise FeederError(f"{what_line} row {live.index[row]}: branch {fb.iloc[row]} -> {tb.iloc[row]} "
                          "refers to a bus id not in the bus table")
    line_from = names[fb].to_numpy()
    line_to = names[tb].to_numpy()
    default_names = np.array([f"{a}-{b}" for a, b in zip(line_from, line_to)], dtype=object)
    line_names = default_names if "name" not in live.columns else \
        np.where(_blank(live["name"]), default_names, live["name"].astype(str).to_numpy(object))
    _unique(pd.Series(line_names, index=live.index), what_line, "name")
    kwargs: dict = dict(
        bus_names=names.to_numpy(),
        line_from=line_from,
        line_to=line_to,
        line_names=line_names,
        r_pu=_symmetric(live, "r", what_line),
        x_pu=_symmetric(live, "x", what_line),
        swing=names[str(swing["id"].iloc[0])],
    )
    if "phases" in live.columns:
        kwargs["line_phases"] = live["phases"].astype(str).to_numpy()
    if "phases" in buses.columns:
        kwargs["bus_phases"] = buses["phases"].astype(str).to_numpy()
    for column, key in (("v_min", "v_min_pu"), ("v_max", "v_max_pu"), ("v_ln_base", "v_base_v")):
        if column in buses.columns:
            kwargs[key] = column_numbers(buses, column, what_bus)
    for column, key in (("p_max", "p_max_pu"), ("q_max", "q_max_pu")):
        if column in live.columns:
            kwargs[key] = column_numbers(live, column, what_line)
    if "s_base" in buses.columns:
        bases = column_numbers(buses, "s_base", what_bus, blank=None)
        if len(bases) and not (bases == bases[0]).all():
            k = int(np.flatnonzero(bases != bases[0])[0])
            raise FeederError(f"{what_bus} row {buses.index[k]}: s_base is {bases[k]:g} VA but the first row says "
                              f"{bases[0]:g}; expected one power base per feeder")
        kwargs["s_base_kva"] = float(bases[0]) / 1000.0
    vcols = [f"v_{p}" for p in PHASE_LETTERS]
    if all(c in buses.columns for c in vcols):
        kwargs["v_swing_pu"] = np.array([column_numbers(swing, c, what_bus)[0] for c in vcols])
    if regulators is not None and len(regulators):
        kwargs["ratio"] = _ratios(live, regulators)
    if all(f"b_{a}{b}" in live.columns for a, b in _PAIRS):
        kwargs["b_shunt_pu"] = _symmetric(live, "b", what_line)
    if capacitors is not None and len(capacitors):
        kwargs["cap_q_pu"] = _capacitors(names, capacitors)
    return kwargs


def _capacitors(names: pd.Series, capacitors: pd.DataFrame) -> np.ndarray:
    """Capacitor reactive power per bus and phase (n_bus, 3), in the bus table's order."""
    what = _label(capacitors, "capacitor")
    capacitors = _numbered(capacitors)
    _require(capacitors, ["id"] + [f"q_{p}" for p in PHASE_LETTERS], what)
    where = names.index.get_indexer(capacitors["id"].astype(str).to_numpy(object))
    if (where < 0).any():
        k = int(np.flatnonzero(where < 0)[0])
        raise FeederError(f"{what} row {capacitors.index[k]}: capacitor at bus id {capacitors['id'].iloc[k]!r} "
                          "refers to a bus id not in the bus table")
    out = np.zeros((len(names), 3))
    q = np.column_stack([column_numbers(capacitors, f"q_{p}", what) for p in PHASE_LETTERS])
    np.add.at(out, where, q)
    return out


def _ratios(lines: pd.DataFrame, regulators: pd.DataFrame) -> np.ndarray:
    what = _label(regulators, "regulator")
    regulators = _numbered(regulators)
    _require(regulators, ["fb", "tb"], what)
    if all(f"ratio_{p}" in regulators.columns for p in PHASE_LETTERS):
        values = np.column_stack([column_numbers(regulators, f"ratio_{p}", what) for p in PHASE_LETTERS])
    elif all(f"tap_{p}" in regulators.columns for p in PHASE_LETTERS):
        values = 1.0 + TAP_STEP * np.column_stack([column_numbers(regulators, f"tap_{p}", what)
                                                   for p in PHASE_LETTERS])
    else:
        raise FeederError(f"{what} needs ratio_a/b/c or tap_a/b/c columns")
    fb, tb = regulators["fb"].astype(str), regulators["tb"].astype(str)
    _unique(fb + " -> " + tb, what, "branch fb -> tb")
    key = pd.MultiIndex.from_arrays([lines["fb"].astype(str).to_numpy(), lines["tb"].astype(str).to_numpy()])
    where = key.get_indexer(pd.MultiIndex.from_arrays([fb.to_numpy(), tb.to_numpy()]))
    if (where < 0).any():
        k = int(np.flatnonzero(where < 0)[0])
        raise FeederError(f"{what} row {regulators.index[k]}: regulator {fb.iloc[k]} -> {tb.iloc[k]} "
                          "matches no closed branch")
    ratio = np.ones((len(lines), 3))
    ratio[where] = values
    return ratio


def loads_from_table(feeder, buses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Base loads ``(p, q)`` in p.u., shape (n_bus, 3), in the feeder's bus order.

    Raises
    ------
    InjectionError
        Naming the row and column of a load that is text, blank or not finite, or on a phase
        its bus lacks.
    """
    what = _label(buses, "bus")
    buses = _numbered(buses)
    names = bus_names_of(buses)
    idx = feeder.bus_index(names.to_numpy())
    p = np.zeros((feeder.n_bus, 3))
    q = np.zeros((feeder.n_bus, 3))
    for out, kind in ((p, "pl"), (q, "ql")):
        for k, ph in enumerate(PHASE_LETTERS):
            column = f"{kind}_{ph}"
            if column not in buses.columns:
                continue
            values = column_numbers(buses, column, what, blank=None, error=InjectionError)
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                j = bad[0]
                raise InjectionError(f"{what} row {buses.index[j]} (bus '{names.iloc[j]}'): {column} is "
                                     f"{values[j]:g}; expected a finite load (p.u., 0 for none)")
            lacks = np.flatnonzero((values != 0) & ~feeder.bus_phases[idx, k])
            if lacks.size:
                j = lacks[0]
                raise InjectionError(f"{what} row {buses.index[j]} (bus '{names.iloc[j]}'): {column} is "
                                     f"{values[j]:g} but the bus has only phase(s) '{feeder.phase_string(idx[j])}'")
            out[idx, k] = values
    return p, q


def feeder_to_tables(feeder) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The inverse of :meth:`Feeder.from_tables`: (buses, lines, regulators, capacitors)
    tables with 1-based bus ids in the feeder's order and zero loads."""
    from .phases import phase_string

    n = feeder.n_bus
    ids = np.arange(1, n + 1)
    buses = pd.DataFrame({
        "id": ids,
        "name": list(feeder.bus_names),
        **{f"{k}l_{p}": 0.0 for p in PHASE_LETTERS for k in "pq"},
        "bus_type": np.where(ids == 1, "SWING", "PQ"),
        **{f"v_{p}": feeder.v_swing_pu[i] for i, p in enumerate(PHASE_LETTERS)},
        "v_ln_base": feeder.v_base_v,
        "s_base": feeder.s_base_kva * 1000.0,
        "v_min": feeder.v_min_pu,
        "v_max": feeder.v_max_pu,
        "phases": [phase_string(m) for m in feeder.bus_phases],
    })
    lines = pd.DataFrame({"fb": feeder.parent[1:] + 1, "tb": ids[1:]})
    for prefix, z in (("r", feeder.r_pu), ("x", feeder.x_pu)):
        for a, b in _PAIRS:
            lines[f"{prefix}_{a}{b}"] = z[:, PHASE_LETTERS.index(a), PHASE_LETTERS.index(b)]
    if feeder.b_shunt_pu.any():
        for a, b in _PAIRS:
            lines[f"b_{a}{b}"] = feeder.b_shunt_pu[:, PHASE_LETTERS.index(a), PHASE_LETTERS.index(b)]
    lines["name"] = list(feeder.line_names)
    lines["phases"] = [phase_string(m) for m in feeder.line_phases]
    lines["p_max"] = feeder.p_max_pu
    lines["q_max"] = feeder.q_max_pu
    reg = np.flatnonzero((feeder.ratio != 1.0).any(axis=1))
    regulators = pd.DataFrame({
        "fb": lines["fb"].to_numpy()[reg], "tb": lines["tb"].to_numpy()[reg],
        "phases": lines["phases"].to_numpy()[reg],
        **{f"ratio_{p}": feeder.ratio[reg, i] for i, p in enumerate(PHASE_LETTERS)},
    })
    cap = np.flatnonzero(feeder.cap_q_pu.any(axis=1))
    capacitors = pd.DataFrame({"id": ids[cap], **{f"q_{p}": feeder.cap_q_pu[cap, i]
                                                  for i, p in enumerate(PHASE_LETTERS)}})
    return buses, lines, regulators, capacitors
