"""A case: a feeder, the market's participants, where they connect, and T periods."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .feeder import Feeder
from .market.participants import Market
from .temo.connection import Connection


@dataclass(frozen=True)
class Placement:
    """Where one participant connects (TEMO-side knowledge).

    Parameters
    ----------
    name : str
        DER or customer name.
    bus : str
        Bus name on the feeder.
    phases : str
        Phase letters; power splits equally unless ``shares`` are given.
    shares : tuple of float, optional
        Share of the power on each listed phase (sums to 1).
    """

    name: str
    bus: str
    phases: str
    shares: tuple[float, ...] | None = None


@dataclass(frozen=True, eq=False)
class Case:
    """Everything a clearing needs. The market side only ever sees :attr:`market`.

    Parameters
    ----------
    feeder : Feeder
    market : Market
        Participants' economics and the number of periods.
    placement : sequence of Placement
        One per DER and customer.
    name : str
    """

    feeder: Feeder
    market: Market
    placement: tuple[Placement, ...]
    name: str = "case"

    def __post_init__(self) -> None:
        object.__setattr__(self, "placement", tuple(self.placement))
        # Building the connections checks placement against the feeder (bus, phases, names).
        from .temo.connection import InjectionMap

        InjectionMap.build(self.feeder, self.market.layout(), self.connections())

    @property
    def n_periods(self) -> int:
        return self.market.n_periods

    def connections(self) -> tuple[Connection, ...]:
        """Placement plus each customer's reactive ratio tan(phi), for TEMO (built once)."""
        cached = self.__dict__.get("_connections")
        if cached is None:
            tan_phi = {c.name: float(np.tan(np.arccos(c.power_factor))) for c in self.market.customers}
            cached = tuple(Connection(p.name, p.bus, p.phases, p.shares, tan_phi.get(p.name, 0.0))
                           for p in self.placement)
            object.__setattr__(self, "_connections", cached)
        return cached

    def save(self, folder) -> "Path":
        """Write the case as a folder of CSV/TOML files (see :mod:`tempp_core.io.case_folder`)."""
        from .io.case_folder import write_case

        return write_case(self, folder)

    def with_market(self, market: Market) -> "Case":
        """The same network and placement with other participants' data (e.g. a scenario)."""
        return Case(self.feeder, market, self.placement, self.name)
