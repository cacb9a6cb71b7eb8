"""Compile an OpenDSS script safely: circuit definitions only.

A .dss file is a program. Besides defining a circuit it may solve (even year-long
simulations), show reports in an editor, export or save files, plot, run shell commands.
:func:`compile_definitions` reads the script itself, follows ``redirect`` and ``compile``
(relative to the file that names them, recursively) and forwards to OpenDSS only the commands
that define the model; every other command is recorded, with its file and line, and not run.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from ...errors import FeederError


class SkippedCommand(NamedTuple):
    """A command of the script that was not run (or, for a `set`, not run whole)."""

    file: str
    line: int
    command: str
    reason: str


# Verbs that build or change the circuit model.
_DEFINE = frozenset({
    "new", "edit", "more", "m", "~", "like", "batchedit", "select", "open", "close", "disable", "enable",
    "buscoords", "latlongcoords", "calcvoltagebases", "calcv", "setkvbase", "setbusxy", "makebuslist", "clear",
})
# `set` options that define the model (the rest, e.g. mode, number, datapath, editor, is skipped).
_SET_OPTIONS = frozenset({
    "voltagebases", "loadmult", "genmult", "defaultbasefrequency", "basefrequency", "earthmodel",
    "maxiterations", "maxiter", "maxcontroliter", "tolerance", "controlmode", "algorithm", "normvminpu",
    "normvmaxpu", "emergvminpu", "emergvmaxpu", "loadmodel", "defaultdaily", "defaultyearly", "cktmodel",
    "allowduplicates", "neglectloady",
})
# Meters, monitors and faults are study devices, not part of the network model.
_STUDY_CLASSES = frozenset({"monitor", "energymeter", "sensor", "fault", "fmonitor"})
# Drawing coordinates: a missing coordinates file is recorded, not fatal.
_COSMETIC = frozenset({"buscoords", "latlongcoords", "setbusxy"})

_SET_PAIR = re.compile(r"""([A-Za-z_][\w%]*)\s*=\s*("[^"]*"|'[^']*'|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|[^\s,]+)""")


def compile_definitions(dss, path: Path) -> tuple[SkippedCommand, ...]:
    """Clear OpenDSS and run the definition commands of ``path`` and the files it includes.

    Parameters
    ----------
    dss : module
        ``opendssdirect``.
    path : Path
        The master .dss file.

    Returns
    -------
    tuple of SkippedCommand
        The commands not run, in script order.

    Raises
    ------
    FeederError
        A missing or unreadable file (naming the file and the line that includes it), or a
        command OpenDSS rejects (naming file, line and command).
    """
    for switch in (dss.Basic.AllowEditor, dss.Basic.AllowForms, dss.Basic.AllowDOScmd):
        switch(False)
    dss.Text.Command("clear")
    skipped: list[SkippedCommand] = []
    cwd = os.getcwd()  # OpenDSS's data path is the process's working directory: put it back after
    try:
        _run_file(dss, Path(path).resolve(), skipped, None, set(), False)
    finally:
        os.chdir(cwd)
    _refuse_unknown_verbs(dss, skipped)
    return tuple(skipped)


def _refuse_unknown_verbs(dss, skipped: list[SkippedCommand]) -> None:
    """A skipped line whose verb OpenDSS does not know (not even as an abbreviation) is a typo,
    e.g. 'Nwe Line...': refused, as OpenDSS would, rather than left out of the model unseen."""
    commands = [dss.Executive.Command(k).lower() for k in range(1, dss.Executive.NumCommands() + 1)]
    for s in skipped:
        verb, rest = _split_verb(s.command)
        assignment = re.match(r"[^\s=]+\s*=", s.command) is not None  # `kw=10`: edits the active element
        if s.reason == "not a definition command" and not assignment and not any(c.startswith(verb) for c in commands):
            raise FeederError(f"{s.file}:{s.line}: {s.command!r} starts with {verb!r}, which is not an OpenDSS "
                              "command; expected a definition such as 'New Line.l1 bus1=a bus2=b ...'")


def _read(path: Path, included_from: str | None) -> str:
    where = f" (included from {included_from})" if included_from else ""
    if not path.is_file():
        raise FeederError(f"OpenDSS file {str(path)!r} does not exist{where}")
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FeederError(f"cannot read OpenDSS file {str(path)!r}{where}: {exc}") from None


