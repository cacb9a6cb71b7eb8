"""``clear``: one call from a case to a result, by Benders or by the centralized reference."""
from __future__ import annotations

import time

import numpy as np

from .case import Case
from .messages import FeasibilityCut, TransactionLayout, Transactions
from .results import ClearingResult, NetworkReport
from .settlement import DER_PRICE_FLOOR, settle
from .temo import Temo
from .temo.cuts import CUT_MODES
from .temo.operator import SENSITIVITY_MODES, SLACK_METHODS

METHODS = ("benders", "centralized")
LOAD_MODES = ("joint", "fixed")


def clear(case: Case, method: str = "benders", *, sensitivity: str = "exact", cuts: str = "period",
          loads: str = "joint", tol: float = 1e-9, max_iter: int = 200, slack: str = "closed") -> ClearingResult:
    """Clear the transactive energy market of ``case`` with the network kept safe.

    Parameters
    ----------
    case : Case
    method : {'benders', 'centralized'}
        Privacy-preserving Benders decomposition, or the reference LP (A1)-(A4) with
        explicit LinDist3Flow rows (one party knowing everything).
    sensitivity : {'exact', 'paper'}
        Cut gradients by exact adjoint sweeps, or by the appendix's (B7)-(B14) (Benders only).
    cuts : {'period', 'aggregate', 'constraint'}
        Cut granularity (Benders only).
    loads : {'joint', 'fixed'}
        Customers' consumption decided with the network (default), or first by PBDR alone
        and then held fixed (the appendix's sequence).
    tol : float
        Largest accepted total violation Φ*, p.u.
    max_iter : int
        Benders iterations before giving up (``converged=False`` and a warning).
    slack : {'closed', 'lp'}
        TEMO's slack problem: closed form or HiGHS LP.

    Returns
    -------
    ClearingResult

    Raises
    ------
    MarketInfeasibleError
        The market cannot clear even without the network (names the periods).
    NetworkUnsecurableError
        No clearing keeps the network safe (names the periods).
    """
    for name, value, allowed in (("method", method, METHODS), ("sensitivity", sensitivity, SENSITIVITY_MODES),
                                 ("cuts", cuts, CUT_MODES), ("loads", loads, LOAD_MODES),
                                 ("slack", slack, SLACK_METHODS)):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    if not (tol >= 0 and np.isfinite(tol)):
        raise ValueError(f"tol must be a non-negative number, got {tol!r}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")
    options = dict(method=method, sensitivity=sensitivity, cuts=cuts, loads=loads, tol=tol,
                   max_iter=max_iter, slack=slack)
    start = time.perf_counter()
    if method == "benders":
        from .benders import run_benders

        outcome = run_benders(case, sensitivity=sensitivity, cuts=cuts, loads=loads, tol=tol,
                              max_iter=max_iter, slack=slack)
        return benders_result(case, outcome, options, time.perf_counter() - start)
    from .centralized import solve_centralized

    cen = solve_centralized(case, loads=loads)
    fields = dict(objective=cen.objective, parts=cen.parts, converged=True, status="optimal", iterations=1,
                  history=(), transactions=cen.transactions, customer_price=cen.customer_price, rho=cen.rho)
    return _result(case, fields, cen.der_price, cen.x_unconstrained_kw, options, time.perf_counter() - start)


def benders_result(case: Case, outcome, options: dict, elapsed_s: float) -> ClearingResult:
    """The :class:`ClearingResult` of a finished Benders run (see :mod:`tempp_core.benders`)."""
    sol = outcome.solution
    der_raw = der_prices(case.market.layout(), sol.rho, outcome.cuts, sol.cut_duals)
    fields = dict(objective=sol.objective, parts=sol.parts, converged=outcome.converged, status=outcome.status,
                  iterations=len(outcome.history), history=outcome.history, transactions=sol.transactions,
                  customer_price=sol.customer_price, rho=sol.rho)
    return _result(case, fields, der_raw, outcome.x_first_kw, {**options, "method": "benders"}, elapsed_s)


def _result(case: Case, fields: dict, der_raw: np.ndarray, x_first: np.ndarray, options: dict,
            elapsed_s: float) -> ClearingResult:
    network = _network_report(case, fields["transactions"].to_vector(), x_first)
    market = case.market
    lmp = np.asarray(market.grid.lmp_per_kwh, dtype=np.float64)
    t = fields["transactions"]
    settlement = settle(
        der_names=t.layout.der_names, customer_names=t.layout.customer_names, p_der_kw=t.p_der_kw,
        p_mg_kw=t.p_mg_kw, p_customer_kw=t.p_customer_kw, customer_price=fields["customer_price"],
        rho=fields["rho"], der_price=der_raw, der_cost_per_kwh=market.der_cost, lmp=lmp,
    )
    return ClearingResult(method=options["method"], der_price_raw=der_raw,
                          der_price=np.clip(der_raw, DER_PRICE_FLOOR, lmp.max()), settlement=settlement,
                          network=network, time_s=elapsed_s, options=options, **fields)


def der_prices(layout: TransactionLayout, rho: np.ndarray, cuts: tuple[FeasibilityCut, ...],
               cut_duals: np.ndarray) -> np.ndarray:
    """DER price ``pi_d,t = rho_t - sum_k eta_k a_k[d, t]`` ($/kWh), shape (n_der, T).

    ``eta_k`` >= 0 is the marginal value of relaxing cut k; ``a_k[d, t]`` its coefficient
    on DER d's sale in period t.
    """
    T = layout.n_periods
    congestion = np.zeros(layout.size)
    for eta, cut in zip(cut_duals, cuts):
        if eta != 0.0:
            np.add.at(congestion, cut.index, eta * cut.coef)
    der = congestion[: layout.n_der * T].reshape(layout.n_der, T)
    return np.asarray(rho)[None, :] - der


def _network_report(case: Case, x_kw: np.ndarray, x_first_kw: np.ndarray) -> NetworkReport:
    temo = Temo(case.feeder, case.market.layout(), case.connections())
    before = temo.state(x_first_kw)
    state = temo.state(x_kw)
    absent_bus = ~case.feeder.bus_phases[:, None, :]
    absent_line = ~case.feeder.line_phases[:, None, :]
    vm = np.sqrt(np.where(absent_bus, np.nan, state.v2))
    vm_before = np.sqrt(np.where(absent_bus, np.nan, before.v2))
    P = np.where(absent_line, np.nan, state.P)
    Q = np.where(absent_line, np.nan, state.Q)
    return NetworkReport(case.feeder.bus_names, case.feeder.line_names, vm, P, Q, before.assessment.worst,
                         state.assessment.worst, vm_before)


__all__ = ["clear", "der_prices", "Transactions"]
