"""CSV files as text, exactly as written: no guessing of numbers or missing values.

pandas' defaults read a bus named ``NA`` as missing, ``1e3`` as 1000.0 and ``007`` as 7,
and fill the fields of a row cut short with blanks. Here every cell stays the string in the
file, and a row whose field count differs from the header's is refused, so a file cut in
the middle of a row is found. Numbers are parsed where a column is known to hold them
(:func:`tempp_core.network.feeder.tables.column_numbers`). :func:`write_csv` writes what
:func:`read_table` reads back cell for cell.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from ..errors import CaseError


def read_table(path: Path, *, final_newline: bool = True) -> pd.DataFrame:
    """The table in the CSV file ``path``, every cell a ``str`` (object dtype), rows indexed
    from 1 (as errors name them), the path in ``table.attrs["path"]``.

    Parameters
    ----------
    path : Path
    final_newline : bool
        Refuse a file whose last line does not end with a line break, the mark of a file
        cut short (tempp_core's writers always end one). False for files from other tools.

    Raises
    ------
    CaseError
        Naming the file (and the row and line): not UTF-8, empty, a blank or repeated
        column name, a row with more or fewer fields than the header, an unterminated
        quote, a missing final line break.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader, None)
            if header is None:
                raise CaseError(f"{path} is empty; expected a header line")
            _check_header(path, header)
            records = []
            for record in reader:
                if not record:
                    continue  # a blank line
                if len(record) != len(header):
                    raise CaseError(f"{path} row {len(records) + 1} (line {reader.line_num}) has {len(record)} "
                                    f"fields where the header has {len(header)}; was the file cut short?")
                records.append(record)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise CaseError(f"{path} is not a readable CSV file: {exc}") from None
    if final_newline and not _ends_with_newline(path):
        raise CaseError(f"{path} does not end with a line break: the file looks cut short "
                        "(if written by hand, end its last line)")
    table = pd.DataFrame(records, columns=header, dtype=object, index=pd.RangeIndex(1, len(records) + 1))
    table.attrs["path"] = str(path)
    return table


def _check_header(path: Path, header: list[str]) -> None:
    seen: set[str] = set()
    for k, name in enumerate(header):
        if name.strip() == "":
            raise CaseError(f"{path} column {k + 1} has a blank name in the header")
        if name in seen:
            raise CaseError(f"{path} names column {name!r} more than once in the header")
        seen.add(name)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(0, 2)
        if f.tell() == 0:
            return True
        f.seek(-1, 2)
        return f.read(1) in (b"\n", b"\r")


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` (no index) so that :func:`read_table` reads every cell back.

    Floats are written with the shortest text that reads back to the same number, NaN as a
    blank cell. Lines end with ``\\n``; with ``\\r\\n`` when a text cell holds a carriage
    return, which Python's CSV writer quotes only when it is part of the line ending.
    """
    text = table.select_dtypes(exclude="number")
    carriage_return = any(text[c].astype(str).str.contains("\r", regex=False).any() for c in text.columns) \
        or any("\r" in str(c) for c in table.columns)
    table.to_csv(path, index=False, lineterminator="\r\n" if carriage_return else "\n")
