"""The master problem (A1)-(A3): the market's clearing over transactions, plus the cuts it is sent.

Solved exactly in its dual (:mod:`.newton`): the work of one solve grows linearly with
customers x periods and needs no two customers to be alike. Warm: each solve starts from the
previous prices, new cuts at zero.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np

from ..errors import MarketInfeasibleError, NetworkUnsecurableError, SolverError
from ..messages import FeasibilityCut, Transactions
from ..options import LoadMode
from . import newton
from .cut_classes import CutRows
from .participants import Market
from .pbdr import price_from_load
from .supply import supply_block


@dataclass(frozen=True)
class ObjectiveParts:
    """The social objective's parts over the horizon, $.

    Attributes
    ----------
    revenue_usd : float
        The load aggregator's revenue from personalized prices, sum of alpha p - 2 beta p^2.
    der_cost_usd : float
        DERs' bid cost, sum of gamma_d p_d.
    mg_cost_usd : float
        Main-grid purchase at the LMP, sum of lambda_t p_m.
    """

    revenue_usd: float
    der_cost_usd: float
    mg_cost_usd: float

    @property
    def total_usd(self) -> float:
        """Social objective: revenue minus DER and MG costs, $."""
        return self.revenue_usd - self.der_cost_usd - self.mg_cost_usd

    @classmethod
    def of(cls, market: Market, transactions: Transactions) -> "ObjectiveParts":
        """The parts at given transactions (kW, one-hour periods)."""
        p = transactions.p_customer_kw
        revenue = (market.alpha[:, None] * p - 2.0 * market.beta[:, None] * p**2).sum()
        return cls(float(revenue), float((market.der_cost[:, None] * transactions.p_der_kw).sum()),
                   float((market.lmp * transactions.p_mg_kw).sum()))


@dataclass(frozen=True, eq=False)
class MasterSolution:
    """One optimal master solve.

    Attributes
    ----------
    x_kw : ndarray (layout.size,)
    transactions : Transactions
    objective : float
        Social objective at x, $.
    parts : ObjectiveParts
    rho : ndarray (T,)
        System price: the marginal cost of one more kWh of load in period t, $/kWh.
    cut_duals : ndarray (n_cuts,)
        eta_k >= 0: the objective's gain per unit of cut k's right-hand side.
    supply_price : ndarray (n_der + 1, T)
        The marginal price of each DER's sale, ``rho_t - sum_k eta_k a_k[d, t]``, and the MG's
        (last row), $/kWh.
    customer_class_price : ndarray (n_class, T), customer_class : ndarray (n_customer,)
        The marginal price of consumption ``rho_t + sum_k eta_k a_k[c, t]`` of each class of
        customers that cuts see alike, and each customer's class.
    newton_steps : int
    solve_time_s : float
    market : Market
    """

    x_kw: np.ndarray
    transactions: Transactions
    objective: float
    parts: ObjectiveParts
    rho: np.ndarray
    cut_duals: np.ndarray
    supply_price: np.ndarray
    customer_class_price: np.ndarray
    customer_class: np.ndarray
    newton_steps: int
    solve_time_s: float
    market: Market

    @cached_property
    def locational_price(self) -> np.ndarray:
        """Each participant's marginal price at its connection, (n_der + 1 + n_customer, T),
        $/kWh (model.md section 6): DERs and the MG, then customers. Computed from the
        master's own duals and cuts."""
        return np.vstack([self.supply_price, self.customer_class_price[self.customer_class]])

    @cached_property
    def customer_price(self) -> np.ndarray:
        """Personalized price pi_c,t = alpha_c - 2 beta_c p_c,t, (n_customer, T), $/kWh."""
        m = self.market
        return price_from_load(m.alpha[:, None], m.beta[:, None], self.transactions.p_customer_kw)


