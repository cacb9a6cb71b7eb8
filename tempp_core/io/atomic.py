"""Write outputs so that a reader finds the old output or the complete new one, never a mix.

A folder is written into a hidden sibling (``.partial-PID-XXXXXXXX.NAME``), given its
manifest (:mod:`tempp_core.io.manifest`), flushed to disk, and then exchanged with the old
folder in one step (Linux ``renameat2(RENAME_EXCHANGE)``; where that is missing, two
renames with a window of a few microseconds between them). The old folder is then removed.
Single files are written beside their target and put in place with :func:`os.replace`.

While a write runs, SIGTERM and SIGHUP (when they have their default handler, in the main
thread) stop it with an exception: the partial output is removed, the old one stays, and the
signal is then delivered again so the process ends as it would have. A write that is
killed outright (SIGKILL, power loss) leaves its hidden sibling behind; the next write to
the same target removes it.
"""
from __future__ import annotations

import ctypes
import errno
import functools
import os
import secrets
import shutil
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import OutputError
from .manifest import FolderFormat, write_manifest

_PARTIAL = ".partial-"
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


class _Terminated(BaseException):
    """A termination signal arrived while an output was being written."""


class _Guard:
    """Turns the first termination signal into :class:`_Terminated`, or only records it
    while a step that must not be split (putting outputs in place) runs."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.critical = False

    def handler(self, signum: int, frame: Any) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if first and not self.critical:
            raise _Terminated(signum)

    def hold(self) -> None:
        """From now on a signal only waits for the end of the guard (for cleaning up)."""
        self.critical = True

    @contextmanager
    def unsplit(self) -> Iterator[None]:
        """Run the block whole; a signal that arrived meanwhile is raised after it."""
        self.critical = True
        try:
            yield
        finally:
            self.critical = False
        if self.signum is not None:
            raise _Terminated(self.signum)


@contextmanager
def _termination_guard() -> Iterator[_Guard]:
    """The guard's handler for termination signals while an output is written, over the
    default action or a Python handler (the CLI's, which raises): the signal then ends the
    write, the cleanup runs whole, and the previous action follows it. An ignored signal
    stays ignored."""
    guard = _Guard()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _SIGNALS:
            current = signal.getsignal(signum)
            if current is signal.SIG_DFL or callable(current):
                previous[signum] = signal.signal(signum, guard.handler)
    try:
        yield guard
    finally:
        guard.hold()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if guard.signum is not None:
            handler = previous.get(guard.signum)
            if callable(handler):
                handler(guard.signum, None)  # e.g. the CLI's: raises its own exception
            else:
                os.kill(os.getpid(), guard.signum)  # the default action: end the process


def _partial_path(target: Path) -> Path:
    return target.parent / f"{_PARTIAL}{os.getpid()}-{secrets.token_hex(4)}.{target.name}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _sweep(target: Path) -> None:
    """Remove partial outputs for ``target`` left by writers that were killed."""
    suffix = f".{target.name}"
    for path in target.parent.iterdir():
        name = path.name
        if name.startswith(_PARTIAL) and name.endswith(suffix):
            pid = name[len(_PARTIAL):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                _remove(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some systems cannot sync a folder; the files are synced already
        if not path.is_dir():
            raise
    finally:
        os.close(fd)


@functools.cache
def _renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, TypeError, AttributeError):  # not Linux, or a C library without it
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step; False where the system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _put_in_place(partial: Path, target: Path) -> None:
    """Move the complete ``partial`` folder to ``target``; the old target (if any) ends up
    at ``partial``."""
    if not target.exists():
        os.rename(partial, target)
    elif not _exchange(partial, target):
        aside = _partial_path(target)
        os.rename(target, aside)
        os.rename(partial, target)
        os.rename(aside, partial)
    _fsync(target.parent)


@contextmanager
def atomic_folder(target, fmt: FolderFormat, metadata: Mapping[str, Any]) -> Iterator[Path]:
    """Write a folder of format ``fmt`` all at once.

    Yields an empty temporary folder to write into. When the block ends normally, the
    manifest (with ``metadata``) is added and the folder replaces ``target`` whole: files
    the old folder had and the new one lacks are gone. On an exception or a termination
    signal, ``target`` is left as it was and the temporary folder is removed.

    Raises
    ------
    OutputError
        ``target`` is a file, holds files that are not of ``fmt`` (they would be lost),
        or its parent cannot be written (see :func:`check_output_path`).
    """
    target = check_output_path(target, folder=True, fmt=fmt)
    if target.is_symlink():
        target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep(target)
    with _termination_guard() as guard:
        partial = _partial_path(target)
        try:
            partial.mkdir()
            yield partial
            write_manifest(partial, fmt, metadata)
            for path in partial.iterdir():
                _fsync(path)
            _fsync(partial)
            with guard.unsplit():
                _put_in_place(partial, target)
        finally:
            guard.hold()
            _remove(partial)


@contextmanager
def atomic_files(*targets) -> Iterator[list[Path]]:
    """Write files all at once: yields a temporary path for each target (same folder, same
    name ending, so writers that infer a format from it still do); when the block ends
    normally they replace the targets, one right after the other, a termination signal
    waiting until all are in place. On an exception or a signal before that, the targets
    are left as they were and the temporary files are removed.
    """
    paths = [check_output_path(t, folder=False) for t in targets]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        _sweep(path)
    with _termination_guard() as guard:
        partials = [_partial_path(path) for path in paths]
        try:
            yield partials
            for partial in partials:
                _fsync(partial)
            with guard.unsplit():
                for partial, path in zip(partials, paths):
                    os.replace(partial, path)
            for parent in {path.parent for path in paths}:
                _fsync(parent)
        finally:
            guard.hold()
            for partial in partials:
                partial.unlink(missing_ok=True)


def _require_parquet_engine(path: Path) -> None:
    for engine in ("pyarrow", "fastparquet"):
        try:
            __import__(engine)
            return
        except ImportError:
            continue
    raise OutputError(f"writing {path} needs pyarrow (pip install pyarrow, or the 'dist' extra) or fastparquet; "
                      "or give a .csv file")


def check_output_path(path, *, folder: bool, fmt: FolderFormat | None = None) -> Path:
    """Cheap checks that ``path`` can be written, to run before expensive work.

    Parameters
    ----------
    path : path
    folder : bool
        A folder is to be written at ``path`` (else a file).
    fmt : FolderFormat, optional
        The folder will be replaced whole by one of this format: an existing folder may
        hold only files that format owns.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        A file where a folder is expected or the reverse; a folder holding other files
        (with ``fmt``); an ancestor that is a file or a parent folder that cannot be
        written; a .parquet file without a Parquet engine.
    """
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file; expected a folder (or a name that does not exist yet)")
    if not folder and path.is_dir():
        raise OutputError(f"{path} is a folder; expected a file name")
    if fmt is not None and path.is_dir():
        foreign = sorted(p.name for p in path.iterdir() if not (fmt.owns(p.name) and p.is_file()))
        if foreign:
            raise OutputError(f"{path} holds {', '.join(map(repr, foreign[:3]))}{' ...' if len(foreign) > 3 else ''}, "
                              f"which a {fmt.name} folder does not: writing there replaces the whole folder, "
                              "so choose a new or empty folder")
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: no permission to write in {parent}")
    if not folder and path.suffix == ".parquet":
        _require_parquet_engine(path)
    return path
