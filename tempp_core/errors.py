"""Specific exceptions raised at the API edge."""
from __future__ import annotations


class TemppError(Exception):
    """Base class of every error tempp_core raises on purpose."""


class FeederError(TemppError, ValueError):
    """The feeder data are inconsistent (topology, phases, impedances, bases, names)."""


class InjectionError(TemppError, ValueError):
    """Injection arrays do not fit the feeder (shape, non-finite values, load on a missing phase)."""


class CaseError(TemppError, ValueError):
    """Participant or case data are inconsistent (bounds, profiles, placement, calibration)."""


class OutputError(TemppError):
    """An output path cannot be written as asked (a file where a folder is expected, a folder
    holding files of another kind, an unwritable parent, a missing optional writer)."""


class MarketInfeasibleError(TemppError):
    """The market alone (without the network) has no feasible clearing."""


class NetworkUnsecurableError(TemppError):
    """The network cannot be secured with the flexibility the market has."""


class SolverError(TemppError, RuntimeError):
    """The LP solver failed for a reason other than infeasibility."""


class OptionsError(TemppError, ValueError):
    """A clearing option has a value that is not allowed (names the option and the choices)."""
