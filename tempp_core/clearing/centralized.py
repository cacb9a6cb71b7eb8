"""The centralized reference: (A1)-(A4) in one LP with explicit LinDist3Flow rows.

One party who knows both the market and the network would solve this. It shares the
market's columns and rows (:func:`tempp_core.market.master.build_market_lp`) and the
tangent refinement of the revenue with the master, and adds the network of
:mod:`tempp_core.network.explicit_rows`. Proposition 3 says Benders in exact mode reaches its optimum.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..case import Case
from ..errors import MarketInfeasibleError, NetworkUnsecurableError
from ..lp import LPStatus
from ..market.lp_form import build_market_lp
from ..market.master import MasterProblem, ObjectiveParts, market_shortfall, transaction_bounds
from ..market.pbdr import price_from_load
from ..messages import Transactions
from ..network.explicit_rows import network_block
from ..network.temo import Temo
from ..network.temo.diagnosis import diagnose
from ..options import ClearingOptions, LoadMode


@dataclass(frozen=True, eq=False)
class CentralizedOutcome:
    """Optimum of the centralized LP.

    Attributes
    ----------
    objective : float ($); parts : ObjectiveParts
    transactions : Transactions
    rho : ndarray (T,)
        Marginal cost of one more kW of load in period t, $/kWh.
    locational_price : ndarray (n_der + 1 + n_customer, T)
        Each participant's marginal price at its connection, from the duals of the
        explicit network rows, $/kWh (layout order: DERs, MG, customers).
    connection_price : ndarray (T, n_bus, 3)
        Marginal cost of one kW of active withdrawal at unity power factor at every bus and
        phase (the active balance row's dual), $/kWh; NaN on absent phases.
    customer_price : ndarray (n_customer, T)
    x_unconstrained_kw : ndarray
        The market's optimum without the network (for "violation before").
    v2, P, Q : ndarray, bus-major (n, T, 3)
        The LP's own network state.
    """

    objective: float
    parts: ObjectiveParts
    transactions: Transactions
    rho: np.ndarray
    locational_price: np.ndarray
    connection_price: np.ndarray
    customer_price: np.ndarray
    x_unconstrained_kw: np.ndarray
    v2: np.ndarray
    P: np.ndarray
    Q: np.ndarray


def solve_centralized(case: Case, options: ClearingOptions = ClearingOptions()) -> CentralizedOutcome:
    """Solve (A1)-(A4) with full knowledge.

    With ``options.loads`` fixed, customers' consumption is first set by PBDR without the network
    (as in the Benders 'fixed' mode) and held.

    Raises
    ------
    MarketInfeasibleError, NetworkUnsecurableError
    """
    market = case.market
    model = build_market_lp(market)
    lay = model.layout
    T = lay.n_periods
    unconstrained = MasterProblem(market).solve()  # raises MarketInfeasibleError
    lp, revenue = model.build()
    if options.loads is LoadMode.FIXED:
        fixed = unconstrained.x_kw[model.p_cols]
        lp.set_column_bounds(model.p_cols, fixed, fixed)
    block = network_block(case.feeder, case.injections, T)
    net_cols = lp.add_columns(np.zeros(block.A_net.shape[1]), block.col_lower, block.col_upper)
    n_market_cols = model.cost.size
    A = sp.hstack([block.A_x, sp.csr_matrix((block.A_x.shape[0], n_market_cols - lay.size)), block.A_net],
                  format="csr")
    net_rows = lp.add_rows(A, block.rhs, block.rhs)
    status, _ = revenue.solve()
    if status is not LPStatus.OPTIMAL:
        error = NetworkUnsecurableError(
            "the network cannot be secured with the flexibility the market has (centralized LP infeasible)")
        error.diagnosis = diagnose(Temo(case.feeder, case.injections, options), unconstrained.x_kw,
                                   *transaction_bounds(market))
        raise error
    x = lp.x[: lay.size].copy()
    duals = lp.row_duals
    rho = duals[model.balance_rows].copy()
    locational, connection = _locational_prices(case, block, lay, rho, duals[net_rows])
    transactions = Transactions.from_vector(lay, x)
    parts = ObjectiveParts.of(market, transactions)
    v2, P, Q = block.unpack(lp.x[net_cols], T)
    p_c = x[model.p_cols].reshape(lay.n_customer, T)
    return CentralizedOutcome(
        objective=parts.total_usd,
        parts=parts,
        transactions=transactions,
        rho=rho,
        locational_price=locational,
        connection_price=connection,
        customer_price=price_from_load(market.alpha[:, None], market.beta[:, None], p_c),
        x_unconstrained_kw=unconstrained.x_kw,
        v2=v2, P=P, Q=Q,
    )


def _locational_prices(case: Case, block, layout, rho: np.ndarray, net_duals: np.ndarray):
    """Prices from the duals of the explicit rows: one kW more withdrawn at bus j, phase f
    raises the active balance row of the line feeding j by 1/S_base (and the system balance
    by 1 kW), so its price is ``rho + dual / S_base``; a participant's follows from its
    coefficients in those rows (injection for DERs, withdrawal for customers)."""
    T, f = layout.n_periods, case.feeder
    # d(min)/d(rhs) of the network rows seen by each transaction variable (A_x is -load).
    shadow = layout.by_participant(block.A_x.T @ net_duals)
    withdraws = np.zeros(layout.n_participant_rows, dtype=bool)
    withdraws[layout.customer_rows] = True
    locational = rho[None, :] + np.where(withdraws[:, None], -shadow, shadow)
    rows = net_duals.reshape(T, -1)[:, :3 * f.n_line].reshape(T, f.n_line, 3)  # active balance rows
    connection = np.empty((T, f.n_bus, 3))
    connection[:, 0, :] = rho[:, None]
    connection[:, 1:, :] = rho[:, None, None] + rows / f.s_base_kva
    return locational, np.where(f.bus_phases[None], connection, np.nan)


__all__ = ["solve_centralized", "CentralizedOutcome", "MarketInfeasibleError", "market_shortfall"]
