"""Where the embedded case data live."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

_DATA = Path(__file__).parent / "data"


def data_path(name: str) -> Path:
    """Folder of an embedded case's data files."""
    path = _DATA / name
    if not path.is_dir():
        known = sorted(p.name for p in _DATA.iterdir() if p.is_dir())
        raise KeyError(f"no embedded case {name!r}; known: {known}")
    return path


def profiles() -> pd.DataFrame:
    """The default case's 24-hour profiles (customer types' load shapes in kW, WT and PV
    availability in kW, the LMP in $/kWh), one row per hour."""
    return pd.read_csv(data_path("paper") / "profiles.csv")
