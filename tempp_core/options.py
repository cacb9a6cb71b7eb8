"""The options of one clearing, validated once (model.md sections 3-5 and 7).

Every choice is an enum whose values are the strings users type (``cuts="period"``), so a
:class:`ClearingOptions` can be built from keyword arguments, a CLI or a file alike. The
network side (TEMO) reads ``sensitivity``, ``cuts``, ``privacy``, ``slack``, ``network`` and
``tol``; the market side reads ``loads``; the loop reads ``tol`` and ``max_iter``.
"""
from __future__ import annotations

import enum
import numbers
from dataclasses import dataclass, fields

from .errors import OptionsError


class Sensitivity(str, enum.Enum):
    """How TEMO computes cut gradients: exact adjoint sweeps, or the appendix's (B7)-(B14)."""

    EXACT = "exact"
    PAPER = "paper"


class CutMode(str, enum.Enum):
    """Cut granularity: one per violated period, one over everything, one per constraint."""

    PERIOD = "period"
    AGGREGATE = "aggregate"
    CONSTRAINT = "constraint"


class PrivacyMode(str, enum.Enum):
    """What TEMO does to its cuts so that they reveal less (model.md section 8, docs/privacy.md):
    send them as built (exact), mix them with random positive weights, coarsen their
    coefficients, withhold the violation and loosen right-hand sides, or all three (private).
    Every mode sends valid cuts only."""

    EXACT = "exact"
    MIX = "mix"
    COARSE = "coarse"
    WITHHOLD = "withhold"
    PRIVATE = "private"


class LoadMode(str, enum.Enum):
    """Customers' consumption decided with the network (joint), or by PBDR first (fixed)."""

    JOINT = "joint"
    FIXED = "fixed"


class SlackMethod(str, enum.Enum):
    """TEMO's slack problem (A5)-(A6): closed form, or the HiGHS LP."""

    CLOSED = "closed"
    LP = "lp"


class NetworkModel(str, enum.Enum):
    """The network model TEMO secures: LinDist3Flow (exact Benders), or AC by successive
    linearization (model.md section 7)."""

    LINDIST = "lindist"
    AC = "ac"


class AcCheck(str, enum.Enum):
    """Whether a clearing's result carries the AC state at its final transactions: ``auto``
    (feeders up to :data:`AC_CHECK_MAX_BUSES` buses), ``on`` or ``off``."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"


#: Largest feeder whose clearings are checked in AC by default (``ac_check="auto"``).
AC_CHECK_MAX_BUSES = 100_000


class Method(str, enum.Enum):
    """Privacy-preserving Benders, or the centralized reference with full knowledge."""

    BENDERS = "benders"
    CENTRALIZED = "centralized"


def parse_choice(cls: type[enum.Enum], name: str, value) -> enum.Enum:
    """``value`` as a member of ``cls`` (its string value is accepted), or an OptionsError."""
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cls)
        raise OptionsError(f"{name} must be one of {allowed}; got {value!r}") from None


@dataclass(frozen=True)
class ClearingOptions:
    """How to clear a case. Strings are accepted wherever an enum is expected.

    Parameters
    ----------
    sensitivity : Sensitivity
        Cut gradients: ``'exact'`` (default) or ``'paper'`` (Benders only).
    cuts : CutMode
        ``'period'`` (default), ``'aggregate'`` or ``'constraint'`` (Benders only).
    privacy : PrivacyMode
        ``'exact'`` (default), ``'mix'``, ``'coarse'``, ``'withhold'`` or ``'private'``
        (Benders only; docs/privacy.md).
    loads : LoadMode
        ``'joint'`` (default) or ``'fixed'``.
    slack : SlackMethod
        ``'closed'`` (default) or ``'lp'``.
    network : NetworkModel
        ``'lindist'`` (default) or ``'ac'``.
    ac_check : AcCheck
        ``'auto'`` (default), ``'on'`` or ``'off'``: the AC state at the final transactions.
    tol : float
        Largest accepted total violation Phi*, p.u. (>= 0).
    max_iter : int
        Benders iterations before the run ends unsecured (>= 1).

    Raises
    ------
    OptionsError
        Naming the option, the value and what is allowed.
    """

    sensitivity: Sensitivity = Sensitivity.EXACT
    cuts: CutMode = CutMode.PERIOD
    privacy: PrivacyMode = PrivacyMode.EXACT
    loads: LoadMode = LoadMode.JOINT
    slack: SlackMethod = SlackMethod.CLOSED
    network: NetworkModel = NetworkModel.LINDIST
    ac_check: AcCheck = AcCheck.AUTO
    tol: float = 1e-9
    max_iter: int = 200

    def __post_init__(self) -> None:
        for name, cls in (("sensitivity", Sensitivity), ("cuts", CutMode), ("privacy", PrivacyMode),
                          ("loads", LoadMode), ("slack", SlackMethod), ("network", NetworkModel),
                          ("ac_check", AcCheck)):
            object.__setattr__(self, name, parse_choice(cls, name, getattr(self, name)))
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (0.0 <= float(tol) < float("inf")):
            raise OptionsError(f"tol must be a finite number >= 0 (p.u.); got {tol!r}")
        object.__setattr__(self, "tol", float(tol))
        it = self.max_iter
        if isinstance(it, bool) or not isinstance(it, numbers.Integral) or it < 1:
            raise OptionsError(f"max_iter must be an integer >= 1; got {it!r}")
        object.__setattr__(self, "max_iter", int(it))

    @classmethod
    def build(cls, options: "ClearingOptions | None" = None, **overrides) -> "ClearingOptions":
        """``options`` (or the defaults) with keyword overrides; unknown keywords are refused."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise OptionsError(f"unknown clearing option(s) {unknown}; known: {sorted(known)}")
        if options is not None and not isinstance(options, cls):
            raise OptionsError(f"options is a {type(options).__name__}; expected ClearingOptions (or keyword "
                               "arguments such as tol=1e-6)")
        base = options if options is not None else cls()
        if not overrides:
            return base
        return cls(**{**{f.name: getattr(base, f.name) for f in fields(cls)}, **overrides})

    def as_dict(self) -> dict:
        """Plain values (strings, numbers), e.g. for a manifest."""
        return {f.name: getattr(self, f.name).value if isinstance(getattr(self, f.name), enum.Enum)
                else getattr(self, f.name) for f in fields(self)}
