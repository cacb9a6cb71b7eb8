"""Collapse and non-finite states (issue 9, class 1): v2 <= 0 or an overflow on a present phase
is an explicit outcome (result.collapsed, a RuntimeWarning, vm = 0, `tempp pf` exits 3), never
NaN or inf presented as a voltage; loads that overflow or are not numbers are InjectionErrors.

Expectations are hand computations on a 4-bus chain with diagonal impedance z*I per line and
the same load (p, q) per phase at buses 1..3: line l carries (3 - l)(p, q) per phase, and
LinDist3Flow gives v2_k = 1 - 2 z sum_{l < k} (3 - l)(p + q).
"""
import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tempp_core as tc
from tempp_core.errors import InjectionError, NoSecureResultError, TemppError

from tests.feeders import build, random_feeder_arrays, write_scaled_ieee13
from tests.market_cases import random_case

P, Q = 0.1, 0.03


def chain(z: float = 0.01, mutual: float = 0.0) -> tc.Feeder:
    names = [f"n{k}" for k in range(4)]
    m = z * (np.eye(3) + mutual * (1 - np.eye(3)))
    return tc.Feeder.from_arrays(names, names[:-1], names[1:], np.tile(m, (3, 1, 1)), np.tile(2 * m, (3, 1, 1)),
                                 swing="n0")


