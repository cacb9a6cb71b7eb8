"""The centralized reference: (A1)-(A4) solved by one party who knows the market and the network.

The problem is the market's concave QP (:mod:`tempp_core.market.master`) plus the explicit
LinDist3Flow rows and safety limits (:mod:`tempp_core.network.explicit_rows`). The rows are
linear, so every safety limit is an exact linear row over the transactions; only the few
that bind matter. The reference therefore solves the market's QP exactly (the dual Newton
master), adds every limit the explicit rows show violated at its optimum, and repeats until
none is (constraint generation: each round adds rows not held before, so it ends, at the
optimum of (A1)-(A4)). Prices come from the duals: rho from the balance rows, the explicit
network rows' duals from the limits' multipliers. Proposition 3 says Benders in exact mode
reaches the same optimum; the two share the market's solver but not the network's (explicit
rows solved by sparse LU here, TEMO's sweeps and adjoints there).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..case import Case
from ..errors import MarketInfeasibleError, NetworkUnsecurableError
from ..market.master import MasterProblem, ObjectiveParts, market_shortfall, transaction_bounds
from ..messages import Transactions
from ..network.explicit_rows import ExplicitNetwork, LimitRows
from ..network.temo import Temo
from ..network.temo.diagnosis import diagnose
from ..options import ClearingOptions

#: A safety limit counts as violated beyond this (p.u., squared voltage or flow).
LIMIT_TOL_PU = 1e-10


@dataclass(frozen=True, eq=False)
class CentralizedOutcome:
    """Optimum of (A1)-(A4).

    Attributes
    ----------
    objective : float ($); parts : ObjectiveParts
    transactions : Transactions
    rho : ndarray (T,)
        Marginal cost of one more kW of load in period t (the balance rows' duals), $/kWh.
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
        The network state of the explicit rows at the optimum.
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
    """Solve (A1)-(A4) with full knowledge (reads ``options.loads`` only).

    With ``options.loads`` fixed, customers' consumption is first set by PBDR without the network
    (as in the Benders 'fixed' mode) and held.

    Raises
    ------
    MarketInfeasibleError, NetworkUnsecurableError
    """
    market = case.market
    master = MasterProblem(market, loads=options.loads)
    unconstrained = solution = master.solve()  # raises MarketInfeasibleError
    network = ExplicitNetwork(case.feeder, case.injections)
    held, scales = LimitRows.none(), np.zeros(0)
    while True:
        values = network.columns(solution.x_kw)
        # A row already held is exceeded only within the master's tolerance: not new.
        new = network.violated(values, LIMIT_TOL_PU).without(held)
        if not new.size:
            break
        taken, cuts, scale = network.cuts(new, values, solution.x_kw)
        held, scales = held + taken, np.concatenate([scales, scale])
        master.add_cuts(cuts)
        try:
            solution = master.solve()
        except NetworkUnsecurableError:
            error = NetworkUnsecurableError(
                "the network cannot be secured with the flexibility the market has (centralized reference "
                "infeasible: the safety limits cannot all hold with the market's balance, bounds and daily floors; "
                f"limits found violated in periods {np.unique(held.period).tolist()})")
            error.diagnosis = diagnose(Temo(case.feeder, case.injections, options), unconstrained.x_kw,
                                       *transaction_bounds(market))
            raise error from None
    # The multipliers of the unscaled limits give the explicit rows' duals.
    row_duals = network.row_duals(held, solution.cut_duals / scales)
    locational, connection = _locational_prices(case, network, solution.rho, row_duals)
    v2, P, Q = network.block.unpack(values)
    return CentralizedOutcome(
        objective=solution.objective,
        parts=solution.parts,
        transactions=solution.transactions,
        rho=solution.rho,
        locational_price=locational,
        connection_price=connection,
        customer_price=solution.customer_price,
        x_unconstrained_kw=unconstrained.x_kw,
        v2=v2, P=P, Q=Q,
    )


def _locational_prices(case: Case, network: ExplicitNetwork, rho: np.ndarray, row_duals: np.ndarray):
    """Prices from the duals (T, n_rows) of the explicit rows: one kW more withdrawn at bus j,
    phase f raises the active balance row of the line feeding j by 1/S_base (and the system
    balance by 1 kW), so its price is ``rho + dual / S_base``; a participant's follows from
    its coefficients in those rows (injection for DERs, withdrawal for customers)."""
    f, layout = case.feeder, network.layout
    # d(min)/d(rhs) of the network rows seen by each transaction (A_x is -load).
    shadow = network.block.A_x.T @ row_duals.T
    withdraws = np.zeros(layout.n_participant_rows, dtype=bool)
    withdraws[layout.customer_rows] = True
    locational = rho[None, :] + np.where(withdraws[:, None], -shadow, shadow)
    rows = row_duals[:, :3 * f.n_line].reshape(-1, f.n_line, 3)  # active balance rows
    connection = np.empty((rho.size, f.n_bus, 3))
    connection[:, 0, :] = rho[:, None]
    connection[:, 1:, :] = rho[:, None, None] + rows / f.s_base_kva
    return locational, np.where(f.bus_phases[None], connection, np.nan)


__all__ = ["solve_centralized", "CentralizedOutcome", "MarketInfeasibleError", "market_shortfall"]
