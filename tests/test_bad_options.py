"""Bad options and arguments (issue 9, class 5): clearing options, the arguments of ``clear``,
of the synthetic feeders, of ``populate`` and of the scenario sampler are refused with the
most specific error, naming the option and the value, before any work starts."""
import warnings

import numpy as np
import pytest

import tempp_core as tc
from tempp_core.errors import CaseError, FeederError, InjectionError, InputError, OptionsError
from tempp_core.studies.scenarios import sample

OPTIONS = [
    ("tol", -1, r"tol must be a finite number >= 0 \(p\.u\.\); got -1"),
    ("tol", float("nan"), r"tol must be .*got nan"),
    ("tol", float("inf"), r"tol must be .*got inf"),
    ("tol", "1e-6", r"tol must be .*got '1e-6'"),
    ("tol", True, r"tol must be .*got True"),
    ("tol", None, r"tol must be .*got None"),
    ("max_iter", 2.5, r"max_iter must be an integer >= 1; got 2\.5"),
    ("max_iter", 10.0, r"max_iter must be an integer >= 1; got 10\.0"),
    ("max_iter", 0, r"max_iter must be an integer >= 1; got 0"),
    ("max_iter", -3, r"max_iter .*got -3"),
    ("max_iter", "10", r"max_iter .*got '10'"),
    ("max_iter", True, r"max_iter .*got True"),
    ("max_iter", None, r"max_iter .*got None"),
    ("cuts", "Period", r"cuts must be one of 'period', 'aggregate', 'constraint'; got 'Period'"),
    ("cuts", None, r"cuts must be one of .*got None"),
    ("sensitivity", "adjoint", r"sensitivity must be one of 'exact', 'paper'; got 'adjoint'"),
    ("loads", "", r"loads must be one of 'joint', 'fixed'; got ''"),
    ("slack", "LP", r"slack must be one of 'closed', 'lp'; got 'LP'"),
    ("network", "dc", r"network must be one of 'lindist', 'ac'; got 'dc'"),
    ("ac_check", True, r"ac_check must be one of 'auto', 'on', 'off'; got True"),
    ("ac_check", "yes", r"ac_check must be one of .*got 'yes'"),
]


@pytest.mark.parametrize("name, value, match", OPTIONS, ids=[f"{o[0]}={o[1]!r}" for o in OPTIONS])
def test_clearing_options_refuse(name, value, match):
    with pytest.raises(OptionsError, match=match):
        tc.ClearingOptions(**{name: value})


def test_options_are_checked_before_any_work(paper, monkeypatch):
    """A bad option given to clear fails before the clearing starts (no Benders round runs)."""
    import tempp_core.clearing.benders as benders

    monkeypatch.setattr(benders, "run_benders", lambda *a, **k: pytest.fail("the clearing started"))
    with pytest.raises(OptionsError, match=r"max_iter must be an integer >= 1; got 2\.5"):
        tc.clear(paper, max_iter=2.5)


CLEAR_CALLS = [
    ("an unknown method", dict(method="newton"), OptionsError, r"method must be one of 'benders', 'centralized'; got 'newton'"),
    ("an unknown option", dict(tolerance=1e-6), OptionsError, r"unknown clearing option\(s\) \['tolerance'\]"),
    ("options as a dict", dict(options={"tol": 1e-6}), OptionsError, r"options is a dict; expected ClearingOptions"),
    ("options as text", dict(options="fast"), OptionsError, r"options is a str; expected ClearingOptions"),
    ("a bad override of good options", dict(options=tc.ClearingOptions(), tol=-1.0), OptionsError, r"tol must be"),
]


@pytest.mark.parametrize("label, kwargs, error, match", CLEAR_CALLS, ids=[c[0] for c in CLEAR_CALLS])
def test_clear_refuses(label, kwargs, error, match, paper):
    with pytest.raises(error, match=match):
        tc.clear(paper, **kwargs)


@pytest.mark.parametrize("case", ["paper", None, 3], ids=["a name", "None", "a number"])
def test_clear_needs_a_case(case):
    with pytest.raises(CaseError, match=rf"clear needs a Case; got a {type(case).__name__}"):
        tc.clear(case)