def loads(scale: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.zeros((4, 3))
    p[1:] = P * scale
    q = np.zeros((4, 3))
    q[1:] = Q * scale
    return p, q


def hand_v2(z: float, scale: float) -> np.ndarray:
    """v2 per bus of :func:`chain` (x = 2 z) under :func:`loads`: 1 - 2 sum (r P + x Q)."""
    drop = np.cumsum([0.0] + [2 * z * (3 - l) * scale * (P + 2 * Q) for l in range(3)])
    return 1.0 - drop


def solve(feeder, p, q):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = tc.power_flow(feeder, p, q)
    return res, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def assert_explicit(res, feeder) -> None:
    """The invariants of a power flow result on present phases (see the module docstring)."""
    on = np.broadcast_to(feeder.bus_phases, res.vm.shape)
    lon = np.broadcast_to(feeder.line_phases, res.P.shape)
    assert np.isfinite(res.vm[on]).all()
    assert np.isfinite(res.P[lon]).all() and np.isfinite(res.Q[lon]).all()
    assert not (res.collapsed & ~on).any()
    assert (~np.isfinite(res.v2[on]) <= res.collapsed[on]).all()  # non-finite => collapsed
    c = res.collapsed
    assert ((res.v2[c] <= 0) | ~np.isfinite(res.v2[c])).all() and (res.vm[c] == 0).all()
    ok = on & ~c
    assert (res.v2[ok] > 0).all()
    np.testing.assert_allclose(res.vm[ok], np.sqrt(res.v2[ok]), rtol=1e-12)


# (scale of the loads, buses whose three phases collapse), from hand_v2 with z = 0.01:
# v2 = 1 - 0.0096 s, 1 - 0.016 s, 1 - 0.0192 s at buses 1, 2, 3 (zero at s = 104, 62.5, 52).
COLLAPSES = [
    (1.0, []),
    (50.0, []),
    (60.0, [3]),
    (70.0, [2, 3]),
    (120.0, [1, 2, 3]),
    (1e3, [1, 2, 3]),
    (1e30, [1, 2, 3]),
    (1e300, [1, 2, 3]),
]


@pytest.mark.parametrize("scale, down", COLLAPSES)
def test_collapse_is_flagged_where_the_hand_computation_says(scale, down):
    feeder = chain()
    res, warned = solve(feeder, *loads(scale))
    expected = np.zeros((4, 3), dtype=bool)
    expected[down] = True
    np.testing.assert_array_equal(res.collapsed, expected)
    assert_explicit(res, feeder)
    if down:
        assert len(warned) == 1 and f"collapses (v2 <= 0 or not finite) on {3 * len(down)} bus-phase" in warned[0]
        assert f"first at bus 'n{down[0]}'" in warned[0]
    else:
        assert warned == []
        np.testing.assert_allclose(res.v2[:, 0], hand_v2(0.01, scale), rtol=1e-12)


# Impedances and loads so large that the sweep's arithmetic overflows: v2 = -inf, +inf or
# inf - inf = NaN. Each bus-phase must be flagged, never left as NaN/inf with vm NaN/inf.
OVERFLOWS = [
    ("impedance 1e30", dict(z=1e30), 1.0, 1.0),
    ("impedance 1e300", dict(z=1e300), 1.0, 1.0),
    ("impedance and load 1e154", dict(z=1e154), 1e154, 1.0),
    ("mutual terms 1e200, load 1e200 (inf - inf)", dict(z=1e200, mutual=0.5), 1e200, 1.0),
    ("mutual terms 1e300, load 1e10", dict(z=1e300, mutual=0.5), 1e10, 1.0),
    ("injection -1e200 through 1e200 (v2 -> +inf)", dict(z=1e200), 1e200, -1.0),
]


@pytest.mark.parametrize("label, shape, scale, sign", OVERFLOWS, ids=[o[0] for o in OVERFLOWS])
def test_overflowing_states_are_collapsed_not_nan(label, shape, scale, sign):
    feeder = chain(**shape)
    p, q = loads(scale)
    if label.startswith("mutual"):
        p[1:] *= np.array([1.0, -0.5, 0.3])  # mixed signs: +inf and -inf meet in one phase
        q[1:] *= np.array([1.0, -0.5, 0.3])
    res, warned = solve(feeder, sign * p, sign * q)
    assert_explicit(res, feeder)
    assert res.collapsed[1:].all(), label
    assert len(warned) == 1 and "collapses" in warned[0]


def test_a_batch_flags_only_its_collapsed_elements():
    feeder = chain()
    scales = np.array([1.0, 1e3, 0.5, 1e300])
    p, q = loads(1.0)
    res, _ = solve(feeder, scales[:, None, None] * p, scales[:, None, None] * q)
    np.testing.assert_array_equal(res.collapsed[:, 1:].all(axis=(1, 2)), [False, True, False, True])
    assert not res.collapsed[[0, 2]].any()
    for b in (0, 2):
        np.testing.assert_allclose(res.v2[b, :, 1], hand_v2(0.01, scales[b]), rtol=1e-12)
    assert_explicit(res, feeder)


def _three_huge() -> np.ndarray:
    p = np.zeros((4, 3))
    p[1:] = 1e308  # each finite; their sum on line n0-n1 is not
    return p


def _absent_phase_feeder() -> tc.Feeder:
    names = [f"n{k}" for k in range(4)]
    r = np.tile(np.eye(3) * 0.01, (3, 1, 1))
    return tc.Feeder.from_arrays(names, names[:-1], names[1:], r, r, swing="n0", bus_phases=["abc", "abc", "abc", "a"],
                                 line_phases=["abc", "abc", "a"])


BAD_LOADS = [
    ("loads that overflow when added up", chain, lambda: (_three_huge(), np.zeros((4, 3))),
     r"loads below line 'n0-n1' add up to a non-finite flow .*1e\+308"),
    ("NaN load", chain, lambda: (np.where(np.arange(4)[:, None] == 2, np.nan, np.full((4, 3), 0.1)), np.zeros((4, 3))),
     r"bus 'n2' has a non-finite load"),
    ("inf reactive load", chain, lambda: (np.zeros((4, 3)), np.where(np.arange(4)[:, None] == 3, np.inf, np.zeros((4, 3)))),
     r"bus 'n3' has a non-finite load"),
    ("-inf load", chain, lambda: (np.full((4, 3), -np.inf), np.zeros((4, 3))), r"non-finite load"),
    ("load on a phase the bus lacks", _absent_phase_feeder,
     lambda: (np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0.1, 0]]), np.zeros((4, 3))),
     r"bus 'n3' has a non-zero load on a phase it lacks \(it has only 'a'\)"),
    ("loads of the wrong shape", chain, lambda: (np.zeros((3, 3)), np.zeros((3, 3))), r"p has shape \(3, 3\)"),
    ("q of another batch", chain, lambda: (np.zeros((2, 4, 3)), np.zeros((3, 4, 3))), r"q has batch shape \(3,\)"),
    ("loads given as text", chain, lambda: ("x", np.zeros((4, 3))), r"p is not an array of numbers \(got str\)"),
    ("loads with a text entry", chain, lambda: ([["0"] * 3, ["x"] * 3, ["0"] * 3, ["0"] * 3], np.zeros((4, 3))),
     r"p is not an array of numbers"),
]


@pytest.mark.parametrize("label, make_feeder, make_loads, match", BAD_LOADS, ids=[b[0] for b in BAD_LOADS])
def test_bad_loads_are_injection_errors(label, make_feeder, make_loads, match):
    feeder = make_feeder()
    with pytest.raises(InjectionError, match=match):
        tc.power_flow(feeder, *make_loads())


def test_pf_command_exits_3_on_collapse(tmp_path, capsys):
    from tempp_core.cli import main

    assert main(["pf", "--case", str(write_scaled_ieee13(tmp_path, 1e4))]) == 3
    out = capsys.readouterr().out
    assert "VOLTAGE COLLAPSE" in out and "nan" not in out.lower()


