"""The cached parallel AC kernel under another thread count: compiled and cached by a process
with two threads, loaded from the cache by one with a single thread (NUMBA_NUM_THREADS) and
run there, and run after numba.set_num_threads(1); the results must not change."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import json, sys
import numba
import numpy as np
import tempp_core as tc
from tempp_core.cases import synthetic
from tempp_core.network.kernels import ac

feeder, p, q = synthetic(1500, seed=3)
scale = np.linspace(0.5, 1.3, 6)[:, None, None]
out = tc.AcPowerFlowBuffers.allocate(feeder, 6, n_chunk=2)
first = tc.ac_power_flow(feeder, scale * p, scale * q, out=out).v.copy()
numba.set_num_threads(1)
second = tc.ac_power_flow(feeder, scale * p, scale * q, out=out).v
np.save(sys.argv[1], first)
print(json.dumps({"threads": numba.config.NUMBA_NUM_THREADS, "cache_hits": sum(ac.solve_parallel.stats.cache_hits.values()),
                  "same_after_set_num_threads": bool(np.array_equal(first, second, equal_nan=True))}))
"""


def run(tmp_path, threads, name):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "NUMBA_NUM_THREADS": str(threads),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / name)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(tmp_path / f"{name}.npy")


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_cached_parallel_kernel_with_another_thread_count(tmp_path):
    two, v_two = run(tmp_path, 2, "two")
    one, v_one = run(tmp_path, 1, "one")
    assert two["threads"] == 2 and one["threads"] == 1
    assert one["cache_hits"] >= 1  # the second process loaded what the first compiled
    assert two["same_after_set_num_threads"] and one["same_after_set_num_threads"]
    np.testing.assert_array_equal(v_one, v_two)
