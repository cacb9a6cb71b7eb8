"""Per-unit bases and the one conversion between market (kW) and network (p.u.) units.

The network side works in per-unit of a *per-phase* power base ``s_base_kva`` and a
phase-to-neutral voltage base ``v_base_v``; the market side works in kW and $/kWh.
Every crossing between the two goes through :func:`kw_to_pu` / :func:`pu_to_kw`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Table C3 of the source: S_base = 1000 kVA (per phase), V_base = 220 V (phase voltage).
DEFAULT_S_BASE_KVA = 1000.0
DEFAULT_V_BASE_V = 220.0


@dataclass(frozen=True)
class Bases:
    """Per-unit bases of a feeder.

    Parameters
    ----------
    s_base_kva : float
        Power base per phase, kVA. One p.u. of P or Q on one phase is ``s_base_kva`` kW/kvar.
    v_base_v : float
        Phase-to-neutral voltage base at the source, V.
    """

    s_base_kva: float = DEFAULT_S_BASE_KVA
    v_base_v: float = DEFAULT_V_BASE_V

    def __post_init__(self) -> None:
        for name in ("s_base_kva", "v_base_v"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def kw_to_pu(p_kw, s_base_kva: float):
    """Convert power in kW (or kvar) to per-unit of the per-phase base ``s_base_kva``."""
    return np.asarray(p_kw, dtype=np.float64) / s_base_kva


def pu_to_kw(p_pu, s_base_kva: float):
    """Convert per-unit power on the per-phase base ``s_base_kva`` to kW (or kvar)."""
    return np.asarray(p_pu, dtype=np.float64) * s_base_kva
