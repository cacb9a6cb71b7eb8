"""Market clearing end to end: the default case, and IEEE 123 Benders vs centralized."""
import pytest

import tempp_core as tc

_CASES = {}


def case(name):
    if name not in _CASES:
        if name == "ieee123-12k":
            # 12,325 customers (145 on each of the 85 load buses); night overvoltage downstream
            # of regulator 160 needs v_max 1.06, and ratings 3x the mean-load flows
            from tempp_core.cases.population import populate

            feeder, p, q = tc.cases.ieee123()
            _CASES[name] = populate(feeder, p, q, customers_per_bus=145, line_limit_factor=3.0, capacitors=False,
                                    v_limits=(0.95, 1.06), name=name)
        elif name == "ieee123-12k-binding":
            # the same customers with v in [0.96, 1.055]: five voltage limits bind
            from tempp_core.cases.population import populate

            feeder, p, q = tc.cases.ieee123()
            _CASES[name] = populate(feeder, p, q, customers_per_bus=145, line_limit_factor=3.0, capacitors=False,
                                    v_limits=(0.96, 1.055), name=name)
        else:
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


def test_ieee123_12300_customers(benchmark):
    """The customer-scale anchor: 12,325 customers x 24 periods (arXiv 2605.23671: 12,300 in
    0.829 s for one period)."""
    c = case("ieee123-12k")
    result = benchmark.pedantic(tc.clear, args=(c,), rounds=7, iterations=1)
    benchmark.extra_info.update(iterations=result.iterations, customers=len(c.market.customers))


@pytest.mark.parametrize("method", ["benders", "centralized"])
def test_ieee123_12k_heterogeneous_binding(benchmark, method):
    """12,325 heterogeneous customers x 24 with binding voltage limits: the centralized
    reference (constraint generation) against Benders (docs/benchmarks.md)."""
    c = case("ieee123-12k-binding")
    result = benchmark.pedantic(tc.clear, args=(c, method), rounds=5, iterations=1)
    benchmark.extra_info.update(iterations=result.iterations, objective=result.objective)
