"""Radial topology: orient a tree from its root, order buses depth-first, sparse matrices.

This is the only place that maps bus names to array positions. Every array of the
network side is indexed in *depth-first preorder* from the swing bus: bus 0 is the root,
every bus comes after its parent, each subtree is a contiguous range, and line ``l``
feeds bus ``l + 1``. The sweeps in :mod:`tempp_core.network.kernels` rely on exactly this.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from ..errors import FeederError


@dataclass(frozen=True, eq=False)
class Tree:
    """A radial feeder oriented away from its root, in depth-first preorder.

    Attributes
    ----------
    bus_order : ndarray (n_bus,) int64
        ``bus_order[k]`` is the caller's index of the bus at position ``k``.
    parent : ndarray (n_bus,) int64
        Parent position of every bus; ``parent[0] == -1``.
    line_order : ndarray (n_bus - 1,) int64
        Caller's index of the line feeding position ``k + 1``.
    line_reversed : ndarray (n_bus - 1,) bool
        True where the caller gave that line as (downstream, upstream).
    """

    bus_order: np.ndarray
    parent: np.ndarray
    line_order: np.ndarray
    line_reversed: np.ndarray


def orient_tree(
    n_bus: int,
    from_bus: np.ndarray,
    to_bus: np.ndarray,
    root: int,
    bus_names: tuple[str, ...],
    line_names: tuple[str, ...],
) -> Tree:
    """Check that the lines form one tree over all buses and order it from ``root``.

    Raises
    ------
    FeederError
        On a cycle (naming a line that closes it), a bus no line reaches, or a self-loop.
    """
    from_bus = np.asarray(from_bus, dtype=np.int64)
    to_bus = np.asarray(to_bus, dtype=np.int64)
    n_line = from_bus.size
    loops = np.flatnonzero(from_bus == to_bus)
    if loops.size:
        k = loops[0]
        raise FeederError(
            f"line '{line_names[k]}' connects bus '{bus_names[from_bus[k]]}' to itself"
        )
    graph = sp.coo_matrix(
        (np.arange(1, n_line + 1, dtype=np.float64), (from_bus, to_bus)), shape=(n_bus, n_bus)
    ).tocsr()
    order, pred = csgraph.depth_first_order(
        graph, root, directed=False, return_predecessors=True
    )
    if order.size < n_bus:
        unreached = np.setdiff1d(np.arange(n_bus), order)
        names = ", ".join(repr(bus_names[i]) for i in unreached[:5])
        more = f" and {unreached.size - 5} more" if unreached.size > 5 else ""
        raise FeederError(
            f"bus {names}{more} is not connected to the swing bus '{bus_names[root]}'"
            " (no path of closed lines reaches it)"
        )
    forward = pred[to_bus] == from_bus
    backward = pred[from_bus] == to_bus
    tree_edge = forward | backward
    # A tree edge between a pair of buses is used once; a second line between the same
    # pair (or any non-tree line) closes a cycle.
    child = np.where(forward, to_bus, from_bus)
    first_use = np.zeros(n_line, dtype=bool)
    _, first = np.unique(np.where(tree_edge, child, -1 - np.arange(n_line)), return_index=True)
    first_use[first] = True
    closing = np.flatnonzero(~(tree_edge & first_use))
    if closing.size:
        k = closing[0]
        raise FeederError(
            f"line '{line_names[k]}' (bus '{bus_names[from_bus[k]]}' -> "
            f"'{bus_names[to_bus[k]]}') closes a loop: a radial feeder has exactly one path"
            " from the swing bus to every bus (open it, or remove it)"
        )
    position = np.empty(n_bus, dtype=np.int64)
    position[order] = np.arange(n_bus)
    line_order = np.empty(n_bus - 1, dtype=np.int64)
    line_order[position[child] - 1] = np.arange(n_line)
    parent = np.full(n_bus, -1, dtype=np.int64)
    parent[1:] = position[pred[order[1:]]]
    return Tree(
        bus_order=order.astype(np.int64),
        parent=parent,
        line_order=line_order,
        line_reversed=backward[line_order] & ~forward[line_order],
    )


def children_csr(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Children of every bus as CSR arrays ``(ptr, child)``: children of j are
    ``child[ptr[j]:ptr[j+1]]``, in increasing position."""
    n_bus = parent.size
    child = (np.argsort(parent[1:], kind="stable") + 1).astype(np.int64)
    counts = np.bincount(parent[1:], minlength=n_bus)
    ptr = np.zeros(n_bus + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, child


def incidence_matrix(parent: np.ndarray) -> sp.csr_matrix:
    """Bus-by-line incidence, shape (n_bus, n_line): +1 at the sending bus of each line,
    -1 at the receiving bus."""
    n_bus = parent.size
    lines = np.arange(n_bus - 1)
    rows = np.concatenate([parent[1:], lines + 1])
    cols = np.concatenate([lines, lines])
    vals = np.concatenate([np.ones(n_bus - 1), -np.ones(n_bus - 1)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n_bus, n_bus - 1))


def path_matrix(parent: np.ndarray) -> sp.csr_matrix:
    """Line-by-bus path matrix, shape (n_line, n_bus): entry (l, k) is 1 when line ``l``
    lies on the path from the root to bus ``k``.

    In depth-first preorder the buses below line ``l`` (which feeds bus ``l + 1``) form
    the contiguous range ``[l + 1, l + 1 + subtree_size)``, so the matrix is built from
    ranges without any search. It has ``sum(depth)`` non-zeros: fine for studies, not for
    the hot path, which uses sweeps instead.
    """
    n_bus = parent.size
    size = subtree_sizes(parent)[1:]
    starts = np.arange(1, n_bus)
    rows = np.repeat(np.arange(n_bus - 1), size)
    offsets = np.arange(rows.size) - np.repeat(np.cumsum(size) - size, size)
    cols = np.repeat(starts, size) + offsets
    return sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_bus - 1, n_bus))


def subtree_sizes(parent: np.ndarray) -> np.ndarray:
    """Number of buses in the subtree of every bus (itself included)."""
    from .kernels.sweeps import tree_subtree_sizes

    return tree_subtree_sizes(parent)


def depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every bus (root 0)."""
    from .kernels.sweeps import tree_depths

    return tree_depths(parent)
