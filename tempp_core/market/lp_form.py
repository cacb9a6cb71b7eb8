"""The market's problem (A1)-(A3) as LP columns and rows, with the concave revenue kept
linear by tangents (:mod:`.revenue`): the form the centralized reference adds the network's
explicit rows to. (The Benders master does not use it: see :mod:`.master`.)

Columns: the transaction vector x (kW, :class:`~tempp_core.messages.TransactionLayout`)
followed by one revenue epigraph variable r_c,t per customer-period ($). Minimizes
``-sum r + sum gamma_d p_d + sum lambda_t p_m`` (the negative of the social objective).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..lp import LinearProgram
from ..messages import TransactionLayout
from .participants import Market
from .revenue import REVENUE_TOL, RevenueApproximation
from .supply import supply_block


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

    def build(self, revenue_tol: float = REVENUE_TOL) -> tuple[LinearProgram, RevenueApproximation]:
        """A live LP holding these columns and rows, and the tangent approximation of its revenue."""
        lp = LinearProgram()
        lp.add_columns(self.cost, self.col_lower, self.col_upper)
        lp.add_rows(self.A, self.row_lower, self.row_upper)
        return lp, RevenueApproximation(lp, self.p_cols, self.r_cols, self.alpha, self.beta, self.p_lo,
                                        self.p_hi, revenue_tol)


def build_market_lp(market: Market) -> MarketLP:
    """Assemble (A1)-(A3) for ``market`` as sparse blocks."""
    lay = market.layout()
    alpha, beta, p_lo, p_hi, energy_min = market.alpha, market.beta, market.p_lo, market.p_hi, market.energy_min
    T, nc = lay.n_periods, lay.n_customer
    n_x = lay.size
    n_cols = n_x + nc * T
    supply = supply_block(market)
    cost = np.zeros(n_cols)
    cost[:supply.cost.size] = supply.cost
    cost[n_x:] = -1.0
    lower = np.zeros(n_cols)
    upper = np.empty(n_cols)
    upper[:supply.cost.size] = supply.upper
    p_cols = np.arange(lay.customer_slice.start, n_x)
    lower[p_cols] = p_lo.ravel()
    upper[p_cols] = p_hi.ravel()
    lower[n_x:], upper[n_x:] = -np.inf, np.inf
    # Balance: sum_d p_d,t + p_m,t - sum_c p_c,t = 0 (one row per period).
    sign = np.concatenate([np.ones(supply.cost.size), -np.ones(nc * T)])
    balance = sp.csr_matrix((sign, (lay.period_of(np.arange(n_x)), np.arange(n_x))), shape=(T, n_cols))
    # Daily floor from the LA's daily price cap: sum_t p_c,t >= energy_min_c.
    floor = sp.csr_matrix((np.ones(nc * T), (np.repeat(np.arange(nc), T), p_cols)), shape=(nc, n_cols))
    A = sp.vstack([balance, floor], format="csr")
    row_lower = np.concatenate([np.zeros(T), energy_min])
    row_upper = np.concatenate([np.zeros(T), np.full(nc, np.inf)])
    return MarketLP(lay, cost, lower, upper, A, row_lower, row_upper, p_cols, np.arange(n_x, n_cols),
                    np.repeat(alpha, T), np.repeat(beta, T), p_lo.ravel(), p_hi.ravel())
