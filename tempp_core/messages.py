"""The only types that cross the privacy line between the market and TEMO.

The market sends :class:`Transactions` (quantities only, kW); TEMO answers with a
:class:`TemoReply` holding a violation figure and :class:`FeasibilityCut` rows over the
market's own transaction variables. Neither type can carry topology, impedances,
placement, limits, costs or utilities.

Transaction vector layout (kW), for ``n_der`` DERs, ``n_customer`` customers and ``T``
periods, flattened in this order::

    x = [ p_der[0, 0..T-1], ..., p_der[n_der-1, 0..T-1],   # DER sales
          p_mg[0..T-1],                                     # purchase from the main grid
          p_cust[0, 0..T-1], ..., p_cust[n_cust-1, 0..T-1] ]  # customer consumption
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TransactionLayout:
    """Names and sizes that fix the position of every transaction variable.

    Parameters
    ----------
    der_names : tuple of str
        DER identifiers, in order.
    customer_names : tuple of str
        Customer identifiers, in order.
    n_periods : int
        Number of market periods T.
    """

    der_names: tuple[str, ...]
    customer_names: tuple[str, ...]
    n_periods: int

    @property
    def n_der(self) -> int:
        return len(self.der_names)

    @property
    def n_customer(self) -> int:
        return len(self.customer_names)

    @property
    def n_participant_rows(self) -> int:
        """Rows of the (participant, period) view of x: DERs, the MG, customers."""
        return self.n_der + 1 + self.n_customer

    @property
    def size(self) -> int:
        """Length of the flattened transaction vector."""
        return self.n_participant_rows * self.n_periods

    # Rows of the (participant, period) view ``x.reshape(n_participant_rows, T)``.
    @property
    def der_rows(self) -> slice:
        return slice(0, self.n_der)

    @property
    def mg_row(self) -> int:
        return self.n_der

    @property
    def customer_rows(self) -> slice:
        return slice(self.n_der + 1, self.n_participant_rows)

    # Positions in the flat vector x.
    @property
    def der_slice(self) -> slice:
        """p_der, flattened (n_der * T,), DER-major."""
        return slice(0, self.n_der * self.n_periods)

    @property
    def mg_slice(self) -> slice:
        """p_mg (T,)."""
        return slice(self.n_der * self.n_periods, (self.n_der + 1) * self.n_periods)

    @property
    def customer_slice(self) -> slice:
        """p_cust, flattened (n_customer * T,), customer-major."""
        return slice((self.n_der + 1) * self.n_periods, self.size)

    def by_participant(self, x: np.ndarray) -> np.ndarray:
        """View of x (..., size) as (..., n_participant_rows, T)."""
        x = np.asarray(x)
        return x.reshape(x.shape[:-1] + (self.n_participant_rows, self.n_periods))

    def ders(self, x: np.ndarray) -> np.ndarray:
        """p_der (n_der, T) view of x."""
        return self.by_participant(x)[..., self.der_rows, :]

    def mg(self, x: np.ndarray) -> np.ndarray:
        """p_mg (T,) view of x."""
        return self.by_participant(x)[..., self.mg_row, :]

    def customers(self, x: np.ndarray) -> np.ndarray:
        """p_cust (n_customer, T) view of x."""
        return self.by_participant(x)[..., self.customer_rows, :]

    def der_index(self, d, t):
        """Position of p_der[d, t] in x (arrays broadcast)."""
        return np.asarray(d) * self.n_periods + np.asarray(t)

    def mg_index(self, t):
        """Position of p_mg[t] in x."""
        return self.n_der * self.n_periods + np.asarray(t)

    def customer_index(self, c, t):
        """Position of p_cust[c, t] in x."""
        return (self.n_der + 1 + np.asarray(c)) * self.n_periods + np.asarray(t)

    def period_of(self, index):
        """Period of each position of x."""
        return np.asarray(index) % self.n_periods

    def row_of(self, index):
        """Participant row (DERs, MG, customers) of each position of x."""
        return np.asarray(index) // self.n_periods


@dataclass(frozen=True)
class Transactions:
    """Proposed transaction quantities, kW.

    Attributes
    ----------
    layout : TransactionLayout
    p_der_kw : ndarray, shape (n_der, T)
    p_mg_kw : ndarray, shape (T,)
    p_customer_kw : ndarray, shape (n_customer, T)
    """

    layout: TransactionLayout
    p_der_kw: np.ndarray
    p_mg_kw: np.ndarray
    p_customer_kw: np.ndarray

    @classmethod
    def from_vector(cls, layout: TransactionLayout, x_kw: np.ndarray) -> "Transactions":
        x_kw = np.asarray(x_kw, dtype=np.float64)
        if x_kw.shape != (layout.size,):
            raise ValueError(f"transaction vector has shape {x_kw.shape}, expected ({layout.size},)")
        return cls(layout, layout.ders(x_kw).copy(), layout.mg(x_kw).copy(), layout.customers(x_kw).copy())

    def to_vector(self) -> np.ndarray:
        return np.concatenate(
            [self.p_der_kw.ravel(), self.p_mg_kw.ravel(), self.p_customer_kw.ravel()]
        )


@dataclass(frozen=True)
class FeasibilityCut:
    """One Benders feasibility cut ``sum(coef * x[index]) <= rhs`` over transactions in kW.

    Attributes
    ----------
    index : ndarray of int64
        Positions in the transaction vector (see :class:`TransactionLayout`).
    coef : ndarray of float64
        Coefficients, 1/kW (same length as ``index``).
    rhs : float
        Right-hand side.
    periods : tuple of int
        Periods the cut covers.
    """

    index: np.ndarray
    coef: np.ndarray
    rhs: float
    periods: tuple[int, ...]

    def lhs(self, x_kw: np.ndarray) -> float:
        """Left-hand side ``coef · x[index]`` at a transaction vector."""
        return float(np.dot(self.coef, np.asarray(x_kw)[self.index]))

    def violation(self, x_kw: np.ndarray) -> float:
        """``lhs(x) - rhs``; positive means x violates the cut."""
        return self.lhs(x_kw) - self.rhs


@dataclass(frozen=True)
class TemoReply:
    """TEMO's whole answer to one set of transactions.

    Attributes
    ----------
    violation : float
        Φ* = E*, the total safety-constraint violation (p.u., summed over constraints). When
        TEMO withholds it (``privacy='withhold'`` or ``'private'``): 0.0 for a safe proposal,
        +inf for an unsafe one (the amount is not disclosed).
    cuts : tuple of FeasibilityCut
        Empty when ``violation`` is within tolerance.
    """

    violation: float
    cuts: tuple[FeasibilityCut, ...]
