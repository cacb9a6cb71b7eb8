"""The result of a clearing: dataclasses that turn into pandas tables."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..market.master import ObjectiveParts
from ..messages import Transactions
from ..network.feeder.phases import PHASE_LETTERS
from ..options import ClearingOptions, Method
from .settlement import Settlement
from .status import ClearingStatus

TABLES = ("transactions", "prices", "settlement", "history", "voltages", "flows")


@dataclass(frozen=True, eq=False)
class NetworkReport:
    """TEMO-side network state at the final transactions (never shown to the market).

    Arrays follow the library's one convention for network arrays: leading batch (here the
    period), then the element in ``feeder.bus_names`` / ``feeder.line_names`` order, then the
    phase.

    Attributes
    ----------
    vm : ndarray (T, n_bus, 3)
        Voltage magnitude, p.u. (NaN on absent phases).
    P, Q : ndarray (T, n_line, 3)
        Line flows at the sending end, p.u. (NaN on absent phases).
    worst_violation_before : float
        Largest single limit violation of the market cleared without the network, p.u.
    worst_violation : float
        Largest single limit violation at the final transactions, p.u.
    vm_before : ndarray (T, n_bus, 3)
        Voltage magnitude of the market cleared without the network, p.u.
    """

    bus_names: tuple[str, ...]
    line_names: tuple[str, ...]
    vm: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    worst_violation_before: float
    worst_violation: float
    vm_before: np.ndarray


@dataclass(frozen=True, eq=False)
class ClearingResult:
    """Everything a clearing produced; :meth:`to_frame` gives any part as a table.

    Attributes
    ----------
    method : Method
    objective : float
        Social objective, $: LA revenue from personalized prices minus DER and MG costs.
    parts : ObjectiveParts
        Revenue, DER cost and MG cost, $.
    status : ClearingStatus
        How the clearing ended; only ``optimal`` is secure (see :attr:`converged`).
    iterations : int
        Master solves (1 for centralized).
    history : tuple of IterationRecord
    transactions : Transactions
        p_d,t, p_m,t, p_c,t in kW.
    customer_price : ndarray (n_customer, T)
        Personalized price pi_c,t, $/kWh.
    rho : ndarray (T,)
        System price (dual of the balance), $/kWh.
    der_price_raw, der_price : ndarray (n_der, T)
        DER price rho_t - sum_k eta_k a_k[d, t], raw and clipped to [0, max LMP] (Table C1).
    settlement : Settlement
    network : NetworkReport
    time_s : float
    options : ClearingOptions
    """

    method: Method
    objective: float
    parts: ObjectiveParts
    status: ClearingStatus
    iterations: int
    history: tuple
    transactions: Transactions
    customer_price: np.ndarray
    rho: np.ndarray
    der_price_raw: np.ndarray
    der_price: np.ndarray
    settlement: Settlement
    network: NetworkReport
    time_s: float
    options: ClearingOptions = field(default_factory=ClearingOptions)

    @property
    def converged(self) -> bool:
        """True when the result is secure and optimal (status ``optimal``)."""
        return self.status.secure

    def to_frame(self, table: str = "transactions") -> pd.DataFrame:
        """One of :data:`TABLES` as a long pandas DataFrame."""
        builders = {
            "transactions": self._transactions_frame,
            "prices": self._prices_frame,
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
        """A few lines for a terminal."""
        t = self.transactions
        s = self.settlement
        lines = [
            f"method {self.method.value}: objective {self.objective:.6f} $ "
            f"({'converged' if self.converged else 'NOT converged: ' + self.status.value}, "
            f"{self.iterations} iteration(s), {self.time_s:.3f} s)",
            f"  revenue {self.parts.revenue_usd:.4f} $, DER cost {self.parts.der_cost_usd:.4f} $, "
            f"MG cost {self.parts.mg_cost_usd:.4f} $",
            f"  worst limit violation: {self.network.worst_violation_before:.4g} p.u. without the network, "
            f"{self.network.worst_violation:.3g} p.u. after",
            f"  customer prices {self.customer_price.min():.4f}..{self.customer_price.max():.4f} $/kWh; "
            f"system price {self.rho.min():.4f}..{self.rho.max():.4f}; "
            f"DER prices {self.der_price.min():.4f}..{self.der_price.max():.4f}",
            f"  energy: DER {t.p_der_kw.sum():.1f} kWh, MG {t.p_mg_kw.sum():.1f} kWh, "
            f"customers {t.p_customer_kw.sum():.1f} kWh; LA profit {s.la_profit:.4f} $, "
            f"network rent {s.network_rent:.4f} $",
        ]
        return "\n".join(lines)

    # ------------------------------------------------------------------ table builders
    def _history_frame(self) -> pd.DataFrame:
        columns = ["iteration", "violation_pu", "cuts_added", "master_objective_usd", "master_time_s", "temo_time_s"]
        return pd.DataFrame([vars(h) for h in self.history], columns=columns)

    def _transactions_frame(self) -> pd.DataFrame:
        t = self.transactions
        lay = t.layout
        names = list(lay.der_names) + ["MG"] + list(lay.customer_names)
        kinds = ["der"] * lay.n_der + ["main_grid"] + ["customer"] * lay.n_customer
        values = np.vstack([t.p_der_kw, t.p_mg_kw[None, :], t.p_customer_kw])
        T = lay.n_periods
        return pd.DataFrame({
            "participant": np.repeat(names, T),
            "kind": np.repeat(kinds, T),
            "period": np.tile(np.arange(T), len(names)),
            "p_kw": values.ravel(),
        })

    def _prices_frame(self) -> pd.DataFrame:
        lay = self.transactions.layout
        T = lay.n_periods
        parts = [
            ("customer", lay.customer_names, self.customer_price, self.customer_price),
            ("der", lay.der_names, self.der_price_raw, self.der_price),
            ("system", ("rho",), self.rho[None, :], self.rho[None, :]),
        ]
        frames = [pd.DataFrame({
            "kind": kind, "name": np.repeat(list(names), T), "period": np.tile(np.arange(T), len(names)),
            "price_raw_usd_per_kwh": raw.ravel(), "price_usd_per_kwh": clipped.ravel(),
        }) for kind, names, raw, clipped in parts]
        return pd.concat(frames, ignore_index=True)


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
