"""Specific exceptions raised at the API edge: one hierarchy, three families.

- :class:`InputError`: what was given is wrong (feeder, case, injections, options, files);
  the message names the file (and row and column), or the element, the field, the value and
  what was expected. The CLI exits with code 2.
- :class:`NoSecureResultError`: the input is fine but no secure clearing exists (the market
  alone cannot clear, or the network cannot be secured). The CLI exits with code 3 (as for a
  clearing that ends without a secure result).
- :class:`SolverError`: a numerical method failed. The CLI exits with code 4.

docs/reliability.md lists what is validated and every exit code.
"""
from __future__ import annotations


class TemppError(Exception):
    """Base class of every error tempp_core raises on purpose."""


class InputError(TemppError, ValueError):
    """Something given to tempp_core does not fit what it expects."""


class FeederError(InputError):
    """The feeder data are inconsistent (topology, phases, impedances, bases, names, files)."""


class InjectionError(InputError):
    """Injection arrays do not fit the feeder (shape, non-finite values, load on a missing phase)."""


class CaseError(InputError):
    """Participant or case data are inconsistent (bounds, profiles, placement, calibration, files)."""


class OptionsError(InputError):
    """An option has a value that is not allowed (names the option and the choices)."""


class OutputError(InputError):
    """An output path cannot be written as asked (a file where a folder is expected, a folder
    holding files of another kind, an unwritable parent, a missing optional writer)."""


class NoSecureResultError(TemppError):
    """No secure clearing exists for a valid case."""


class MarketInfeasibleError(NoSecureResultError):
    """The market alone (without the network) has no feasible clearing."""


class NetworkUnsecurableError(NoSecureResultError):
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
    """A numerical method (HiGHS, the master's Newton iterations) failed."""
