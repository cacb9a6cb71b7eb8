"""Who pays whom, at the prices of the clearing (model.md section 6).

- Customer c pays the load aggregator (LA) its personalized price ``pi_c,t`` per kWh.
- The LA buys each customer's energy at the customer's locational price ``psi_c,t``.
- DER d is paid its locational price ``psi_d,t``, capped at Table C1's price cap: above the
  cap the DER is paid the cap and the difference stays with the market operator (a
  reported line, ``price_cap_surplus``).
- The main grid is paid its LMP ``lambda_t``; its locational price is ``psi_m,t`` (rho_t in
  exact mode, where cuts do not involve the swing bus), and ``(psi_m - lambda) p_m`` is the MG
  transformer's congestion rent (positive only when its capacity binds).
- TEMO collects the network rent ``R = sum psi_c p_c - sum psi_d p_d - sum psi_m p_m``.

Every line is a payment at a reported price; the lines add up to the social objective
(LA profit + DER profits + R + MG congestion rent + price-cap surplus), which the tests check
against payments computed by hand from the duals. By complementary slackness
``R = sum_k eta_k b_k`` over the cuts (checked too).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class Settlement:
    """Payments over the horizon, $ (one-hour periods).

    Attributes
    ----------
    customer_payment_usd : ndarray (n_customer,)
        Paid by each customer to the LA (at its personalized price).
    la_purchase_usd : float
        Paid by the LA for its customers' energy at their locational prices.
    der_revenue_usd, der_cost_usd : ndarray (n_der,)
        Paid to each DER (at its capped locational price), and its bid cost.
    mg_payment_usd : float
        Paid to the main grid at its LMP.
    mg_congestion_rent_usd : float
        ``sum (psi_m - lambda) p_m``: the MG transformer's congestion rent.
    price_cap_surplus_usd : float
        Withheld from DERs whose locational price exceeded the cap.
    network_rent_usd : float
        Collected by TEMO: ``sum psi_c p_c - sum psi_d p_d - sum psi_m p_m``.
    price_cap_usd_per_kwh : float
    """

    customer_names: tuple[str, ...]
    der_names: tuple[str, ...]
    customer_payment_usd: np.ndarray
    la_purchase_usd: float
    der_revenue_usd: np.ndarray
    der_cost_usd: np.ndarray
    mg_payment_usd: float
    mg_congestion_rent_usd: float
    price_cap_surplus_usd: float
    network_rent_usd: float
    price_cap_usd_per_kwh: float

    @property
    def la_profit_usd(self) -> float:
        return float(self.customer_payment_usd.sum() - self.la_purchase_usd)

    @property
    def der_profit_usd(self) -> np.ndarray:
        return self.der_revenue_usd - self.der_cost_usd

    @property
    def total_profit_usd(self) -> float:
        """Every actor's profit; equals the social objective."""
        return (self.la_profit_usd + float(self.der_profit_usd.sum()) + self.network_rent_usd
                + self.mg_congestion_rent_usd + self.price_cap_surplus_usd)

    def to_frame(self) -> pd.DataFrame:
        """One row per actor or line: received, paid and profit, $."""
        rows = [("customer", n, 0.0, pay, -pay) for n, pay in zip(self.customer_names, self.customer_payment_usd)]
        rows.append(("aggregator", "LA", float(self.customer_payment_usd.sum()), self.la_purchase_usd,
                     self.la_profit_usd))
        rows += [("der", n, r, c, r - c) for n, r, c in zip(self.der_names, self.der_revenue_usd, self.der_cost_usd)]
        rows.append(("main_grid", "MG", self.mg_payment_usd, self.mg_payment_usd, 0.0))
        rows.append(("network", "TEMO (network rent)", self.network_rent_usd, 0.0, self.network_rent_usd))
        rows.append(("market", "MG transformer congestion rent", self.mg_congestion_rent_usd, 0.0,
                     self.mg_congestion_rent_usd))
        rows.append(("market", "DER price-cap surplus", self.price_cap_surplus_usd, 0.0, self.price_cap_surplus_usd))
        return pd.DataFrame(rows, columns=["actor", "name", "received_usd", "paid_usd", "profit_usd"])


def settle(*, der_names, customer_names, p_der_kw, p_mg_kw, p_customer_kw, customer_price, locational_price,
           der_cost_per_kwh, lmp, price_cap) -> Settlement:
    """Every payment from quantities (kW, one-hour periods) and prices ($/kWh).

    Shapes: ``p_der_kw`` (n_der, T); ``p_customer_kw``, ``customer_price`` (n_customer, T);
    ``p_mg_kw``, ``lmp`` (T,); ``locational_price`` (n_der + 1 + n_customer, T) in the
    transaction layout's participant order (DERs, MG, customers); ``der_cost_per_kwh`` (n_der,).
    """
    n_der = p_der_kw.shape[0]
    psi_der, psi_mg, psi_customer = locational_price[:n_der], locational_price[n_der], locational_price[n_der + 1:]
    paid_der = np.minimum(psi_der, price_cap)
    der_revenue = (paid_der * p_der_kw).sum(axis=1)
    network_rent = float((psi_customer * p_customer_kw).sum() - (psi_der * p_der_kw).sum() - (psi_mg * p_mg_kw).sum())
    return Settlement(
        tuple(customer_names), tuple(der_names),
        customer_payment_usd=(customer_price * p_customer_kw).sum(axis=1),
        la_purchase_usd=float((psi_customer * p_customer_kw).sum()),
        der_revenue_usd=der_revenue,
        der_cost_usd=(np.asarray(der_cost_per_kwh)[:, None] * p_der_kw).sum(axis=1),
        mg_payment_usd=float((lmp * p_mg_kw).sum()),
        mg_congestion_rent_usd=float(((psi_mg - lmp) * p_mg_kw).sum()),
        price_cap_surplus_usd=float(((psi_der - paid_der) * p_der_kw).sum()),
        network_rent_usd=network_rent,
        price_cap_usd_per_kwh=float(price_cap),
    )
