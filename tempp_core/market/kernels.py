"""Numba kernels of the market master: customers' best responses to prices and the curvature
of their aggregate response (the generalized Hessian of the dual).

Customer c, facing the price psi_c,t ($/kWh) in every period t, maximizes
``sum_t (alpha_c p_t - 2 beta_c p_t^2 - psi_c,t p_t)`` over ``lo_c,t <= p_t <= hi_c,t`` and
its daily floor ``sum_t p_t >= E_c``. With the floor's multiplier mu_c >= 0,
``p_t = clip((alpha_c - psi_c,t + mu_c) / (4 beta_c), lo_c,t, hi_c,t)``; ``sum_t p_t(mu)`` is
piecewise linear and nondecreasing in mu, so mu_c is found exactly between two of its 2T
breakpoints.

Arrays: customers are rows (N, T); ``four_beta`` is 4 beta_c (so the revenue is
``alpha p - four_beta p^2 / 2``); customers are grouped into classes (members of class k are
``members[ptr[k]:ptr[k+1]]``) whose prices are equal, ``psi`` is (n_class, T).

The kernels that pass over every customer run fixed ranges of customers in parallel
(``prange``) and add their partial results in a fixed order, so results do not depend on the
number of threads. They are cached like the serial ones; a test runs them under one and two
threads from the same cache and checks identical results.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def _floor_state(a, four_beta, lo, hi, mu):
    """S(mu), its right and left slopes, and the nearest breakpoints above and below mu."""
    w = 1.0 / four_beta
    total, right, left = 0.0, 0.0, 0.0
    above, below = np.inf, -np.inf
    for t in range(a.size):
        enter = four_beta * lo[t] - a[t]  # mu at which period t leaves its lower bound
        leave = four_beta * hi[t] - a[t]  # ... and reaches its upper bound
        if mu <= enter:
            total += lo[t]
            if mu == enter and enter < leave:
                right += w
            if enter < above:
                above = enter
        elif mu >= leave:
            total += hi[t]
            if mu == leave and enter < leave:
                left += w
            if leave > below:
                below = leave
        else:
            total += (a[t] + mu) * w
            right += w
            left += w
            if leave < above:
                above = leave
            if enter > below:
                below = enter
    return total, right, left, above, below


@njit(cache=True)
def floor_multiplier(a, four_beta, lo, hi, energy_min, guess):
    """The daily floor's multiplier mu >= 0 for ``a_t = alpha - psi_t`` (inf if unreachable).

    mu = 0 when the unconstrained response already meets the floor; otherwise the root of
    the piecewise-linear, nondecreasing ``S(mu) = sum_t clip((a_t + mu) / four_beta, lo_t, hi_t)
    = energy_min``. Newton steps from ``guess`` (the previous root: prices move little
    between evaluations), kept inside a shrinking bracket; a step that lands inside the
    linear piece it was taken on is the exact root.
    """
    low, high = 0.0, np.inf  # S(low) < energy_min <= S(high) once both are known
    mu = guess if guess > 0.0 else 0.0
    zero_checked = mu == 0.0
    for _ in range(8 * a.size + 8):
        total, right, left, above, below = _floor_state(a, four_beta, lo, hi, mu)
        if mu == 0.0 and total >= energy_min:
            return 0.0
        if total == energy_min:
            return mu
        if total < energy_min:
            low = mu
            if right > 0.0:
                step = mu + (energy_min - total) / right
                if step <= above:
                    return step
            elif above == np.inf:
                return np.inf  # every period at its upper bound: the floor is out of reach
            else:
                step = above
        else:
            high = mu
            if not zero_checked:  # the root may be mu = 0 itself
                zero_checked = True
                mu = 0.0
                continue
            if left > 0.0:
                step = mu - (total - energy_min) / left
                if step >= below:
                    return step
            else:
                step = below
        if not low < step < high:  # safeguard: bisect the bracket
            step = 0.5 * (low + high) if high < np.inf else 2.0 * low + 1.0
        mu = step
    return mu


@njit(cache=True, parallel=True)
def respond(psi, label, alpha, four_beta, lo, hi, energy_min, p, mu, n_chunks):
    """Best responses of every customer to its class's prices.

    Writes ``p`` (N, T) kW and ``mu`` (N,) $/kWh (read first as each floor multiplier's
    starting guess); returns ``sum_c max_p (revenue_c(p) - psi_c . p)`` ($), the customers'
    part of the dual function. Customers are split into ``n_chunks`` fixed ranges run in
    parallel, whose partial sums are added in order (the same result on any thread count).
    """
    N, T = lo.shape
    partial = np.zeros(n_chunks)
    for chunk in prange(n_chunks):
        a = np.empty(T)
        value = 0.0
        for c in range(chunk * N // n_chunks, (chunk + 1) * N // n_chunks):
            k = label[c]
            for t in range(T):
                a[t] = alpha[c] - psi[k, t]
            nu = floor_multiplier(a, four_beta[c], lo[c], hi[c], energy_min[c], mu[c])
            mu[c] = nu
            for t in range(T):
                v = min(max((a[t] + nu) / four_beta[c], lo[c, t]), hi[c, t])
                p[c, t] = v
                value += a[t] * v - 0.5 * four_beta[c] * v * v
        partial[chunk] = value
    return partial.sum()


@njit(cache=True, parallel=True)
def class_sums(p, ptr, members, out):
    """``out[k] = sum of p over the members of class k`` (n_class, T)."""
    T = p.shape[1]
    for k in prange(ptr.size - 1):
        for t in range(T):
            out[k, t] = 0.0
        for m in range(ptr[k], ptr[k + 1]):
            for t in range(T):
                out[k, t] += p[members[m], t]


@njit(cache=True)
def _add_class_block(J, C_k, piece_period, out):
    """``out += A_k J A_k^T``: A_k stacks the identity (balance rows) over the class's piece
    coefficients C_k (piece j sits in period ``piece_period[j]``)."""
    T = J.shape[0]
    P = piece_period.size
    for t in range(T):
        for s in range(T):
            out[t, s] += J[t, s]
    for j in range(P):
        cj = C_k[j]
        if cj == 0.0:
            continue
        tj = piece_period[j]
        for t in range(T):
            v = J[t, tj] * cj
            out[t, T + j] += v
            out[T + j, t] += v
        for i in range(P):
            ci = C_k[i]
            if ci != 0.0:
                out[T + i, T + j] += ci * J[piece_period[i], tj] * cj


@njit(cache=True, parallel=True)
def price_hessian(p, mu, label, members, four_beta, lo, hi, C, piece_period, n_chunks, out):
    """Hessian of the customers' dual part in (rho, piece multipliers): (T + P, T + P).

    The price of customer c in period t is ``rho_t + sum_j [piece_period[j] == t] C[k, j]
    eta_j`` (k its class), so the Hessian is ``sum_c A_k J_c A_k^T`` with J_c = -dp_c/dpsi_c:
    ``1/(4 beta)`` on every period strictly inside its bounds, minus ``(1/(4 beta)) / n_free``
    on every pair of free periods when the daily floor binds (mu > 0; the free periods then
    share a fixed total). Members (sorted by class) are split into ``n_chunks`` ranges run
    in parallel; each sums J over its run of one class and adds ``A_k J A_k^T`` to its own
    block, and the blocks are added in order.
    """
    N, T = p.shape
    m_rows = out.shape[0]
    partial = np.zeros((n_chunks, m_rows, m_rows))
    for chunk in prange(n_chunks):
        J = np.zeros((T, T))
        free = np.empty(T, dtype=np.int64)  # indices of the free periods of one customer
        first, last = chunk * N // n_chunks, (chunk + 1) * N // n_chunks
        for m in range(first, last):
            c = members[m]
            w = 1.0 / four_beta[c]
            n_free = 0
            for t in range(T):
                if lo[c, t] < p[c, t] < hi[c, t]:
                    J[t, t] += w
                    free[n_free] = t
                    n_free += 1
            if mu[c] > 0.0 and n_free > 0:
                share = w / n_free
                for i in range(n_free):
                    t = free[i]
                    for j in range(n_free):
                        J[t, free[j]] -= share
            if m + 1 == last or label[members[m + 1]] != label[c]:  # end of this class's run
                _add_class_block(J, C[label[c]], piece_period, partial[chunk])
                J[:, :] = 0.0
    out[:, :] = 0.0
    for chunk in range(n_chunks):
        out += partial[chunk]


@njit(cache=True)
def class_prices(rho, eta_piece, C, piece_period, out):
    """``out[k, t] = rho_t + sum_j [piece_period[j] == t] C[k, j] eta_piece[j]`` (n_class, T)."""
    n_class = C.shape[0]
    T = rho.size
    for k in range(n_class):
        for t in range(T):
            out[k, t] = rho[t]
        for j in range(piece_period.size):
            if eta_piece[j] != 0.0:
                out[k, piece_period[j]] += C[k, j] * eta_piece[j]
