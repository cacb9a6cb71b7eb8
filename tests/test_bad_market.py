"""Bad markets and placements (issue 9, class 5): every malformed participant, market or
placement is a CaseError naming the participant (or the market field) and the value.

Inputs are mutations of the paper case (``tc.cases.paper()``): one field of one participant
at a time, the market's own fields, and the placement of one participant.
"""
import dataclasses

import numpy as np
import pytest

import tempp_core as tc
from tempp_core.errors import CaseError
from tempp_core.market import Market
from tempp_core.market.participants import Aggregator, MainGrid

PAPER = tc.cases.paper()
M = PAPER.market
T = M.n_periods
RL1 = M.customers[0].name
G1 = M.ders[0].name
assert (RL1, G1) == ("RL1", "G1")  # the names the messages below are written for


def customer(**fields) -> dict:
    """Market arguments with customer 0 changed."""
    customers = list(M.customers)
    customers[0] = dataclasses.replace(customers[0], **fields)
    return dict(customers=customers)


def der(**fields) -> dict:
    ders = list(M.ders)
    ders[0] = dataclasses.replace(ders[0], **fields)
    return dict(ders=ders)


def in_period(t: int, value: float, other: float = 10.0) -> np.ndarray:
    return np.where(np.arange(T) == t, value, other)


