"""Scenarios, batched TEMO, clear_many in-process and on a Dask LocalCluster."""
import numpy as np
import pandas as pd
import pytest

import tempp_core as tc
from tempp_core.studies.batch import clear_many
from tempp_core.market import MainGrid, Market
from tempp_core.studies.scenarios import sample
from tempp_core.network.temo import Temo


def test_sampling_is_reproducible_and_bounded(paper):
    a = sample(paper, 6, seed=11)
    b = sample(paper, 6, seed=11)
    c = sample(paper, 6, seed=12)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.market.lmp, y.market.lmp)
        np.testing.assert_array_equal(x.market.der_p_max, y.market.der_p_max)
    assert not np.array_equal(a[0].market.lmp, c[0].market.lmp)
    base = paper.market
    for s in a:
        assert s.feeder is paper.feeder and s.placement == paper.placement
        assert (s.market.lmp >= 0).all()
        wt = s.market.der_p_max[2]
        assert (wt >= 0).all() and (wt <= 1.5 * base.der_p_max[2].max() + 1e-12).all()
        np.testing.assert_array_equal(s.market.der_p_max[:2], base.der_p_max[:2])  # G1, G2 do not vary
        for c_new, c_old in zip(s.market.customers, base.customers):
            mean = np.mean(c_old.p_ori_kw)
            assert (c_new.p_ori_kw >= 0.25 * mean - 1e-9).all() and (c_new.p_ori_kw <= 1.7 * mean + 1e-9).all()
    # the noise has mean one: LMPs average to the base over many scenarios
    many = sample(paper, 400, seed=1)
    ratio = np.mean([s.market.lmp / base.lmp for s in many], axis=0)
    np.testing.assert_allclose(ratio, 1.0, atol=0.03)


def test_batched_temo_equals_one_by_one(paper):
    scenarios = sample(paper, 5, seed=4)
    from tempp_core.market import MasterProblem

    proposals = [MasterProblem(s.market).solve().transactions for s in scenarios]
    temo = Temo(paper.feeder, paper.injections)
    together = temo.check_many(proposals)
    for proposal, reply in zip(proposals, together):
        alone = temo.check(proposal)
        assert reply.violation == pytest.approx(alone.violation, rel=1e-12, abs=1e-15)
        assert len(reply.cuts) == len(alone.cuts) > 0
        for a, b in zip(reply.cuts, alone.cuts):
            np.testing.assert_array_equal(a.index, b.index)
            np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12, atol=1e-15)
            assert a.rhs == pytest.approx(b.rhs, rel=1e-12)


def _with_failure(paper, scenarios):
    m = scenarios[1].market
    broken = Market(m.ders, MainGrid(m.lmp, p_max_kw=0.0), m.customers, m.aggregator, m.n_periods)
    return [scenarios[0], scenarios[1].with_market(broken)] + scenarios[2:]


def test_lockstep_equals_one_by_one_and_failures_are_recorded(paper):
    scenarios = _with_failure(paper, sample(paper, 4, seed=2))
    lock = clear_many(scenarios)
    single = clear_many(scenarios, lockstep=False)
    pd.testing.assert_frame_equal(lock.table, single.table)
    assert list(lock.status["status"]) == ["optimal", "error", "optimal", "optimal"]
    assert "MarketInfeasibleError" in lock.status.loc[1, "error"]
    assert set(lock.table["scenario"]) == {0, 2, 3}
    # one scenario alone, through clear(), gives the same numbers
    direct = tc.clear(scenarios[2])
    rows = lock.table[(lock.table["scenario"] == 2) & (lock.table["kind"] == "customer")]
    np.testing.assert_allclose(rows["quantity_kw"].to_numpy(), direct.transactions.p_customer_kw.ravel())
    np.testing.assert_allclose(rows["price"].to_numpy(), direct.customer_price.ravel())


def test_dask_local_cluster_gives_the_same_table(paper):
    distributed = pytest.importorskip("distributed")
    scenarios = _with_failure(paper, sample(paper, 4, seed=5))
    local = clear_many(scenarios)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = clear_many(scenarios, client=client)
    pd.testing.assert_frame_equal(remote.table, local.table)
    pd.testing.assert_frame_equal(remote.status.drop(columns="time_s"), local.status.drop(columns="time_s"))


def test_cli_batch_writes_parquet(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    from tempp_core.cli import main

    out = tmp_path / "results.parquet"
    assert main(["batch", "--scenarios", "3", "--quiet", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert set(table["scenario"]) == {0, 1, 2}
    assert "3 scenarios of 'paper'" in capsys.readouterr().out
