"""``clear``: one call from a case to a result, by Benders or by the centralized reference."""
from __future__ import annotations

import time

import numpy as np

from ..case import Case
from ..messages import FeasibilityCut, TransactionLayout
from ..network.temo import Temo
from ..options import ClearingOptions, Method, parse_choice
from .results import ClearingResult, NetworkReport
from .settlement import DER_PRICE_FLOOR, settle
from .status import ClearingStatus


def clear(case: Case, method: str | Method = Method.BENDERS, options: ClearingOptions | None = None,
          **option_overrides) -> ClearingResult:
    """Clear the transactive energy market of ``case`` with the network kept safe.

    Parameters
    ----------
    case : Case
    method : {'benders', 'centralized'}
        Privacy-preserving Benders decomposition, or the reference (A1)-(A4) with explicit
        LinDist3Flow rows (one party knowing everything).
    options : ClearingOptions, optional
        How to clear (sensitivity, cuts, loads, slack, network, tol, max_iter); defaults
        from the spec.
    **option_overrides
        Any field of :class:`ClearingOptions` as a keyword, e.g. ``cuts="constraint"``.

    Returns
    -------
    ClearingResult

    Raises
    ------
    OptionsError
        An unknown option or a value that is not allowed (before any work starts).
    MarketInfeasibleError
        The market cannot clear even without the network (names the periods).
    NetworkUnsecurableError
        No clearing keeps the network safe (names the periods).
    """
    method = parse_choice(Method, "method", method)
    options = ClearingOptions.build(options, **option_overrides)
    start = time.perf_counter()
    if method is Method.BENDERS:
        from .benders import run_benders

        outcome = run_benders(case, options)
        return benders_result(case, outcome, options, time.perf_counter() - start)
    from .centralized import solve_centralized

    cen = solve_centralized(case, options)
    fields = dict(objective=cen.objective, parts=cen.parts, status=ClearingStatus.OPTIMAL, iterations=1,
                  history=(), transactions=cen.transactions, customer_price=cen.customer_price, rho=cen.rho)
    return _result(case, Method.CENTRALIZED, fields, cen.der_price, cen.x_unconstrained_kw, options,
                   time.perf_counter() - start)


def benders_result(case: Case, outcome, options: ClearingOptions, elapsed_s: float) -> ClearingResult:
    """The :class:`ClearingResult` of a finished Benders run (see :mod:`tempp_core.clearing.benders`)."""
    sol = outcome.solution
    der_raw = der_prices(case.market.layout(), sol.rho, outcome.cuts, sol.cut_duals)
    fields = dict(objective=sol.objective, parts=sol.parts, status=outcome.status,
                  iterations=len(outcome.history), history=outcome.history, transactions=sol.transactions,
                  customer_price=sol.customer_price, rho=sol.rho)
    return _result(case, Method.BENDERS, fields, der_raw, outcome.x_first_kw, options, elapsed_s)


def _result(case: Case, method: Method, fields: dict, der_raw: np.ndarray, x_first: np.ndarray,
            options: ClearingOptions, elapsed_s: float) -> ClearingResult:
    network = _network_report(case, fields["transactions"].to_vector(), x_first)
    market = case.market
    lmp = np.asarray(market.grid.lmp_per_kwh, dtype=np.float64)
    t = fields["transactions"]
    settlement = settle(
        der_names=t.layout.der_names, customer_names=t.layout.customer_names, p_der_kw=t.p_der_kw,
        p_mg_kw=t.p_mg_kw, p_customer_kw=t.p_customer_kw, customer_price=fields["customer_price"],
        rho=fields["rho"], der_price=der_raw, der_cost_per_kwh=market.der_cost, lmp=lmp,
    )
    return ClearingResult(method=method, der_price_raw=der_raw,
                          der_price=np.clip(der_raw, DER_PRICE_FLOOR, lmp.max()), settlement=settlement,
                          network=network, time_s=elapsed_s, options=options, **fields)


def der_prices(layout: TransactionLayout, rho: np.ndarray, cuts: tuple[FeasibilityCut, ...],
               cut_duals: np.ndarray) -> np.ndarray:
    """DER price ``pi_d,t = rho_t - sum_k eta_k a_k[d, t]`` ($/kWh), shape (n_der, T).

    ``eta_k`` >= 0 is the marginal value of relaxing cut k; ``a_k[d, t]`` its coefficient
    on DER d's sale in period t.
    """
    congestion = np.zeros(layout.size)
    for eta, cut in zip(cut_duals, cuts):
        if eta != 0.0:
            np.add.at(congestion, cut.index, eta * cut.coef)
    return np.asarray(rho)[None, :] - layout.ders(congestion)


def _network_report(case: Case, x_kw: np.ndarray, x_first_kw: np.ndarray) -> NetworkReport:
    """TEMO's state at the final transactions and at the market's first proposal, in the
    public layout (T, n, 3)."""
    temo = Temo(case.feeder, case.injections)
    before = temo.state(x_first_kw)
    state = temo.state(x_kw)
    absent_bus = ~case.feeder.bus_phases[None, :, :]
    absent_line = ~case.feeder.line_phases[None, :, :]
    public = lambda a: np.moveaxis(a, 1, 0)  # noqa: E731  bus-major (n, T, 3) -> (T, n, 3)
    vm = np.sqrt(np.where(absent_bus, np.nan, public(state.v2)))
    vm_before = np.sqrt(np.where(absent_bus, np.nan, public(before.v2)))
    P = np.where(absent_line, np.nan, public(state.P))
    Q = np.where(absent_line, np.nan, public(state.Q))
    return NetworkReport(case.feeder.bus_names, case.feeder.line_names, vm, P, Q, before.assessment.worst,
                         state.assessment.worst, vm_before)


__all__ = ["clear", "der_prices"]
