"""Populating feeders with participants, and clearing the populated IEEE feeders."""
import numpy as np
import pytest

import tempp_core as tc
from tempp_core.cases.population import populate
from tempp_core.units import pu_to_kw


def test_customers_take_the_place_of_the_base_loads():
    feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee123"))
    case = populate(feeder, p, q, seed=5, customers_per_bus=2)
    loaded = np.flatnonzero(np.clip(p, 0, None)[1:].sum(axis=1) > 0) + 1
    assert len(case.market.customers) == 2 * loaded.size
    # Each bus's customers together have the bus's base load as their mean original load.
    mean_by_bus = {}
    for c, place in zip(case.market.customers, case.placement):
        mean_by_bus[place.bus] = mean_by_bus.get(place.bus, 0.0) + np.mean(c.p_ori_kw)
    for bus in loaded:
        expected = pu_to_kw(np.clip(p[bus], 0, None), feeder.s_base_kva).sum()
        assert mean_by_bus[feeder.bus_names[bus]] == pytest.approx(expected, rel=1e-3)
    again = populate(feeder, p, q, seed=5, customers_per_bus=2)
    chosen = populate(feeder, p, q, seed=5, der_buses=("67", "72", "76", "101"))
    assert [pl.bus for pl in chosen.placement[-4:]] == ["67", "72", "76", "101"]
    assert [c.kind for c in again.market.customers] == [c.kind for c in case.market.customers]
    assert again.placement == case.placement


@pytest.mark.parametrize("name", ["ieee13", "ieee123"])
def test_populated_ieee_feeders_clear_like_the_centralized_reference(name):
    case = tc.cases.load(name)
    benders = tc.clear(case)
    central = tc.clear(case, "centralized")
    assert benders.converged and benders.iterations > 1
    assert benders.objective == pytest.approx(central.objective, rel=1e-6)


def test_many_customers_per_bus_clear_like_the_centralized_reference():
    """145 customers a bus is the 12,300-customer study; 2 a bus keeps the reference LP quick."""
    feeder, p, q = tc.cases.ieee123()
    case = populate(feeder, p, q, customers_per_bus=2, capacitors=False)  # see cases.load
    benders = tc.clear(case)
    assert benders.objective == pytest.approx(tc.clear(case, "centralized").objective, rel=1e-6)
