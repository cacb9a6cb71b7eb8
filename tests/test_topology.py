"""Topology: path and incidence matrices, subtree sizes and depths against naive versions."""
import numpy as np
from hypothesis import given, settings

from tempp_core.network import topology

from tests.feeders import build, feeder_seeds, random_feeder_arrays


def naive_path(parent):
    n = parent.size
    M = np.zeros((n - 1, n))
    for k in range(n):
        j = k
        while j > 0:
            M[j - 1, k] = 1
            j = parent[j]
    return M


@settings(max_examples=30, deadline=None, derandomize=True)
@given(feeder_seeds)
def test_sparse_structures_match_naive(seed_n):
    seed, n = seed_n
    f = build(random_feeder_arrays(seed, n))
    parent = f.parent
    P = naive_path(parent)
    np.testing.assert_array_equal(f.path_matrix().toarray(), P)
    # subtree of bus j = buses whose path uses the line feeding j (plus the root's = all)
    np.testing.assert_array_equal(topology.subtree_sizes(parent), np.r_[n, P.sum(axis=1)].astype(int))
    np.testing.assert_array_equal(f.depth(), P.sum(axis=0))
    A = f.incidence_matrix().toarray()
    assert (A.sum(axis=0) == 0).all()
    assert (A[parent[1:], np.arange(n - 1)] == 1).all() and (A[np.arange(1, n), np.arange(n - 1)] == -1).all()
    # depth-first preorder: every subtree is a contiguous range starting at its root
    size = topology.subtree_sizes(parent)
    for j in range(n):
        inside = np.flatnonzero(P[j - 1]) if j > 0 else np.arange(n)
        assert inside.min() == j and inside.max() == j + size[j] - 1
