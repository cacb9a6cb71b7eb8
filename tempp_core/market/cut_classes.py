"""The cuts the market holds, in the master's form, and customers grouped by how cuts see them.

A cut ``a . x <= b`` reaches the master as coefficients on transaction positions. The master
keeps:

- its coefficients on the supply (DER sales and the MG purchase, ``z``) as a sparse matrix;
- its coefficients on customers split into *pieces*, one per period the cut covers, and
  stored per *class*: customers on whom every piece received so far has the same coefficient
  share a class (in exact mode these are the customers at one connection). Prices, and the
  curvature of the aggregate response, then cost O(classes) instead of O(customers).

Classes come from the cuts alone (market-side knowledge): grouping reveals nothing new.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ..messages import FeasibilityCut, TransactionLayout


@dataclass(frozen=True, eq=False)
class Classes:
    """A partition of the customers.

    Attributes
    ----------
    label : int64 ndarray (N,)
        Class of each customer (0..n_class-1).
    ptr, members : int64 ndarrays (n_class + 1,), (N,)
        Members of class k are ``members[ptr[k]:ptr[k+1]]``.
    """

    label: np.ndarray
    ptr: np.ndarray
    members: np.ndarray

    @classmethod
    def from_labels(cls, label: np.ndarray) -> "Classes":
        label = np.ascontiguousarray(label, dtype=np.int64)
        members = np.argsort(label, kind="stable").astype(np.int64)
        ptr = np.zeros(int(label.max(initial=-1)) + 2, dtype=np.int64)
        np.cumsum(np.bincount(label, minlength=ptr.size - 1), out=ptr[1:])
        return cls(label, ptr, members)

    @property
    def n_class(self) -> int:
        return self.ptr.size - 1

    @property
    def first(self) -> np.ndarray:
        """One member of each class, (n_class,)."""
        return self.members[self.ptr[:-1]]


@dataclass(frozen=True, eq=False)
class CutRows:
    """Every cut received, in the master's form.

    Attributes
    ----------
    rhs : ndarray (K,)
    supply : csr_matrix (K, n_z)
        Coefficients on ``z = [p_der (n_der*T, DER-major), p_mg (T)]``.
    piece_cut, piece_period : int64 ndarrays (P,)
        Cut and period of each piece.
    coef : ndarray (n_class, P)
        Coefficient of each class in each piece (1/kW, the cut's own scale).
    classes : Classes
    """

    rhs: np.ndarray
    supply: sp.csr_matrix
    piece_cut: np.ndarray
    piece_period: np.ndarray
    coef: np.ndarray
    classes: Classes

    @classmethod
    def empty(cls, layout: TransactionLayout) -> "CutRows":
        n_z = layout.customer_slice.start
        label = np.zeros(layout.n_customer, dtype=np.int64)
        return cls(np.zeros(0), sp.csr_matrix((0, n_z)), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64),
                   np.zeros((int(layout.n_customer > 0), 0)), Classes.from_labels(label))

    @property
    def n_cut(self) -> int:
        return self.rhs.size

    def piece_to_cut(self) -> sp.csr_matrix:
        """(K, P) 0/1 matrix summing pieces into their cuts."""
        P = self.piece_cut.size
        return sp.csr_matrix((np.ones(P), (self.piece_cut, np.arange(P))), shape=(self.n_cut, P))

    def extend(self, cuts: Sequence[FeasibilityCut], layout: TransactionLayout) -> "CutRows":
        """These rows plus ``cuts``; classes are refined where a new piece tells members apart."""
        if not cuts:
            return self
        T, n_z, N = layout.n_periods, layout.customer_slice.start, layout.n_customer
        K0 = self.n_cut
        rows, cols, vals = [], [], []
        piece_cut, piece_period, dense = [], [], []
        for k, cut in enumerate(cuts):
            on_supply = cut.index < n_z
            rows.append(np.full(int(on_supply.sum()), K0 + k))
            cols.append(cut.index[on_supply])
            vals.append(cut.coef[on_supply])
            c, t = np.divmod(cut.index[~on_supply] - n_z, T)
            for period in np.unique(t):
                column = np.zeros(N)
                sel = t == period
                column[c[sel]] = cut.coef[~on_supply][sel]
                piece_cut.append(K0 + k)
                piece_period.append(int(period))
                dense.append(column)
        supply = sp.vstack([self.supply, sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows) - K0, np.concatenate(cols))), shape=(len(cuts), n_z))],
            format="csr")
        new = np.column_stack(dense) if dense else np.zeros((N, 0))
        classes = _refine(self.classes, new)
        parent = self.classes.label[classes.first]  # old class of each new class
        coef = np.hstack([self.coef[parent], new[classes.first]])
        return CutRows(np.concatenate([self.rhs, [c.rhs for c in cuts]]), supply,
                       np.concatenate([self.piece_cut, np.array(piece_cut, dtype=np.int64)]),
                       np.concatenate([self.piece_period, np.array(piece_period, dtype=np.int64)]),
                       np.ascontiguousarray(coef), classes)


def _refine(classes: Classes, columns: np.ndarray) -> Classes:
    """The coarsest refinement of ``classes`` on which every column (N,) is constant per class."""
    if columns.shape[1] == 0:
        return classes
    # One random projection of the new columns tells classes apart (ties are checked below).
    rng = np.random.default_rng(12345)
    key = columns @ rng.standard_normal(columns.shape[1])
    _, key_rank = np.unique(key, return_inverse=True)
    _, label = np.unique(classes.label * (int(key_rank.max()) + 1) + key_rank.ravel(), return_inverse=True)
    refined = Classes.from_labels(label.ravel())
    if not np.array_equal(columns, columns[refined.first][refined.label]):
        # A projection collision merged customers that differ: split by the full columns.
        _, label = np.unique(np.column_stack([classes.label.astype(np.float64), columns]), axis=0,
                             return_inverse=True)
        refined = Classes.from_labels(label.ravel())
    return refined
