"""The manifest of a folder tempp_core writes: what it holds, so a reader can tell a complete
folder from a cut-short, mixed or edited one.

``manifest.json``::

    {
      "format": "tempp-case",            name of the folder's layout (a FolderFormat)
      "format_version": 1,
      "tempp_core_version": "0.2.0",
      "files": {                         every other file of the folder
        "profiles.csv": {"bytes": 2210, "sha256": "...", "rows": 24},   rows: CSV data rows
        "case.toml": {"bytes": 180, "sha256": "..."}
      },
      "metadata": {...}                  what the writer adds (case name, clearing options...)
    }

It is written last, inside the temporary folder (see :mod:`tempp_core.io.atomic`), so a
folder with a manifest was complete when it was put in place. A folder without one (written
by hand or by an older version) is read unchecked.
"""
from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import CaseError

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class FolderFormat:
    """A kind of folder tempp_core writes.

    Parameters
    ----------
    name : str
        Recorded as the manifest's ``format``.
    version : int
        Raised when the layout changes in a way older readers would misread.
    files : str
        Regular expression matching every file name the writer may put in such a folder
        (the manifest aside). Writing over a folder that holds anything else is refused.
    """

    name: str
    version: int
    files: str

    def owns(self, filename: str) -> bool:
        """True for the manifest and for file names this format's writer makes."""
        return filename == MANIFEST or re.fullmatch(self.files, filename) is not None


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def csv_rows(path: Path) -> int:
    """Data rows of a CSV file (records after the header; quoted line breaks stay in their
    record, blank lines are not records)."""
    with open(path, newline="", encoding="utf-8") as f:
        return max(sum(1 for record in csv.reader(f) if record) - 1, 0)


def _describe(path: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {"bytes": path.stat().st_size, "sha256": _digest(path)}
    if path.suffix == ".csv":
        entry["rows"] = csv_rows(path)
    return entry


def _plain(value: Any) -> Any:
    """``value`` as strict JSON: non-finite floats become None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def write_manifest(folder: Path, fmt: FolderFormat, metadata: Mapping[str, Any]) -> dict:
    """Describe every file of ``folder`` in its ``manifest.json``; returns the manifest.

    Raises
    ------
    CaseError
        The folder holds a sub-folder (formats are flat).
    """
    files = {}
    for path in sorted(folder.iterdir()):
        if path.name == MANIFEST:
            continue
        if not path.is_file():
            raise CaseError(f"{path} is not a file; a {fmt.name} folder holds files only")
        files[path.name] = _describe(path)
    manifest = {"format": fmt.name, "format_version": fmt.version,
                "tempp_core_version": importlib.metadata.version("tempp_core"),
                "files": files, "metadata": _plain(metadata)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return manifest


_HAND_EDIT = f"(if it was edited on purpose, delete {MANIFEST} to read the folder unchecked)"


def read_manifest(folder: Path, fmt: FolderFormat) -> dict | None:
    """The verified manifest of ``folder``, or None when it has none.

    Raises
    ------
    CaseError
        Naming the file and what differs: a manifest that is not valid JSON or of another
        format or a newer version; a listed file that is missing; a file that is not
        listed (stale or foreign); a file whose size or checksum differs from the manifest
        (with its row count against the recorded one for CSV files).
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        fmt_name, version, files = manifest["format"], manifest["format_version"], manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CaseError(f"{path} is not a tempp_core manifest ({exc}); it may be cut short") from None
    if fmt_name != fmt.name:
        raise CaseError(f"{path} describes a {fmt_name!r} folder; expected {fmt.name!r}")
    if not isinstance(version, int) or version > fmt.version:
        raise CaseError(f"{path} has format_version {version!r}; this tempp_core reads {fmt.name!r} "
                        f"up to version {fmt.version}")
    present = {p.name for p in folder.iterdir() if p.name != MANIFEST}
    missing = sorted(set(files) - present)
    if missing:
        raise CaseError(f"{folder / missing[0]} is listed in {MANIFEST} but missing")
    extra = sorted(present - set(files))
    if extra:
        raise CaseError(f"{folder / extra[0]} is not listed in {MANIFEST}: a stale or foreign file {_HAND_EDIT}")
    for name, recorded in files.items():
        _check_file(folder / name, recorded)
    return manifest


def _check_file(path: Path, recorded: Mapping[str, Any]) -> None:
    size = path.stat().st_size
    if size == recorded.get("bytes") and _digest(path) == recorded.get("sha256"):
        return
    has, want = f"{size} bytes", f"{recorded.get('bytes')} bytes"
    if "rows" in recorded:
        try:
            rows: int | str = csv_rows(path)
        except (csv.Error, UnicodeDecodeError) as exc:
            rows = f"unreadable ({exc})"
        has, want = f"{rows} data rows ({has})", f"{recorded['rows']} rows ({want})"
    if size == recorded.get("bytes"):
        has += " and another sha256"
    raise CaseError(f"{path} has {has} where {MANIFEST} records {want}: it was cut short or changed "
                    f"after writing {_HAND_EDIT}")
