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


class MarketInfeasibleError(TemppError):
    """The market alone (without the network) has no feasible clearing."""


class NetworkUnsecurableError(TemppError):
    """The network cannot be secured with the flexibility the market has.

    Attributes
    ----------
    diagnosis : pandas.DataFrame or None
        Set by :func:`tempp_core.clear` (which runs both sides): TEMO's table of the
        constraints violated at the market's last proposal, with whether any participant can
        move them (:func:`tempp_core.network.temo.diagnosis.diagnose`). The market never sees it.
    """

    diagnosis = None


class SolverError(TemppError, RuntimeError):
    """The LP solver failed for a reason other than infeasibility."""


class OptionsError(TemppError, ValueError):
    """A clearing option has a value that is not allowed (names the option and the choices)."""
