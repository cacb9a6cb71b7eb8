"""The result of a clearing: dataclasses that turn into pandas tables (units in every column).

Network arrays follow the library's one convention: leading batch (here the period), then
the element in ``feeder.bus_names`` / ``feeder.line_names`` order, then the phase a, b, c.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..case import Case
from ..market.master import ObjectiveParts
from ..messages import Transactions
from ..network.feeder.phases import PHASE_LETTERS
from ..network.temo.limits import LimitExcess
from ..options import ClearingOptions, Method
from .settlement import Settlement
from .status import ClearingStatus

TABLES = ("transactions", "prices", "locational_prices", "settlement", "history", "voltages", "flows")


@dataclass(frozen=True, eq=False)
class Prices:
    """The clearing's marginal prices, $/kWh (model.md section 6).

    Attributes
    ----------
    rho : ndarray (T,)
        System (energy) price: the balance row's dual, the marginal cost of one more kWh of
        load at the swing bus.
    participant : ndarray (n_der + 1 + n_customer, T)
        Each participant's locational price, in the transaction layout's order: DERs
        (paid per kWh injected), the MG, customers (charged per kWh withdrawn). A DER's is
        ``rho_t - sum_k eta_k a_k[d, t]``, a customer's ``rho_t + sum_k eta_k a_k[c, t]``.
    connection : ndarray (T, n_bus, 3)
        Locational price of one kW of active withdrawal at unity power factor at every bus
        and phase (NaN on absent phases); the swing bus's is rho_t.
    cut_rent_usd : float or None
        ``sum_k eta_k b_k`` over the cuts (Benders), the identity the network rent must meet;
        None for the centralized method, which has no cuts.
    """

    rho: np.ndarray
    participant: np.ndarray
    connection: np.ndarray
    cut_rent_usd: float | None


@dataclass(frozen=True, eq=False)
class NetworkReport:
    """TEMO-side network state at the final transactions (never shown to the market).

    Attributes
    ----------
    vm : ndarray (T, n_bus, 3)
        Voltage magnitude, p.u. (NaN on absent phases).
    P, Q : ndarray (T, n_line, 3)
        Line flows at the sending end, p.u. (NaN on absent phases).
    worst_violation_before : float
        Largest single limit violation of the market cleared without the network, p.u.
        (voltages in |V|, flows in P or Q).
    worst_violation : float
        Largest single limit violation at the final transactions, p.u.
    vm_before : ndarray (T, n_bus, 3)
        Voltage magnitude of the market cleared without the network, p.u.
    phi_pu : float
        Phi*: the summed violation of every safety constraint at the final transactions, p.u.
    """

    bus_names: tuple[str, ...]
    line_names: tuple[str, ...]
    vm: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    worst_violation_before: float
    worst_violation: float
    vm_before: np.ndarray
    phi_pu: float


@dataclass(frozen=True, eq=False)
class AcReport:
    """The final transactions in AC: TEMO's unbalanced AC power flow
    (:func:`tempp_core.ac_power_flow`) with every participant at constant power (never shown
    to the market).

    Attributes
    ----------
    vm : ndarray (T, n_bus, 3)
        Voltage magnitude, p.u. (NaN on absent phases).
    P, Q : ndarray (T, n_line, 3)
        Flows at each line's sending end, p.u.
    converged : bool ndarray (T,)
    excess : LimitExcess
        Largest single AC violation of each class of limit (|V| high and low, |P|, |Q|), p.u.
    """

    vm: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    converged: np.ndarray
    excess: LimitExcess

    @property
    def worst_violation_pu(self) -> float:
        """Largest single AC limit violation, p.u. (0 when every limit holds)."""
        return self.excess.worst_pu


@dataclass(frozen=True, eq=False)
class ClearingResult:
    """Everything a clearing produced; :meth:`to_frame` gives any part as a table.

    Attributes
    ----------
    method : Method
    objective : float
        Social objective, $: LA revenue from personalized prices minus DER and MG costs.
    parts : ObjectiveParts
    status : ClearingStatus
        How the clearing ended; only ``optimal`` is secure (see :attr:`converged`).
    iterations : int
        Master solves (1 for centralized).
    history : tuple of IterationRecord
    transactions : Transactions
        p_d,t, p_m,t, p_c,t in kW.
    customer_price : ndarray (n_customer, T)
        Personalized price pi_c,t each customer pays the LA, $/kWh.
    prices : Prices
        System, locational (per participant and per connection point) prices.
    settlement : Settlement
    network : NetworkReport
        TEMO's state at the final transactions in the clearing's network model.
    time_s : float
    options : ClearingOptions
    case : Case
    ac : AcReport or None
        The final transactions in AC (None when ``options.ac_check`` leaves it out: ``off``,
        or ``auto`` on feeders above 100,000 buses).
    """

    method: Method
    objective: float
    parts: ObjectiveParts
    status: ClearingStatus
    iterations: int
    history: tuple
    transactions: Transactions
    customer_price: np.ndarray
    prices: Prices
    settlement: Settlement
    network: NetworkReport
    time_s: float
    options: ClearingOptions = field(default_factory=ClearingOptions)
    case: Case | None = None
    ac: AcReport | None = None

    @property
    def converged(self) -> bool:
        """True when the result is secure and optimal (status ``optimal``)."""
        return self.status.secure

    @property
    def rho(self) -> np.ndarray:
        """System price rho_t, $/kWh (T,)."""
        return self.prices.rho

    @property
    def der_price_raw(self) -> np.ndarray:
        """DERs' locational prices psi_d,t, $/kWh (n_der, T)."""
        return self.prices.participant[self.transactions.layout.der_rows]

    @property
    def der_price(self) -> np.ndarray:
        """What each DER is paid per kWh: its locational price, capped (Table C1), (n_der, T)."""
        return np.minimum(self.der_price_raw, self.settlement.price_cap_usd_per_kwh)

    def to_frame(self, table: str = "transactions") -> pd.DataFrame:
        """One of :data:`TABLES` as a long pandas DataFrame."""
        builders = {
            "transactions": self._transactions_frame,
            "prices": self._prices_frame,
            "locational_prices": self._locational_frame,
            "settlement": self.settlement.to_frame,
            "history": self._history_frame,
            "voltages": lambda: _network_frame(self.network.bus_names, "bus", {"vm_pu": self.network.vm}),
            "flows": lambda: _network_frame(self.network.line_names, "line",
                                            {"p_pu": self.network.P, "q_pu": self.network.Q}),
        }
        if table not in builders:
            raise ValueError(f"table must be one of {TABLES}, got {table!r}")
        return builders[table]()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, by name."""
        return {name: self.to_frame(name) for name in TABLES}

    def summary(self) -> str:
        """A few lines for a terminal (see :func:`tempp_core.clearing.report.summary`)."""
        from .report import summary

        return summary(self)

    # ------------------------------------------------------------------ table builders
    def _participants(self) -> tuple[list[str], list[str]]:
        lay = self.transactions.layout
        names = list(lay.der_names) + ["MG"] + list(lay.customer_names)
        kinds = ["der"] * lay.n_der + ["main_grid"] + ["customer"] * lay.n_customer
        return names, kinds

    def _history_frame(self) -> pd.DataFrame:
        columns = ["iteration", "violation_pu", "cuts_added", "master_objective_usd", "master_time_s", "temo_time_s"]
        return pd.DataFrame([vars(h) for h in self.history], columns=columns)

    def _transactions_frame(self) -> pd.DataFrame:
        t = self.transactions
        names, kinds = self._participants()
        T = t.layout.n_periods
        values = np.vstack([t.p_der_kw, t.p_mg_kw[None, :], t.p_customer_kw])
        return pd.DataFrame({
            "participant": np.repeat(names, T),
            "kind": np.repeat(kinds, T),
            "period": np.tile(np.arange(T), len(names)),
            "p_kw": values.ravel(),
        })

    def _prices_frame(self) -> pd.DataFrame:
        """Per participant and period: the locational price and the price actually paid or
        received per kWh (customers: personalized, to the LA; DERs: capped locational; MG: LMP)."""
        lay = self.transactions.layout
        names, kinds = self._participants()
        T = lay.n_periods
        lmp = self.case.market.lmp if self.case is not None else self.rho
        paid = np.vstack([self.der_price, np.asarray(lmp)[None, :], self.customer_price])
        return pd.DataFrame({
            "participant": np.repeat(names, T), "kind": np.repeat(kinds, T), "period": np.tile(np.arange(T), len(names)),
            "locational_usd_per_kwh": self.prices.participant.ravel(), "paid_usd_per_kwh": paid.ravel(),
        })

    def _locational_frame(self) -> pd.DataFrame:
        """Locational prices split into energy (rho) and network adder: per participant (with
        its bus and phases when the case is known) and per connection point (bus, phase)."""
        names, kinds = self._participants()
        T = self.transactions.layout.n_periods
        rho = self.rho
        where = {p.name: (p.bus, p.phases) for p in self.case.placement} if self.case is not None else {}
        swing = self.network.bus_names[0]
        bus = [where.get(n, (swing, "abc") if n == "MG" else ("", ""))[0] for n in names]
        phases = [where.get(n, (swing, "abc") if n == "MG" else ("", ""))[1] for n in names]
        participants = pd.DataFrame({
            "level": "participant", "name": np.repeat(names, T), "kind": np.repeat(kinds, T),
            "bus": np.repeat(bus, T), "phases": np.repeat(phases, T), "period": np.tile(np.arange(T), len(names)),
            "energy_usd_per_kwh": np.tile(rho, len(names)),
            "network_usd_per_kwh": (self.prices.participant - rho[None, :]).ravel(),
            "price_usd_per_kwh": self.prices.participant.ravel(),
        })
        conn = self.prices.connection  # (T, n_bus, 3)
        n_bus = conn.shape[1]
        b_names = np.tile(np.repeat(list(self.network.bus_names), 3), T)
        ph = np.tile(list(PHASE_LETTERS), n_bus * T)
        connections = pd.DataFrame({
            "level": "connection", "name": np.char.add(np.char.add(b_names.astype(str), "."), ph), "kind": "bus_phase",
            "bus": b_names, "phases": ph, "period": np.repeat(np.arange(T), n_bus * 3),
            "energy_usd_per_kwh": np.repeat(rho, n_bus * 3), "network_usd_per_kwh": (conn - rho[:, None, None]).ravel(),
            "price_usd_per_kwh": conn.ravel(),
        }).dropna(subset=["price_usd_per_kwh"])
        return pd.concat([participants, connections], ignore_index=True)


def _network_frame(names, kind: str, columns: dict) -> pd.DataFrame:
    """Long table of (T, n, 3) arrays: one row per period, element and present phase."""
    T, n, _ = next(iter(columns.values())).shape
    frame = pd.DataFrame({
        "period": np.repeat(np.arange(T), n * 3),
        kind: np.tile(np.repeat(list(names), 3), T),
        "phase": np.tile(list(PHASE_LETTERS), n * T),
        **{c: v.ravel() for c, v in columns.items()},
    })
    return frame.dropna(subset=list(columns)).reset_index(drop=True)
