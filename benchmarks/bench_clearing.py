"""Market clearing end to end: the default case, and IEEE 123 Benders vs centralized."""
import pytest

import tempp_core as tc

_CASES = {}


def case(name):
    if name not in _CASES:
        _CASES[name] = tc.cases.load(name)
        tc.clear(_CASES[name])  # warm: JIT, HiGHS
    return _CASES[name]


def test_paper_benders(benchmark):
    c = case("paper")
    result = benchmark.pedantic(tc.clear, args=(c,), rounds=15, iterations=1)
    benchmark.extra_info.update(iterations=result.iterations, objective=result.objective)


@pytest.mark.parametrize("method", ["benders", "centralized"])
def test_ieee123_benders_vs_centralized(benchmark, method):
    c = case("ieee123")
    result = benchmark.pedantic(tc.clear, args=(c, method), rounds=5, iterations=1)
    benchmark.extra_info.update(iterations=result.iterations, objective=result.objective,
                                customers=len(c.market.customers))


def test_paper_centralized(benchmark):
    c = case("paper")
    benchmark.pedantic(tc.clear, args=(c, "centralized"), rounds=10, iterations=1)