MARKETS = [
    # the market
    ("n_periods 24.5", dict(n_periods=24.5), r"n_periods is 24\.5; expected a whole number"),
    ("n_periods 0", dict(n_periods=0), r"n_periods must be at least 1, got 0"),
    ("n_periods NaN", dict(n_periods=float("nan")), r"n_periods is nan"),
    ("n_periods True", dict(n_periods=True), r"n_periods is True"),
    ("n_periods None", dict(n_periods=None), r"n_periods is None"),
    ("n_periods as text", dict(n_periods="24"), r"n_periods is '24'"),
    ("n_periods 23 for 24-period profiles", dict(n_periods=23), r"has shape \(24,\); expected \(23,\)"),
    # names
    ("blank customer name", customer(name=""), r"a participant is named ''"),
    ("customer name of spaces", customer(name="   "), r"a participant is named '   '"),
    ("NaN customer name", customer(name=float("nan")), r"a participant is named nan"),
    ("customer name not text", customer(name=7), r"a participant is named 7"),
    ("blank DER name", der(name=""), r"a participant is named ''"),
    ("customer named MG", customer(name="MG"), r"participant name 'MG' is used more than once \(or is the reserved"),
    ("two customers of one name", dict(customers=list(M.customers) + [dataclasses.replace(M.customers[0])]),
     r"participant name 'RL1' is used more than once"),
    ("a customer named as a DER", customer(name=G1), r"participant name 'G1' is used more than once"),
    # customers' economics
    ("NaN beta", customer(beta=float("nan")), r"customer 'RL1' has alpha 0\.25, beta nan; expected finite"),
    ("zero beta", customer(beta=0.0), r"customer 'RL1' has alpha 0\.25, beta 0\.0"),
    ("negative beta", customer(beta=-0.002), r"customer 'RL1' has .*beta -0\.002"),
    ("infinite beta", customer(beta=float("inf")), r"customer 'RL1' has .*beta inf"),
    ("beta as text", customer(beta="0.002x"), r"customer 'RL1' has beta '0\.002x'; expected a number"),
    ("NaN alpha", customer(alpha=float("nan")), r"customer 'RL1' has alpha nan"),
    ("infinite alpha", customer(alpha=float("inf")), r"customer 'RL1' has alpha inf"),
    ("alpha as text", customer(alpha="a"), r"customer 'RL1' has alpha 'a'; expected a number"),
    ("alpha below every price", customer(alpha=-1.0), r"customer 'RL1' leaves its price-responsive range"),
    ("power factor 0", customer(power_factor=0.0), r"customer 'RL1' has power_factor 0\.0; expected 0 < pf <= 1"),
    ("power factor 1.5", customer(power_factor=1.5), r"customer 'RL1' has power_factor 1\.5"),
    ("NaN power factor", customer(power_factor=float("nan")), r"customer 'RL1' has power_factor nan"),
    ("negative power factor", customer(power_factor=-0.9), r"customer 'RL1' has power_factor -0\.9"),
    ("power factor as text", customer(power_factor="0.95"), r"customer 'RL1' has power_factor '0\.95'"),
    ("band upside down", customer(band=(1.1, 0.9)), r"customer 'RL1' has band \(1\.1, 0\.9\); expected finite 0 <= lo"),
    ("negative band", customer(band=(-0.1, 0.9)), r"customer 'RL1' has band \(-0\.1, 0\.9\)"),
    ("NaN band", customer(band=(float("nan"), 1.1)), r"customer 'RL1' has band \(nan, 1\.1\)"),
    ("infinite band", customer(band=(0.9, float("inf"))), r"customer 'RL1' has band \(0\.9, inf\)"),
    ("band of three numbers", customer(band=(0.9, 1.0, 1.1)), r"customer 'RL1' has band \(0\.9, 1\.0, 1\.1\); expected 2"),
    ("band as text", customer(band="0.9-1.1"), r"customer 'RL1' has band '0\.9-1\.1'"),
    ("unknown kind", customer(kind="XX"), r"customer 'RL1' has kind 'XX'; expected one of \['AL', 'CL', 'IL', 'RL'\]"),
    ("kind in lower case", customer(kind="rl"), r"customer 'RL1' has kind 'rl'"),
    ("NaN in the load profile", customer(p_ori_kw=in_period(3, np.nan)), r"customer 'RL1' p_ori_kw must be 24 finite"),
    ("negative load", customer(p_ori_kw=in_period(5, -1.0)), r"customer 'RL1' p_ori_kw must be 24 finite values >= 0"),
    ("infinite load", customer(p_ori_kw=in_period(0, np.inf)), r"customer 'RL1' p_ori_kw must be 24 finite"),
    ("profile one period short", customer(p_ori_kw=np.ones(T - 1)), r"customer 'RL1' p_ori_kw has shape \(23,\)"),
    ("profile as one number", customer(p_ori_kw=10.0), r"customer 'RL1' p_ori_kw has shape \(\); expected \(24,\)"),
    ("all-zero profile", customer(p_ori_kw=np.zeros(T)), r"customer 'RL1' has an all-zero original load profile"),
    ("a band the price cap cannot meet", customer(band=(0.3, 0.5)), r"customer 'RL1' cannot meet the daily price cap"),
    # DERs
    ("NaN DER capacity", der(p_max_kw=float("nan")), r"DER 'G1' p_max_kw is nan in period 0; expected a finite"),
    ("negative DER capacity", der(p_max_kw=-1.0), r"DER 'G1' p_max_kw is -1\.0 in period 0"),
    ("infinite DER capacity", der(p_max_kw=float("inf")), r"DER 'G1' p_max_kw is inf"),
    ("NaN in a DER profile", der(p_max_kw=in_period(7, np.nan)), r"DER 'G1' p_max_kw is nan in period 7"),
    ("DER profile of 3 periods", der(p_max_kw=np.ones(3)), r"DER 'G1' p_max_kw has shape \(3,\); expected \(24,\)"),
    ("DER capacity as text", der(p_max_kw="125kW"), r"DER 'G1' p_max_kw is '125kW'; expected numbers"),
    ("NaN DER cost", der(cost_per_kwh=float("nan")), r"DER 'G1' cost_per_kwh is nan"),
    ("negative DER cost", der(cost_per_kwh=-0.1), r"DER 'G1' cost_per_kwh is -0\.1"),
    ("DER cost as text", der(cost_per_kwh="cheap"), r"DER 'G1' cost_per_kwh is 'cheap'"),
    ("DER cost None", der(cost_per_kwh=None), r"DER 'G1' cost_per_kwh is None"),
    # main grid
    ("NaN LMP", dict(grid=MainGrid(in_period(2, np.nan, 0.05))), r"main grid lmp_per_kwh is nan in period 2"),
    ("negative LMP", dict(grid=MainGrid(in_period(2, -0.01, 0.05))), r"main grid lmp_per_kwh is -0\.01 in period 2"),
    ("one LMP for all periods", dict(grid=MainGrid(0.05)), r"main grid lmp_per_kwh has shape \(\); expected \(24,\)"),
    ("LMP of 3 periods", dict(grid=MainGrid(np.ones(3))), r"main grid lmp_per_kwh has shape \(3,\)"),
    ("LMP as text", dict(grid=MainGrid("0.05")), r"main grid lmp_per_kwh"),
    ("NaN grid capacity", dict(grid=MainGrid(M.lmp, float("nan"))), r"main grid p_max_kw is nan"),
    ("negative grid capacity", dict(grid=MainGrid(M.lmp, -1.0)), r"main grid p_max_kw is -1\.0"),
    ("infinite grid capacity", dict(grid=MainGrid(M.lmp, float("inf"))), r"main grid p_max_kw is inf"),
    ("grid capacity as text", dict(grid=MainGrid(M.lmp, "250")), r"main grid p_max_kw is '250'"),
    # aggregator
    ("NaN daily cap", dict(aggregator=Aggregator(daily_cap=float("nan"))), r"aggregator limits .*daily_cap=nan"),
    ("zero daily cap", dict(aggregator=Aggregator(daily_cap=0.0)), r"aggregator limits .*daily_cap=0\.0"),
    ("negative daily cap", dict(aggregator=Aggregator(daily_cap=-1.0)), r"aggregator limits .*daily_cap=-1\.0"),
    ("infinite daily cap", dict(aggregator=Aggregator(daily_cap=float("inf"))), r"aggregator limits .*daily_cap=inf"),
    ("daily cap as text", dict(aggregator=Aggregator(daily_cap="4.32")), r"aggregator daily_cap is '4\.32'"),
    ("daily cap beyond the utility", dict(aggregator=Aggregator(daily_cap=1e9)),
     r"default calibration needs alpha > daily_cap / T.*cap 1000000000\.0"),
    ("NaN price floor", dict(aggregator=Aggregator(price_min=float("nan"))), r"aggregator limits .*price_min=nan"),
    ("NaN price ceiling", dict(aggregator=Aggregator(price_max=float("nan"))), r"aggregator limits .*price_max=nan"),
    ("floor above ceiling", dict(aggregator=Aggregator(price_min=0.3)), r"aggregator limits .*price_min=0\.3"),
    ("negative price floor", dict(aggregator=Aggregator(price_min=-0.1)), r"aggregator limits .*price_min=-0\.1"),
    ("price ceiling as text", dict(aggregator=Aggregator(price_max="0.24")), r"aggregator price_max is '0\.24'"),
]


