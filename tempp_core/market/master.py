"""The master problem (A1)-(A3): the market's LP over transactions, plus the cuts it is sent.

Columns: the transaction vector x (kW, :class:`~tempp_core.messages.TransactionLayout`)
followed by one revenue epigraph variable r_c,t per customer-period ($). Minimizes
``-sum r + sum gamma_d p_d + sum lambda_t p_m`` (the negative of the social objective).
All rows are built as sparse blocks, for all customers and periods at once.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ..errors import MarketInfeasibleError, NetworkUnsecurableError
from ..lp import LinearProgram, LPStatus
from ..messages import FeasibilityCut, TransactionLayout, Transactions
from .groups import CustomerGroups
from .participants import Market
from .pbdr import price_from_load
from .revenue import REVENUE_TOL, RevenueApproximation, revenue

LOAD_MODES = ("joint", "fixed")


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


@dataclass(frozen=True, eq=False)
class MarketLP:
    """The market's columns and rows, reusable by the centralized solver.

    Attributes
    ----------
    cost, col_lower, col_upper : ndarray (n_cols,)
    A : csr_matrix (n_rows, n_cols); row_lower, row_upper : ndarray (n_rows,)
        Balance rows first (one per period), then daily-floor rows (one per customer).
    p_cols, r_cols : ndarray (n_customer * T,)
        Columns of p_c,t and of its revenue variable, customer-major.
    alpha, beta, p_lo, p_hi : ndarray (n_customer * T,)
        Per customer-period, aligned with ``p_cols``.
    """

    layout: TransactionLayout
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    p_cols: np.ndarray
    r_cols: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    p_lo: np.ndarray
    p_hi: np.ndarray

    @property
    def balance_rows(self) -> np.ndarray:
        return np.arange(self.layout.n_periods)

    def objective_parts(self, x_kw: np.ndarray, market: Market) -> ObjectiveParts:
        """Exact revenue, DER cost and MG cost ($) at transactions x."""
        lay = self.layout
        rev = float(revenue(self.alpha, self.beta, x_kw[self.p_cols]).sum())
        der_cost = float((market.der_cost[:, None] * lay.ders(x_kw)).sum())
        mg_cost = float((market.lmp * lay.mg(x_kw)).sum())
        return ObjectiveParts(rev, der_cost, mg_cost)

    def build(self, revenue_tol: float = REVENUE_TOL) -> tuple[LinearProgram, RevenueApproximation]:
        """A live LP holding these columns and rows, and the tangent approximation of its revenue."""
        lp = LinearProgram()
        lp.add_columns(self.cost, self.col_lower, self.col_upper)
        lp.add_rows(self.A, self.row_lower, self.row_upper)
        return lp, RevenueApproximation(lp, self.p_cols, self.r_cols, self.alpha, self.beta, self.p_lo,
                                        self.p_hi, revenue_tol)


def build_market_lp(market: Market, groups: CustomerGroups | None = None) -> MarketLP:
    """Assemble (A1)-(A3) for ``market`` as sparse blocks.

    With ``groups``, each group of interchangeable customers is one column per period (their
    sum): bounds and daily floor times the group size, ``beta / size`` (see
    :mod:`tempp_core.market.groups`); the layout's customers are then the groups.
    """
    lay = market.layout()
    alpha, beta, p_lo, p_hi, energy_min = market.alpha, market.beta, market.p_lo, market.p_hi, market.energy_min
    if groups is not None:
        lay = groups.reduced_layout(lay)
        m, first = groups.size, groups.first
        alpha, beta = alpha[first], beta[first] / m
        p_lo, p_hi, energy_min = p_lo[first] * m[:, None], p_hi[first] * m[:, None], energy_min[first] * m
    T, nd, nc = lay.n_periods, lay.n_der, lay.n_customer
    n_x = lay.size
    n_cols = n_x + nc * T
    cost = np.zeros(n_cols)
    cost[: nd * T] = np.repeat(market.der_cost, T)
    cost[nd * T:(nd + 1) * T] = market.lmp
    cost[n_x:] = -1.0
    lower = np.zeros(n_cols)
    upper = np.empty(n_cols)
    upper[: nd * T] = market.der_p_max.ravel()
    upper[nd * T:(nd + 1) * T] = market.grid.p_max_kw
    p_cols = np.arange((nd + 1) * T, n_x)
    lower[p_cols] = p_lo.ravel()
    upper[p_cols] = p_hi.ravel()
    lower[n_x:], upper[n_x:] = -np.inf, np.inf
    # Balance: sum_d p_d,t + p_m,t - sum_c p_c,t = 0 (one row per period).
    sign = np.concatenate([np.ones((nd + 1) * T), -np.ones(nc * T)])
    balance = sp.csr_matrix((sign, (lay.period_of(np.arange(n_x)), np.arange(n_x))), shape=(T, n_cols))
    # Daily floor from the LA's daily price cap: sum_t p_c,t >= energy_min_c.
    floor = sp.csr_matrix((np.ones(nc * T), (np.repeat(np.arange(nc), T), p_cols)), shape=(nc, n_cols))
    A = sp.vstack([balance, floor], format="csr")
    row_lower = np.concatenate([np.zeros(T), energy_min])
    row_upper = np.concatenate([np.zeros(T), np.full(nc, np.inf)])
    return MarketLP(lay, cost, lower, upper, A, row_lower, row_upper, p_cols, np.arange(n_x, n_cols),
                    np.repeat(alpha, T), np.repeat(beta, T), p_lo.ravel(), p_hi.ravel())


@dataclass(frozen=True, eq=False)
class MasterSolution:
    """One optimal master solve.

    Attributes
    ----------
    x_kw : ndarray (layout.size,)
    transactions : Transactions
    objective : float
        Social objective at x ($), with the exact concave revenue.
    parts : ObjectiveParts
    rho : ndarray (T,)
        System price: marginal cost of one more kW of load in period t, $/kWh.
    cut_duals : ndarray (n_cuts,)
        eta_k >= 0, marginal objective value of relaxing cut k ($ per unit of its rhs).
    customer_price : ndarray (n_customer, T)
        pi_c,t = alpha_c - 2 beta_c p_c,t, $/kWh.
    lp_iterations : int
    refinement_rounds : int
    solve_time_s : float
    """

    x_kw: np.ndarray
    transactions: Transactions
    objective: float
    parts: ObjectiveParts
    rho: np.ndarray
    cut_duals: np.ndarray
    customer_price: np.ndarray
    lp_iterations: int
    refinement_rounds: int
    solve_time_s: float


class MasterProblem:
    """The market's side of the Benders loop: participants' economics and received cuts.

    Parameters
    ----------
    market : Market
    loads : {'joint', 'fixed'}
        'fixed': the first solve is PBDR without the network; customers' consumption is
        then held at that result and only DERs and the MG move.
    revenue_tol : float
        Tolerance of the tangent refinement, relative to each customer-period's revenue.
    """

    def __init__(self, market: Market, loads: str = "joint", revenue_tol: float = REVENUE_TOL) -> None:
        if loads not in LOAD_MODES:
            raise ValueError(f"loads must be one of {LOAD_MODES}, got {loads!r}")
        self.market = market
        self.loads = loads
        self.revenue_tol = revenue_tol
        self.layout = market.layout()
        self.groups = CustomerGroups.of(market)
        self._cuts: list[FeasibilityCut] = []
        self._fixed_load: np.ndarray | None = None  # customers' kW once loads are fixed
        self._solved_once = False
        self._build()

    def _build(self) -> None:
        """(Re)build the live LP for the current groups, with every cut received so far."""
        self.model = build_market_lp(self.market, self.groups)
        self.lp, self.revenue = self.model.build(self.revenue_tol)
        self._cut_rows: list[np.ndarray] = []
        if self._fixed_load is not None:
            group_load = np.zeros((self.groups.n_group, self.layout.n_periods))
            np.add.at(group_load, self.groups.label, self._fixed_load)
            self.lp.set_column_bounds(self.model.p_cols, group_load.ravel(), group_load.ravel())
        self._add_rows(self._cuts)

    @property
    def n_cuts(self) -> int:
        return len(self._cuts)

    def add_cuts(self, cuts: Sequence[FeasibilityCut]) -> None:
        """Append cuts ``coef . x[index] <= rhs`` (x: the full transaction vector).

        Rows go into the live model; only when a cut tells apart customers that were
        aggregated is the model rebuilt with finer groups."""
        if not cuts:
            return
        refined = self.groups.refine(cuts, self.layout)
        self._cuts.extend(cuts)
        if refined is not self.groups:
            self.groups = refined
            self._build()
        else:
            self._add_rows(cuts)

    def _add_rows(self, cuts: Sequence[FeasibilityCut]) -> None:
        if not cuts:
            return
        reduced = [self.groups.reduce_cut(c, self.layout) for c in cuts]
        rows = np.repeat(np.arange(len(cuts)), [idx.size for idx, _ in reduced])
        cols = np.concatenate([idx for idx, _ in reduced])
        vals = np.concatenate([coef for _, coef in reduced])
        A = sp.csr_matrix((vals, (rows, cols)), shape=(len(cuts), self.lp.n_cols))
        self._cut_rows.append(self.lp.add_rows(A, -np.inf, np.array([c.rhs for c in cuts])))

    def solve(self, revenue_tol: float | None = None) -> MasterSolution:
        """Solve the master with the cuts so far (warm after the first solve).

        ``revenue_tol`` overrides the tangent-refinement tolerance from now on (relative, per
        customer-period); a coarse value is enough while cuts are still being collected.

        Raises
        ------
        MarketInfeasibleError
            On the first solve: the market cannot clear even without the network.
        NetworkUnsecurableError
            After cuts: the network cannot be secured with the available flexibility.
        """
        m = self.model
        start = time.perf_counter()
        status, rounds = self.revenue.solve(tol=revenue_tol)
        elapsed = time.perf_counter() - start
        if status is not LPStatus.OPTIMAL:
            self._raise_infeasible()
        x_reduced = self.lp.x[: m.layout.size]
        if self.loads == "fixed" and not self._solved_once:
            self.lp.set_column_bounds(m.p_cols, x_reduced[m.p_cols], x_reduced[m.p_cols])
        x = self.groups.expand(x_reduced, self.layout)
        p_c = self.layout.customers(x)
        if self.loads == "fixed" and not self._solved_once:
            self._fixed_load = p_c.copy()
        self._solved_once = True
        duals = self.lp.row_duals
        cut_rows = np.concatenate(self._cut_rows) if self._cut_rows else np.zeros(0, dtype=np.int64)
        parts = m.objective_parts(x_reduced, self.market)  # exact: m f(P/m) = sum of members' f(p)
        return MasterSolution(
            x_kw=x,
            transactions=Transactions.from_vector(self.layout, x),
            objective=parts.total_usd,
            parts=parts,
            rho=duals[m.balance_rows].copy(),
            cut_duals=np.maximum(-duals[cut_rows], 0.0),
            customer_price=price_from_load(self.market.alpha[:, None], self.market.beta[:, None], p_c),
            lp_iterations=self.lp.simplex_iterations,
            refinement_rounds=rounds,
            solve_time_s=elapsed,
        )

    def _raise_infeasible(self) -> None:
        if self.n_cuts or self._solved_once:
            periods = sorted({t for cut in self._cuts for t in cut.periods})
            raise NetworkUnsecurableError(
                "the network cannot be secured with the flexibility the market has: no clearing satisfies "
                f"TEMO's feasibility cuts; periods with cuts: {periods}"
            )
        raise MarketInfeasibleError(market_shortfall(self.market))


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