class MasterProblem:
    """The market's side of the Benders loop: participants' economics and received cuts.

    Parameters
    ----------
    market : Market
    loads : LoadMode
        ``fixed``: the first solve is PBDR without the network; customers' consumption is
        then held at that result and only DERs and the MG move.
    """

    def __init__(self, market: Market, loads: LoadMode | str = LoadMode.JOINT) -> None:
        self.market = market
        self.loads = LoadMode(loads)
        self.layout = market.layout()
        self._customers = newton.Customers(market.alpha, 4.0 * market.beta, market.p_lo, market.p_hi,
                                           market.energy_min)
        self._supply = supply_block(market)
        self._cuts = CutRows.empty(self.layout)
        self._received: list[FeasibilityCut] = []
        self._prices: np.ndarray | None = None  # warm start (rho, eta)

    @property
    def n_cuts(self) -> int:
        return self._cuts.n_cut

    @property
    def cuts(self) -> tuple[FeasibilityCut, ...]:
        """Every cut received, in order."""
        return tuple(self._received)

    def add_cuts(self, cuts: Sequence[FeasibilityCut]) -> None:
        """Append cuts ``coef . x[index] <= rhs`` (x: the full transaction vector)."""
        if not cuts:
            return
        self._cuts = self._cuts.extend(cuts, self.layout)
        self._received.extend(cuts)
        if self._prices is not None:
            self._prices = np.concatenate([self._prices, np.zeros(len(cuts))])

    def solve(self) -> MasterSolution:
        """Solve the master with the cuts so far (warm after the first solve).

        Raises
        ------
        MarketInfeasibleError
            On the first solve: the market cannot clear even without the network.
        NetworkUnsecurableError
            After cuts: the network cannot be secured with the available flexibility.
        """
        T = self.layout.n_periods
        start = time.perf_counter()
        y0 = self._prices if self._prices is not None else _initial_prices(self.market, self.n_cuts)
        try:
            try:
                sol = newton.solve(self._customers, self._supply, self._cuts, T, y0)
            except SolverError:  # a stall on a degenerate set of cuts: the exact, slower path
                sol = newton.solve_primal(self._customers, self._supply, self._cuts, T)
        except newton.InfeasibleRows as exc:
            self._raise_infeasible(exc)
        elapsed = time.perf_counter() - start
        self._prices = np.concatenate([sol.rho, sol.eta])
        x = np.concatenate([sol.z, sol.p.ravel()])
        if self.loads is LoadMode.FIXED and self.n_cuts == 0:
            # PBDR alone has set the loads: hold them from now on.
            self._customers = newton.Customers(self._customers.alpha, self._customers.four_beta, sol.p.copy(),
                                               sol.p.copy(), np.zeros(sol.p.shape[0]))
        transactions = Transactions.from_vector(self.layout, x)
        cost = self._supply.cost * sol.z
        n_der_cols = self.layout.mg_slice.start
        parts = ObjectiveParts(sol.revenue, float(cost[:n_der_cols].sum()), float(cost[n_der_cols:].sum()))
        supply_price = sol.rho[self._supply.period] - self._cuts.supply.T @ sol.eta
        return MasterSolution(
            x_kw=x, transactions=transactions, objective=parts.total_usd, parts=parts, rho=sol.rho,
            cut_duals=sol.eta, supply_price=supply_price.reshape(-1, T), customer_class_price=sol.psi,
            customer_class=self._cuts.classes.label, newton_steps=sol.steps, solve_time_s=elapsed,
            market=self.market,
        )

    def _raise_infeasible(self, exc: "newton.InfeasibleRows") -> None:
        if self.n_cuts == 0:
            raise MarketInfeasibleError(market_shortfall(self.market)) from None
        periods = sorted({t for k in exc.cuts for t in self._received[k].periods} | set(exc.periods))
        raise NetworkUnsecurableError(
            "the network cannot be secured with the flexibility the market has: no clearing satisfies "
            f"TEMO's feasibility cuts; periods with cuts that cannot all hold: {periods}"
        ) from None


def transaction_bounds(market: Market) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of every transaction (kW, the layout's order): DERs and the MG
    within [0, capacity], customers within their band and price-feasible interval."""
    supply = supply_block(market)
    return (np.concatenate([np.zeros(supply.upper.size), market.p_lo.ravel()]),
            np.concatenate([supply.upper, market.p_hi.ravel()]))


def _initial_prices(market: Market, n_cuts: int) -> np.ndarray:
    """Cold start: the LMP as the balance price, every cut slack."""
    return np.concatenate([np.asarray(market.lmp, dtype=np.float64), np.zeros(n_cuts)])


def market_shortfall(market: Market) -> str:
    """Explain why the market alone cannot clear, naming periods and totals (kW, kWh)."""
    supply = market.der_p_max.sum(axis=0) + market.grid.p_max_kw
    demand_min = market.p_lo.sum(axis=0)
    short = np.flatnonzero(demand_min > supply + 1e-9)
    if short.size:
        detail = ", ".join(f"t={t}: min demand {demand_min[t]:.4g} kW > max supply {supply[t]:.4g} kW"
                           for t in short[:6])
        return f"the market cannot clear in period(s) {short.tolist()}: {detail}"
    need = market.energy_min.sum()
    return (f"the market cannot clear: customers' daily floors need {need:.4g} kWh in all, with max supply "
            f"{np.minimum(supply, market.p_hi.sum(axis=0)).sum():.4g} kWh over the day")
