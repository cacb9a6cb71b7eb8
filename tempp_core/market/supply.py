"""The supply side of the market as one block: DER sales and the MG purchase.

``z = [p_der (n_der * T, DER-major), p_mg (T)]``, the first part of the transaction vector
(:class:`~tempp_core.messages.TransactionLayout`): ``0 <= z <= upper`` at ``cost``.
"""
from __future__ import annotations

import numpy as np

from .newton import Supply
from .participants import Market


def supply_block(market: Market) -> Supply:
    """Costs ($/kWh), capacities (kW) and periods of every supply variable."""
    T = market.n_periods
    return Supply(
        cost=np.concatenate([np.repeat(market.der_cost, T), market.lmp]),
        upper=np.concatenate([market.der_p_max.ravel(), np.full(T, float(market.grid.p_max_kw))]),
        period=np.concatenate([np.tile(np.arange(T), len(market.ders)), np.arange(T)]).astype(np.int64),
    )
