"""The market master at customer scale (issue 8, docs/master.md): end-to-end clearings with
customers who all differ, against the same number of identical customers, and the master alone
on the cuts of a finished clearing.

    python -m pytest benchmarks/bench_master.py --benchmark-only            # IEEE 123, 12,325 customers
    python -m pytest benchmarks/bench_master.py --benchmark-only -k 100k    # 100,000 customers, 10,000 buses
    python -m pytest benchmarks/bench_master.py --benchmark-only -k 1M      # 1,000,000 customers, 100,000 buses (6 GB)
"""
import pytest

import tempp_core as tc
from tempp_core.cases import populate, synthetic
from tempp_core.clearing.benders import run_benders
from tempp_core.market import MasterProblem

_CASES = {}


def _case(name: str):
    if name not in _CASES:
        _CASES.clear()  # one large case in memory at a time
        if name.startswith("ieee123"):
            # the embedded market case (capacitors out), 145 customers on each of 85 load buses
            _CASES[name] = tc.cases.load("ieee123", customers_per_bus=145, seed=1,
                                         homogeneous=name.endswith("identical"))
        else:  # 10 customers on each bus of a synthetic feeder of 10,000 or 100,000 buses
            n_bus, v_min = {"synthetic-100k": (10_000, 0.942), "synthetic-1M": (100_000, 0.946)}[name]
            feeder, p, q = synthetic(n_bus, seed=1)
            _CASES[name] = populate(feeder, p, q, customers_per_bus=10, line_limit_factor=3.0,
                                    v_limits=(v_min, 1.05), seed=1)
        tc.clear(_CASES[name])  # warm: JIT, HiGHS
    return _CASES[name]


def _clear(benchmark, name: str, rounds: int):
    case = _case(name)
    result = benchmark.pedantic(tc.clear, args=(case,), rounds=rounds, iterations=1)
    master_s = sum(h.master_time_s for h in result.history)
    temo_s = sum(h.temo_time_s for h in result.history)
    benchmark.extra_info.update(customers=len(case.market.customers), iterations=result.iterations,
                                status=result.status.value, master_s=master_s, temo_s=temo_s)


@pytest.mark.parametrize("population", ["ieee123-12k", "ieee123-12k-identical"])
def test_clear_12k_customers(benchmark, population):
    _clear(benchmark, population, rounds=7)


def test_clear_100k_customers_10k_buses(benchmark):
    _clear(benchmark, "synthetic-100k", rounds=3)


def test_clear_1M_customers_100k_buses(benchmark):
    _clear(benchmark, "synthetic-1M", rounds=2)


@pytest.mark.parametrize("population", ["ieee123-12k", "ieee123-12k-identical"])
def test_master_alone_on_final_cuts(benchmark, population):
    """One cold master solve holding every cut of a finished clearing."""
    case = _case(population)
    cuts = run_benders(case).cuts

    def solve():
        master = MasterProblem(case.market)
        master.add_cuts(cuts)
        return master.solve()

    solution = benchmark.pedantic(solve, rounds=7, iterations=1)
    benchmark.extra_info.update(cuts=len(cuts), newton_steps=solution.newton_steps)