SYNTHETIC = [
    (dict(n_buses=10, v_min_target=1.05), r"v_min_target is 1\.05 p\.u\.; expected the lowest base-case voltage, in \(0, 1\)"),
    (dict(n_buses=10, v_min_target=0.0), r"v_min_target is 0\.0"),
    (dict(n_buses=10, v_min_target=float("nan")), r"v_min_target is nan"),
    (dict(n_buses=10, v_min_target="0.95"), r"v_min_target is '0\.95'; expected a number"),
    (dict(n_buses=2.5), r"n_buses is 2\.5; expected a whole number of buses, at least 2"),
    (dict(n_buses=1), r"n_buses is 1"),
    (dict(n_buses="10"), r"n_buses is '10'"),
    (dict(n_buses=True), r"n_buses is True"),
    (dict(n_buses=10, p_continue=1.5), r"p_continue is 1\.5; expected a probability"),
    (dict(n_buses=10, p_continue=float("nan")), r"p_continue is nan"),
    (dict(n_buses=10, s_base_kva=0.0), r"s_base_kva is 0\.0; expected a positive finite number"),
    (dict(n_buses=10, s_base_kva="x"), r"s_base_kva is 'x'; expected a number"),
    (dict(n_buses=10, v_base_v=-7200.0), r"v_base_v is -7200\.0"),
    (dict(n_buses=10, mean_segment_m=float("inf")), r"mean_segment_m is inf"),
    (dict(n_buses=10, flow_limit_factor=None), r"flow_limit_factor is None"),
    (dict(n_buses=10, seed="x"), r"seed is 'x'; expected a whole number >= 0"),
    (dict(n_buses=10, seed=-1), r"seed is -1"),
]


@pytest.mark.parametrize("kwargs", [s[0] for s in SYNTHETIC], ids=[repr(s[0]) for s in SYNTHETIC])
def test_synthetic_refuses(kwargs):
    match = dict((repr(k), m) for k, m in SYNTHETIC)[repr(kwargs)]
    with pytest.raises(InputError, match=match):
        tc.cases.synthetic(**kwargs)


def test_synthetic_does_not_warn_of_a_collapse_it_scales_away():
    """synthetic() solves its unscaled loads once to find the scale; that power flow may
    collapse, but the feeder it returns does not, and the user is not told otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        feeder, p, q = tc.cases.synthetic(1000, seed=0)
    assert not tc.power_flow(feeder, p, q).collapsed.any()


FEEDER, P, Q = tc.cases.synthetic(30, seed=1)

POPULATE = [
    ("NaN loads", dict(p=P * np.nan), InjectionError, r"populate: bus 'b0' has a non-finite base load"),
    ("no positive load", dict(p=-P), InjectionError, r"populate: no bus but the swing bus has a positive base load"),
    ("zero loads", dict(p=0 * P), InjectionError, r"no bus but the swing bus has a positive base load"),
    ("loads of the wrong shape", dict(p=P[:3]), InjectionError, r"p has shape \(3, 3\); expected \(\.\.\., 30, 3\)"),
    ("loads as text", dict(p="big"), InjectionError, r"p is not an array of numbers"),
    ("customers_per_bus 0", dict(customers_per_bus=0), InputError, r"customers_per_bus is 0; expected a whole number"),
    ("customers_per_bus 1.5", dict(customers_per_bus=1.5), InputError, r"customers_per_bus is 1\.5"),
    ("max_customer_buses 0", dict(max_customer_buses=0), InputError, r"max_customer_buses is 0"),
    ("mg_share 0", dict(mg_share=0.0), InputError, r"mg_share must be a finite number > 0"),
    ("NaN size_sigma", dict(size_sigma=float("nan")), InputError, r"size_sigma must be"),
    ("v_limits crossed", dict(v_limits=(1.05, 0.95)), FeederError, r"v_min_pu 1\.05 >= v_max_pu 0\.95"),
]


@pytest.mark.parametrize("label, kwargs, error, match", POPULATE, ids=[c[0] for c in POPULATE])
def test_populate_refuses(label, kwargs, error, match):
    given = dict(p=P, q=Q)
    given.update(kwargs)
    with pytest.raises(error, match=match):
        tc.cases.populate(FEEDER, given.pop("p"), given.pop("q"), **given)


SAMPLE = [
    (dict(n=0), r"n must be at least 1, got 0"),
    (dict(n=2, seed=-1), r"seed is -1; expected a whole number >= 0"),
    (dict(n=2, seed="x"), r"seed is 'x'"),
    (dict(n=2, load_sigma=-0.1), r"load_sigma must be >= 0, got -0\.1"),
    (dict(n=2, lmp_sigma=float("nan")), r"lmp_sigma must be >= 0, got nan"),
    (dict(n=2, correlation=1.0), r"correlation must be in \(-1, 1\), got 1\.0"),
]


@pytest.mark.parametrize("kwargs, match", SAMPLE, ids=[repr(s[0]) for s in SAMPLE])
def test_sample_refuses(kwargs, match, paper):
    with pytest.raises(InputError, match=match):
        sample(paper, **kwargs)
