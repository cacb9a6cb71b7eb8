"""``clear``: one call from a case to a result, by Benders or by the centralized reference."""
from __future__ import annotations

import time

import numpy as np

from ..case import Case
from ..errors import CaseError
from ..messages import Transactions
from ..network.temo import Temo
from ..network.temo.limits import LimitExcess
from ..options import AC_CHECK_MAX_BUSES, AcCheck, ClearingOptions, Method, parse_choice
from .results import AcReport, ClearingResult, NetworkReport, Prices
from .settlement import settle
from .status import ClearingStatus


def clear(case: Case, method: str | Method = Method.BENDERS, options: ClearingOptions | None = None, *,
          progress=None, **option_overrides) -> ClearingResult:
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
    progress : callable(IterationRecord), optional
        Benders: called after every round with its record (iteration, violation, cuts, times).
    **option_overrides
        Any field of :class:`ClearingOptions` as a keyword, e.g. ``cuts="constraint"``.

    Returns
    -------
    ClearingResult

    Raises
    ------
    CaseError
        ``case`` is not a :class:`~tempp_core.Case`.
    OptionsError
        An unknown option or a value that is not allowed (before any work starts).
    MarketInfeasibleError
        The market cannot clear even without the network (names the periods).
    NetworkUnsecurableError
        No clearing keeps the network safe (names the periods).
    """
    if not isinstance(case, Case):
        raise CaseError(f"clear needs a Case; got a {type(case).__name__} (tempp_core.cases.load(name) or "
                        "tempp_core.io.read_case(folder) make one)")
    method = parse_choice(Method, "method", method)
    options = ClearingOptions.build(options, **option_overrides)
    start = time.perf_counter()
    if method is Method.BENDERS:
        from .benders import run_benders

        outcome = run_benders(case, options, progress)
        return benders_result(case, outcome, options, time.perf_counter() - start)
    from .centralized import solve_centralized

    cen = solve_centralized(case, options)
    temo = Temo(case.feeder, case.injections, options)
    prices = Prices(cen.rho, cen.locational_price, cen.connection_price, cut_rent_usd=None)
    return _result(case, Method.CENTRALIZED, cen.objective, cen.parts, ClearingStatus.OPTIMAL, (), cen.transactions,
                   cen.customer_price, prices, temo, cen.x_unconstrained_kw, options, time.perf_counter() - start)


def benders_result(case: Case, outcome, options: ClearingOptions, elapsed_s: float) -> ClearingResult:
    """The :class:`ClearingResult` of a finished Benders run (see :mod:`tempp_core.clearing.benders`)."""
    sol = outcome.solution
    temo = outcome.temo if outcome.temo is not None else Temo(case.feeder, case.injections, options)
    cuts = outcome.cuts[:sol.cut_duals.size]  # a run can end with cuts its last solve did not see
    adder = temo.connection_prices(cuts, sol.cut_duals)
    rent = float(sol.cut_duals @ np.array([c.rhs for c in cuts])) if cuts else 0.0
    prices = Prices(sol.rho, sol.locational_price, sol.rho[:, None, None] + adder, cut_rent_usd=rent)
    return _result(case, Method.BENDERS, sol.objective, sol.parts, outcome.status, outcome.history, sol.transactions,
                   sol.customer_price, prices, temo, outcome.x_first_kw, options, elapsed_s)


def _result(case: Case, method: Method, objective: float, parts, status: ClearingStatus, history: tuple,
            transactions: Transactions, customer_price: np.ndarray, prices: Prices, temo: Temo,
            x_first: np.ndarray, options: ClearingOptions, elapsed_s: float) -> ClearingResult:
    market = case.market
    lmp = np.asarray(market.lmp, dtype=np.float64)
    t = transactions
    settlement = settle(
        der_names=t.layout.der_names, customer_names=t.layout.customer_names, p_der_kw=t.p_der_kw,
        p_mg_kw=t.p_mg_kw, p_customer_kw=t.p_customer_kw, customer_price=customer_price,
        locational_price=prices.participant, der_cost_per_kwh=market.der_cost, lmp=lmp,
        price_cap=der_price_cap(market),
    )
    network = _network_report(case, temo, t.to_vector(), x_first)
    return ClearingResult(method=method, objective=objective, parts=parts, status=status,
                          iterations=max(len(history), 1), history=history, transactions=t,
                          customer_price=customer_price, prices=prices, settlement=settlement, network=network,
                          time_s=elapsed_s, options=options, case=case, ac=_ac_report(case, temo, t.to_vector(),
                                                                                       options))


def der_price_cap(market) -> float:
    """Table C1's cap on what a DER is paid: the highest LMP of the horizon ($/kWh; 0.224
    in the source's profile)."""
    return float(np.max(market.lmp))


def _public_state(feeder, state) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vm, P, Q) of a TEMO state in the public layout (T, n, 3), NaN on absent phases; a
    squared voltage at or below zero or not finite (a collapsed power flow) gives |V| = 0, never NaN."""
    public = lambda a: np.moveaxis(a, 1, 0)  # noqa: E731  bus-major (n, T, 3) -> (T, n, 3)
    v2 = public(state.v2)
    vm = np.sqrt(np.where((v2 > 0.0) & (v2 < np.inf), v2, 0.0))
    return (np.where(feeder.bus_phases[None], vm, np.nan), np.where(feeder.line_phases[None], public(state.P), np.nan),
            np.where(feeder.line_phases[None], public(state.Q), np.nan))


def _network_report(case: Case, temo: Temo, x_kw: np.ndarray, x_first_kw: np.ndarray) -> NetworkReport:
    """TEMO's state at the final transactions and at the market's first proposal."""
    f = case.feeder
    state = temo.state(x_kw)
    vm, P, Q = _public_state(f, state)
    vm_before, P_before, Q_before = _public_state(f, temo.state(x_first_kw))
    return NetworkReport(f.bus_names, f.line_names, vm, P, Q, LimitExcess.of(f, vm_before, P_before, Q_before).worst_pu,
                         LimitExcess.of(f, vm, P, Q).worst_pu, vm_before, state.assessment.total)


def _ac_report(case: Case, temo: Temo, x_kw: np.ndarray, options: ClearingOptions) -> AcReport | None:
    """The final transactions in AC, unless ``options.ac_check`` leaves it out."""
    f = case.feeder
    if options.ac_check is AcCheck.OFF or (options.ac_check is AcCheck.AUTO and f.n_bus > AC_CHECK_MAX_BUSES):
        return None
    state = temo.ac_state(x_kw)
    vm, P, Q = _public_state(f, state)
    converged = np.where(f.bus_phases[:, None, :], state.v2 > 0, True).all(axis=(0, 2))  # collapsed: v2 = 0
    return AcReport(vm, P, Q, converged, LimitExcess.of(f, vm, P, Q))


__all__ = ["clear", "der_price_cap"]
