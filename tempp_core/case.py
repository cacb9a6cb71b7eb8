"""A case: a feeder, the market's participants, where they connect, and T periods.

The case is where the two wings meet: the market side only ever sees :attr:`Case.market`,
TEMO the feeder, the placement and the customers' power factors. Reading and writing case
folders is :mod:`tempp_core.io`'s job.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .market.participants import Market
from .network.feeder import Feeder
from .network.placement import InjectionMap, Placement


@dataclass(frozen=True, eq=False)
class Case:
    """Everything a clearing needs.

    Parameters
    ----------
    feeder : Feeder
    market : Market
        Participants' economics and the number of periods.
    placement : sequence of Placement
        One per DER and customer.
    name : str
    notes : tuple of str
        What the builder of the case wants a reader to know (e.g. what an OpenDSS import left
        out and which defaults it used); no part of the clearing.

    Raises
    ------
    CaseError
        Placement that does not fit the market or the feeder (names the participant).
    """

    feeder: Feeder
    market: Market
    placement: tuple[Placement, ...]
    name: str = "case"
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "placement", tuple(self.placement))
        object.__setattr__(self, "name", str(self.name))
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes))
        # Building the map checks placement against the feeder (bus, phases, names).
        object.__setattr__(self, "_injections", InjectionMap.build(self.feeder, self.market.layout(), self.placement,
                                                                 self.customer_tan_phi))

    @property
    def n_periods(self) -> int:
        return self.market.n_periods

    @property
    def customer_tan_phi(self) -> np.ndarray:
        """tan(phi) of each customer's load (q = p tan(phi)), market order, (n_customer,)."""
        pf = np.array([c.power_factor for c in self.market.customers], dtype=np.float64)
        return np.tan(np.arccos(pf))

    @property
    def injections(self) -> InjectionMap:
        """TEMO's map from transactions (kW) to net loads (p.u.), built once."""
        return self._injections

    def with_market(self, market: Market) -> "Case":
        """The same network and placement with other participants' data (e.g. a scenario)."""
        return Case(self.feeder, market, self.placement, self.name, self.notes)