def _run_file(dss, path: Path, skipped: list[SkippedCommand], included_from: str | None,
              active: set[Path], forwarding: bool) -> tuple[Path, bool]:
    """Run one file's definitions. ``forwarding``: whether the object a ``~`` would continue
    was defined (OpenDSS's active object outlives a file). Returns the directory later
    relative paths resolve against (``compile`` moves it to the compiled file's folder,
    ``redirect`` does not) and the ``forwarding`` state at the end."""
    if path in active:
        raise FeederError(f"OpenDSS file {str(path)!r} includes itself (via {included_from})")
    text = _read(path, included_from)
    active.add(path)
    here = path.parent
    dss.Basic.DataPath(str(here))
    for number, command in _commands(text):
        where = f"{path}:{number}"
        verb, rest = _split_verb(command)
        if verb in ("redirect", "compile"):
            name = _unquote(rest.split("=", 1)[-1] if rest.lower().startswith("file") else rest)
            moved, forwarding = _run_file(dss, _locate(here, name), skipped, where, active, forwarding)
            if verb == "compile":
                here = moved
            dss.Basic.DataPath(str(here))
            continue
        run, reason, forwarding = _decide(verb, rest, forwarding)
        if reason:
            skipped.append(SkippedCommand(str(path), number, command, reason))
        if run is None:
            continue
        try:
            dss.Text.Command(run)
        except dss.DSSException as exc:
            if verb not in _COSMETIC:
                raise FeederError(f"{where}: OpenDSS rejected {command!r}: {exc}") from None
            skipped.append(SkippedCommand(str(path), number, command, f"failed: {exc}"))
    active.discard(path)
    return here, forwarding


def _decide(verb: str, rest: str, forwarding: bool) -> tuple[str | None, str, bool]:
    """For one script line: the command to run (None: none), why (part of) it is not run
    ('' if it runs whole), and whether a following ``~`` continues a command that ran."""
    if verb in ("~", "more", "m"):
        return (f"{verb} {rest}", "", True) if forwarding else (None, "continues a skipped command", False)
    if verb == "set":
        pairs = _SET_PAIR.findall(rest)
        dropped = [k for k, _ in pairs if k.lower() not in _SET_OPTIONS]
        kept = [f"{k}={v}" for k, v in pairs if k.lower() in _SET_OPTIONS]
        reason = f"option {', '.join(dropped)} does not define the model" if dropped else "" if pairs else \
            "not an option assignment"
        return ("set " + " ".join(kept) if kept else None), reason, False
    if verb in ("new", "edit", "like", "select"):
        target = rest.split(None, 1)[0] if rest.strip() else ""
        target = target.split("=", 1)[-1]  # `new object=circuit.x`
        study = target.split(".", 1)[0].lower() in _STUDY_CLASSES
        return (None, "study device, not part of the network", False) if study else (f"{verb} {rest}", "", True)
    if verb in _DEFINE:
        return f"{verb} {rest}".strip(), "", False
    if "." in verb and verb.split(".", 1)[0] not in _STUDY_CLASSES and rest.lstrip().startswith("="):
        return f"{verb}{rest}", "", False  # `Generator.g1.kw=100`: a property assignment
    return None, "not a definition command", False


def _split_verb(command: str) -> tuple[str, str]:
    """('new', 'line.l1 bus1=a ...') from 'New line.l1 bus1=a ...'; '~ r1=1' -> ('~', 'r1=1')."""
    if command.startswith("~"):
        return "~", command[1:].strip()
    match = re.match(r"([^\s=]+)(.*)", command, re.DOTALL)
    head, rest = match.group(1), match.group(2)
    if "." in head:  # property assignment: keep '=value' attached
        return head.lower(), rest
    return head.lower(), rest.lstrip(" \t=") if rest.lstrip().startswith("=") else rest.strip()


def _commands(text: str):
    """(line number, command) pairs of a script, comments removed (``!``, ``//`` to the end of
    a line outside quotes; ``/* ... */`` blocks starting a line)."""
    in_block = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_block:
            in_block = "*/" not in line
            continue
        if line.startswith("/*"):
            in_block = "*/" not in line[2:]
            continue
        line = _strip_comment(line).strip()
        if line:
            yield number, line


def _strip_comment(line: str) -> str:
    quote = None
    for k, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "!" or line.startswith("//", k):
            return line[:k]
    return line


def _locate(folder: Path, name: str) -> Path:
    """``folder / name`` with Windows separators accepted and, if no file has that exact name,
    the one whose name differs only in case (scripts written on Windows)."""
    target = (folder / name.replace("\\", "/")).resolve()
    if not target.exists() and target.parent.is_dir():
        matches = [p for p in target.parent.iterdir() if p.name.lower() == target.name.lower()]
        if len(matches) == 1:
            return matches[0]
    return target


def _unquote(text: str) -> str:
    """A file name as a script writes it: bare, quoted or bracketed (``(IEEE123Master.dss)``)."""
    text = text.strip()
    pairs = {'"': '"', "'": "'", "(": ")", "[": "]", "{": "}"}
    if len(text) >= 2 and text[0] in pairs and pairs[text[0]] in text[1:]:
        return text[1:text.index(pairs[text[0]], 1)]
    return text.split()[0] if text else text
