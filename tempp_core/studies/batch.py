"""Clear many cases or scenarios in one call: in-process, or on a Dask cluster.

In-process, Benders runs of cases that share a feeder and placement (e.g. from
:func:`tempp_core.studies.scenarios.sample`) advance in lockstep, so TEMO assesses all of them in
one batched kernel call per round. Given a ``dask.distributed.Client`` (optional extra
``dist``), each case is cleared on a worker. Either way one failing case (infeasible
market, unsecurable network) is recorded with its error and the others go on.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..case import Case
from ..errors import TemppError
from ..options import ClearingOptions, Method, parse_choice

STATUS_COLUMNS = ["scenario", "case", "converged", "status", "iterations", "time_s", "objective", "error"]


@dataclass(frozen=True)
class BatchResult:
    """Outcome of :func:`clear_many`.

    Attributes
    ----------
    table : DataFrame
        Tidy: one row per scenario, period and actor — ``scenario, case, period, actor, kind,
        quantity_kw, price`` (customer: personalized price; DER: raw DER price; MG: LMP; $/kWh).
    status : DataFrame
        One row per scenario: ``scenario, case, converged, status, iterations, time_s,
        objective, error`` (error: empty, or the message that stopped it).
    """

    table: pd.DataFrame
    status: pd.DataFrame


def result_rows(scenario: int, case: Case, result) -> pd.DataFrame:
    """The tidy rows of one :class:`~tempp_core.clearing.results.ClearingResult`."""
    tr = result.to_frame("transactions")
    prices = np.vstack([result.der_price_raw, case.market.lmp[None, :], result.customer_price])
    tr["price"] = prices.ravel()
    tr = tr.rename(columns={"participant": "actor", "p_kw": "quantity_kw"})
    tr.insert(0, "case", case.name)
    tr.insert(0, "scenario", scenario)
    return tr[["scenario", "case", "period", "actor", "kind", "quantity_kw", "price"]]


def _status(scenario: int, case: Case, result=None, error: Exception | None = None, time_s: float = np.nan) -> dict:
    if result is None:
        return dict(scenario=scenario, case=case.name, converged=False, status="error", iterations=0,
                    time_s=time_s, objective=np.nan, error=f"{type(error).__name__}: {error}")
    return dict(scenario=scenario, case=case.name, converged=result.converged, status=result.status.value,
                iterations=result.iterations, time_s=result.time_s, objective=result.objective, error="")


def clear_one(scenario: int, case: Case, method: Method, options: ClearingOptions) -> tuple[pd.DataFrame, dict]:
    """Clear one case; errors of the model (not bugs) are captured, not raised."""
    from ..clearing.clear import clear

    start = time.perf_counter()
    try:
        result = clear(case, method, options)
    except TemppError as exc:
        return pd.DataFrame(), _status(scenario, case, error=exc, time_s=time.perf_counter() - start)
    return result_rows(scenario, case, result), _status(scenario, case, result)


def clear_many(cases: Sequence[Case], client=None, *, method: str | Method = Method.BENDERS,
               options: ClearingOptions | None = None, lockstep: bool = True,
               progress: Callable[[int, int], None] | None = None, **option_overrides) -> BatchResult:
    """Clear every case; one tidy table for all.

    Parameters
    ----------
    cases : sequence of Case
        Scenarios, or any cases.
    client : dask.distributed.Client, optional
        Run on this cluster (one task per case); None runs in this process.
    lockstep : bool
        In-process Benders on cases sharing a feeder and placement: advance them together so
        TEMO assesses all proposals of a round in one batch (same results as one by one).
    method : {'benders', 'centralized'}
    options : ClearingOptions, optional
        As for :func:`tempp_core.clear`; ``**option_overrides`` set single fields.
    progress : callable(done, total), optional
        Called as cases finish.
    """
    cases = list(cases)
    if not cases:
        raise ValueError("clear_many needs at least one case")
    method = parse_choice(Method, "method", method)
    options = ClearingOptions.build(options, **option_overrides)
    if client is not None:
        pieces = _on_dask(client, cases, method, options, progress)
    elif lockstep and _shared_network(cases) and method is Method.BENDERS:
        pieces = _lockstep(cases, options, progress)
    else:
        pieces = []
        for k, case in enumerate(cases):
            pieces.append(clear_one(k, case, method, options))
            if progress:
                progress(k + 1, len(cases))
    tables = [t for t, _ in pieces if len(t)]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        columns=["scenario", "case", "period", "actor", "kind", "quantity_kw", "price"])
    status = pd.DataFrame([s for _, s in pieces], columns=STATUS_COLUMNS)
    return BatchResult(table, status)


def _shared_network(cases: Sequence[Case]) -> bool:
    first = cases[0]
    return all(c.feeder is first.feeder and c.placement == first.placement for c in cases[1:])


def _lockstep(cases, options: ClearingOptions, progress):
    from ..clearing.benders import run_benders_many
    from ..clearing.clear import benders_result

    start = time.perf_counter()
    outcomes = run_benders_many(cases, options)
    elapsed = (time.perf_counter() - start) / len(cases)
    pieces = []
    for k, (case, outcome) in enumerate(zip(cases, outcomes)):
        if isinstance(outcome, Exception):
            pieces.append((pd.DataFrame(), _status(k, case, error=outcome, time_s=elapsed)))
        else:
            result = benders_result(case, outcome, options, elapsed)
            pieces.append((result_rows(k, case, result), _status(k, case, result)))
        if progress:
            progress(k + 1, len(cases))
    return pieces


def _on_dask(client, cases, method: Method, options: ClearingOptions, progress):
    from distributed import as_completed

    futures = [client.submit(clear_one, k, case, method, options, pure=False) for k, case in enumerate(cases)]
    done = 0
    for _ in as_completed(futures):
        done += 1
        if progress:
            progress(done, len(cases))
    return client.gather(futures)