@pytest.mark.parametrize("label, changes, match", MARKETS, ids=[c[0] for c in MARKETS])
def test_market_refuses(label, changes, match):
    given = dict(ders=M.ders, grid=M.grid, customers=M.customers, aggregator=M.aggregator, n_periods=T)
    given.update(changes)
    with pytest.raises(CaseError, match=match):
        Market(**given)


PL = list(PAPER.placement)


def placed(first) -> list:
    """The paper's placement with G1's replaced by ``first`` (a Placement or a function of it)."""
    return [first(PL[0]) if callable(first) else first] + PL[1:]


PLACEMENTS = [
    ("one participant placed twice", PL + [PL[0]], r"participant 'G1' is placed twice \(buses '19' and '19'\)"),
    ("placed twice at two buses", PL + [dataclasses.replace(PL[0], bus="8")],
     r"participant 'G1' is placed twice \(buses '19' and '8'\)"),
    ("a participant not placed", PL[1:], r"participant\(s\) \['G1'\] have no placement"),
    ("a placement of no participant", PL + [tc.Placement("ZZ", "19", "a")], r"placement\(s\) \['ZZ'\] name no participant"),
    ("an unknown bus", placed(lambda p: dataclasses.replace(p, bus="nowhere")),
     r"participant 'G1' is placed at bus 'nowhere', which is not on the feeder"),
    ("the bus as a number", placed(lambda p: dataclasses.replace(p, bus=19)),
     r"participant 'G1' is placed at bus 19.*\(bus names are text: '19'\)"),
    ("the swing bus", placed(lambda p: dataclasses.replace(p, bus=PAPER.feeder.bus_names[0])),
     r"participant 'G1' is placed at the swing bus '1'"),
    ("phase 'd'", placed(lambda p: dataclasses.replace(p, phases="d")), r"participant 'G1' has phases 'd'.*unknown: 'd'"),
    ("no phase", placed(lambda p: dataclasses.replace(p, phases="")), r"participant 'G1' has phases ''"),
    ("phases None", placed(lambda p: dataclasses.replace(p, phases=None)), r"participant 'G1' has phases None"),
    ("shares summing to 2", placed(lambda p: dataclasses.replace(p, phases="ab", shares=(1.0, 1.0))),
     r"participant 'G1' has shares \(1\.0, 1\.0\) on phases 'ab'; expected 2 non-negative numbers summing to 1"),
    ("a NaN share", placed(lambda p: dataclasses.replace(p, phases="ab", shares=(np.nan, 1.0))),
     r"participant 'G1' has shares \(nan, 1\.0\)"),
    ("one share for two phases", placed(lambda p: dataclasses.replace(p, phases="ab", shares=(1.0,))),
     r"participant 'G1' has shares \(1\.0,\) on phases 'ab'"),
    ("a negative share", placed(lambda p: dataclasses.replace(p, phases="ab", shares=(-0.5, 1.5))),
     r"participant 'G1' has shares \(-0\.5, 1\.5\)"),
    ("shares as text", placed(lambda p: dataclasses.replace(p, phases="ab", shares="0.5;0.5")),
     r"participant 'G1' has shares 0\.5;0\.5 on phases 'ab'"),
]


@pytest.mark.parametrize("label, placement, match", PLACEMENTS, ids=[c[0] for c in PLACEMENTS])
def test_placement_refuses(label, placement, match):
    with pytest.raises(CaseError, match=match):
        tc.Case(PAPER.feeder, M, tuple(placement))


def test_a_single_phase_bus_refuses_a_three_phase_participant():
    """IEEE 13's bus 611 has phase c only: a customer there on 'abc' is named with both."""
    case = tc.cases.load("ieee13")
    first = case.placement[0]
    bad = (dataclasses.replace(first, bus="611", phases="abc"),) + case.placement[1:]
    with pytest.raises(CaseError, match=rf"participant '{first.name}' is placed on phases 'abc' of bus '611', which "
                                        r"has only 'c'"):
        tc.Case(case.feeder, case.market, bad)
