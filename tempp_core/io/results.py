"""Write what a clearing or a batch produced: tables as CSV (or Parquet), all at once.

A result folder (:func:`write_result`) holds every table of
:meth:`~tempp_core.clearing.results.ClearingResult.tables` and a manifest whose metadata
records, per result, the case, method, status, objective and clearing options; check one
with ``read_manifest(folder, RESULT_FORMAT)``. A batch (:func:`write_batch`) is two files.
The ``check_*`` functions are cheap and find what the writers would refuse before the
expensive work starts.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from ..clearing.results import ClearingResult
from ..errors import OutputError
from .atomic import atomic_files, atomic_folder, check_output_path
from .formats import RESULT_FORMAT
from .text_table import write_csv


def check_result_folder(folder) -> Path:
    """Raise :class:`~tempp_core.errors.OutputError` where :func:`write_result` could not
    write ``folder`` (see :func:`~tempp_core.io.atomic.check_output_path`)."""
    return check_output_path(folder, folder=True, fmt=RESULT_FORMAT)


def write_result(result: ClearingResult | Mapping[str, ClearingResult], folder) -> Path:
    """Write every table of a clearing as ``TABLE.csv`` into ``folder``, all at once.

    Parameters
    ----------
    result : ClearingResult, or mapping of label to ClearingResult
        Several results (e.g. ``{'benders': ..., 'centralized': ...}``) go into one folder
        as ``LABEL_TABLE.csv``; labels are letters and digits.
    folder : path
        Replaced whole: tables of an earlier result are gone; if writing fails or the
        process is stopped, the earlier folder stays as it was.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        ``folder`` is a file, holds files that are not result tables, or cannot be
        written; a label that is not letters and digits.
    """
    single = isinstance(result, ClearingResult)
    results = {result.method.value: result} if single else dict(result)
    for label in results:
        if not re.fullmatch(r"[A-Za-z0-9]+", label):
            raise OutputError(f"result label {label!r} must be letters and digits (it starts file names)")
    tables = {(f"{name}.csv" if single else f"{label}_{name}.csv"): frame
              for label, r in results.items() for name, frame in r.tables().items()}
    metadata = {"results": {label: _summary(r) for label, r in results.items()}}
    with atomic_folder(folder, RESULT_FORMAT, metadata) as partial:
        for name, frame in tables.items():
            write_csv(frame, partial / name)
    return Path(folder)


def _summary(result: ClearingResult) -> dict[str, Any]:
    return {"case": None if result.case is None else result.case.name, "method": result.method.value,
            "status": result.status.value, "converged": bool(result.converged),
            "objective_usd": float(result.objective), "iterations": int(result.iterations),
            "time_s": float(result.time_s), "options": result.options.as_dict()}


def batch_paths(path) -> tuple[Path, Path]:
    """The table's path and its status file's beside it: ``NAME_status.parquet`` for a
    .parquet table, ``NAME_status.csv`` otherwise."""
    path = Path(path)
    return path, path.with_name(path.stem + "_status" + (".parquet" if path.suffix == ".parquet" else ".csv"))


def check_batch_file(path) -> Path:
    """Raise :class:`~tempp_core.errors.OutputError` where :func:`write_batch` could not
    write ``path`` or its status file (a folder in the way, an unwritable parent, no
    Parquet engine for .parquet)."""
    for each in batch_paths(path):
        check_output_path(each, folder=False)
    return Path(path)


def write_batch(batch, path) -> tuple[Path, Path]:
    """Write a :class:`~tempp_core.studies.batch.BatchResult`: its table at ``path``
    (.parquet, else CSV) and its status beside it (:func:`batch_paths`).

    Both files are written in full before either replaces an earlier one; a termination
    signal waits until both are in place (SIGKILL between the two renames can leave a new
    table beside an old status file).

    Returns
    -------
    (table path, status path)

    Raises
    ------
    OutputError
        As :func:`check_batch_file`.
    """
    table_path, status_path = batch_paths(path)
    with atomic_files(table_path, status_path) as (table_partial, status_partial):
        for frame, partial in ((batch.table, table_partial), (batch.status, status_partial)):
            if table_path.suffix == ".parquet":
                frame.to_parquet(partial, index=False)
            else:
                write_csv(frame, partial)
    return table_path, status_path
