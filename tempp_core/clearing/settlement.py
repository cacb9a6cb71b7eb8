"""Who pays whom: prices and the money balances of every actor (model.md section 4).

- Customers pay their personalized price: ``pi_c,t * p_c,t`` to the load aggregator (LA).
- The LA buys its customers' energy at the system price ``rho_t``.
- DER d is paid ``pi_d,t * p_d,t`` at its (raw) DER price; its profit subtracts ``gamma_d``.
- The main grid is paid the LMP ``lambda_t * p_m,t``.
- What the market collects but does not pay out is the network (congestion) rent.

The identity ``LA profit + DER profits + network rent = objective`` holds by construction of
these payments; tests check it to rounding on solved cases.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Table C1: DER selling prices are reported clipped to [0, max LMP of the day].
DER_PRICE_FLOOR = 0.0


@dataclass(frozen=True, eq=False)
class Settlement:
    """Payments ($) over the horizon.

    Attributes
    ----------
    customer_payment : ndarray (n_customer,)
        Paid by each customer to the LA.
    la_energy_cost : float
        Paid by the LA to the market for its customers' energy (at rho_t).
    der_revenue, der_cost, der_profit : ndarray (n_der,)
    mg_payment : float
        Paid to the main grid at the LMP.
    network_rent : float
        Collected by the market and not paid out (congestion rent).
    """

    customer_names: tuple[str, ...]
    der_names: tuple[str, ...]
    customer_payment: np.ndarray
    la_energy_cost: float
    der_revenue: np.ndarray
    der_cost: np.ndarray
    der_profit: np.ndarray
    mg_payment: float
    network_rent: float

    @property
    def la_profit(self) -> float:
        return float(self.customer_payment.sum() - self.la_energy_cost)

    @property
    def total_profit(self) -> float:
        """LA + DERs + network rent (the MG is paid its LMP and makes no profit over it)."""
        return self.la_profit + float(self.der_profit.sum()) + self.network_rent

    def to_frame(self) -> pd.DataFrame:
        """One row per actor: payment received, paid, profit ($)."""
        rows = [("customer", n, 0.0, pay, -pay) for n, pay in zip(self.customer_names, self.customer_payment)]
        rows.append(("aggregator", "LA", float(self.customer_payment.sum()), self.la_energy_cost, self.la_profit))
        rows += [("der", n, r, c, p) for n, r, c, p in zip(self.der_names, self.der_revenue, self.der_cost, self.der_profit)]
        rows.append(("main_grid", "MG", self.mg_payment, self.mg_payment, 0.0))
        rows.append(("network", "TEMO", self.network_rent, 0.0, self.network_rent))
        return pd.DataFrame(rows, columns=["actor", "name", "received", "paid", "profit"])


def settle(*, der_names, customer_names, p_der_kw, p_mg_kw, p_customer_kw, customer_price, rho,
           der_price, der_cost_per_kwh, lmp) -> Settlement:
    """Compute every payment from quantities (kW, one-hour periods) and prices ($/kWh).

    Shapes: ``p_der_kw``, ``der_price`` (n_der, T); ``p_customer_kw``, ``customer_price``
    (n_customer, T); ``p_mg_kw``, ``rho``, ``lmp`` (T,); ``der_cost_per_kwh`` (n_der,).
    """
    customer_payment = (customer_price * p_customer_kw).sum(axis=1)
    la_energy_cost = float((rho * p_customer_kw.sum(axis=0)).sum())
    der_revenue = (der_price * p_der_kw).sum(axis=1)
    der_cost = np.asarray(der_cost_per_kwh)[:, None] * p_der_kw
    der_cost = der_cost.sum(axis=1)
    mg_payment = float((lmp * p_mg_kw).sum())
    rent = la_energy_cost - float(der_revenue.sum()) - mg_payment
    return Settlement(tuple(customer_names), tuple(der_names), customer_payment, la_energy_cost,
                      der_revenue, der_cost, der_revenue - der_cost, mg_payment, rent)
