"""Per-unit bases and the one conversion between market (kW) and network (p.u.) units.

The network side works in per-unit of a *per-phase* power base ``s_base_kva`` and a
phase-to-neutral voltage base ``v_base_v``; the market side works in kW and $/kWh.
Every crossing between the two goes through :func:`kw_to_pu` / :func:`pu_to_kw`.
"""
from __future__ import annotations

import numpy as np

#: Table C3 of the source: S_base = 1000 kVA (per phase), V_base = 220 V (phase voltage).
DEFAULT_S_BASE_KVA = 1000.0
DEFAULT_V_BASE_V = 220.0


def kw_to_pu(p_kw, s_base_kva: float):
    """Convert power in kW (or kvar) to per-unit of the per-phase base ``s_base_kva``."""
    return np.asarray(p_kw, dtype=np.float64) / s_base_kva


def pu_to_kw(p_pu, s_base_kva: float):
    """Convert per-unit power on the per-phase base ``s_base_kva`` to kW (or kvar)."""
    return np.asarray(p_pu, dtype=np.float64) * s_base_kva