@pytest.mark.parametrize("label, z_scale, kw", [
    ("collapse under 1e9 kW per customer", 1.0, 1e9),
    ("overflow through impedances 1e300 times too large", 1e300, 10.0),
])
def test_temo_counts_a_collapse_as_a_violation(label, z_scale, kw):
    """TEMO's assessment of a collapsed state violates the lower voltage limit by at least
    v_min^2 (v2 <= 0), or infinitely (v2 not finite); the clearing's report shows |V| = 0 there,
    never NaN."""
    from tempp_core.clearing.clear import _public_state
    from tempp_core.network.temo import Temo

    base = random_case(3, n_bus=6, T=2, v_target=None)
    feeder = dataclasses.replace(base.feeder, r_pu=base.feeder.r_pu * z_scale, x_pu=base.feeder.x_pu * z_scale)
    case = tc.Case(feeder, base.market, base.placement)
    layout = case.injections.layout
    x = np.zeros(layout.size)
    x[(layout.n_der + 1) * layout.n_periods:] = kw  # customers only
    state = Temo(case.feeder, case.injections, tc.ClearingOptions()).state(x)
    assert state.assessment.worst >= case.feeder.v_min_pu.min() ** 2, label
    vm, _, _ = _public_state(case.feeder, state)
    on = np.broadcast_to(case.feeder.bus_phases, vm.shape)
    assert np.isfinite(vm[on]).all() and (vm[on] == 0).any()


# ----------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_bus=st.integers(2, 12), log_scale=st.floats(-2, 300),
       log_z=st.floats(0, 150), sign=st.sampled_from([1.0, -1.0]), batch=st.integers(1, 3))
def test_power_flow_never_hides_a_non_finite_state(seed, n_bus, log_scale, log_z, sign, batch):
    """Random feeders (mutual terms, nested phases, shuffled input) under random loads up to
    1e300 p.u. and impedances up to 1e150 times their usual size: the result is finite on every
    present phase except where it is flagged collapsed, or the loads are refused."""
    arrays = random_feeder_arrays(seed, n_bus)
    arrays["r_pu"] = arrays["r_pu"] * 10.0**log_z
    arrays["x_pu"] = arrays["x_pu"] * 10.0**log_z
    feeder = build(arrays)
    rng = np.random.default_rng(seed)
    scale = 10.0 ** (log_scale - rng.uniform(0, 2, (batch, 1, 1)))
    p = sign * rng.uniform(-0.2, 1.0, (batch, n_bus, 3)) * scale * feeder.bus_phases
    q = sign * rng.uniform(-0.2, 1.0, (batch, n_bus, 3)) * scale * feeder.bus_phases
    try:
        res, warned = solve(feeder, p, q)
    except InjectionError as exc:
        assert "add up to a non-finite flow" in str(exc)
        return
    assert_explicit(res, feeder)
    assert bool(warned) == bool(res.collapsed.any())


def _finite_result(result) -> None:
    t = result.transactions
    assert np.isfinite(result.objective)
    for values in (t.p_der_kw, t.p_mg_kw, t.p_customer_kw, result.customer_price, result.prices.rho,
                   result.prices.participant):
        assert np.isfinite(values).all()
    conn = result.prices.connection
    on = np.broadcast_to(result.case.feeder.bus_phases, conn.shape)
    assert np.isfinite(conn[on]).all()
    s = result.settlement
    for field in dataclasses.fields(s):
        value = getattr(s, field.name)
        if isinstance(value, (float, np.ndarray)) and np.asarray(value).dtype.kind == "f":
            assert np.isfinite(value).all(), field.name
    vm = result.network.vm
    assert np.isfinite(vm[np.broadcast_to(result.case.feeder.bus_phases, vm.shape)]).all()


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_bus=st.integers(3, 8), T=st.integers(1, 3),
       v_target=st.sampled_from([None, 0.97, 0.9, 0.5]), method=st.sampled_from(["benders", "centralized"]))
def test_clear_gives_finite_numbers_or_a_tempp_error(seed, n_bus, T, v_target, method):
    """A random small case (some with networks that bind hard, or cannot be secured) clears to
    finite numbers everywhere, or raises one of tempp_core's errors."""
    case = random_case(seed, n_bus=n_bus, n_der=2, n_customer=3, T=T, v_target=v_target)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = tc.clear(case, method, max_iter=40)
    except TemppError as exc:
        assert isinstance(exc, NoSecureResultError) or str(exc)
        return
    _finite_result(result)
