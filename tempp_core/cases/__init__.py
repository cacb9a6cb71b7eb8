"""Embedded cases."""
from __future__ import annotations

from pathlib import Path

_DATA = Path(__file__).parent / "data"


def data_path(name: str) -> Path:
    """Folder of an embedded case's data files."""
    path = _DATA / name
    if not path.is_dir():
        known = sorted(p.name for p in _DATA.iterdir() if p.is_dir())
        raise KeyError(f"no embedded case {name!r}; known: {known}")
    return path
