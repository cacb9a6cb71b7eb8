"""Progress on stderr for work that takes more than a few seconds."""
from __future__ import annotations

import sys
import time

#: Work shorter than this prints nothing (seconds).
QUIET_FOR_S = 2.0


class IterationPrinter:
    """Prints Benders rounds once a clearing has run for :data:`QUIET_FOR_S` seconds (all the
    rounds so far, then each new one)."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label, self.enabled = label, enabled
        self.start = time.perf_counter()
        self.pending: list = []
        self.shown = False

    def __call__(self, record) -> None:
        if not self.enabled:
            return
        self.pending.append(record)
        if not self.shown and time.perf_counter() - self.start < QUIET_FOR_S:
            return
        self.shown = True
        for r in self.pending:
            print(f"{self.label}: iteration {r.iteration}, summed violation Phi* {r.violation_pu:.3g} p.u., "
                  f"{r.cuts_added} cut(s), {time.perf_counter() - self.start:.1f} s", file=sys.stderr, flush=True)
        self.pending.clear()


def progress_bar(done: int, total: int) -> None:
    """A one-line bar for batches."""
    width = 30
    filled = int(width * done / total)
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="" if done < total else "\n",
          file=sys.stderr, flush=True)


def step(message: str) -> None:
    """A line for each step of a long study."""
    print(message, file=sys.stderr, flush=True)
