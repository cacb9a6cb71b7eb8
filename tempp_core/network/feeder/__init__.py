"""Feeder data model: buses, lines, regulators, limits and bases (TEMO-side knowledge)."""
from .model import Feeder, TABLE_C3_LIMITS

__all__ = ["Feeder", "TABLE_C3_LIMITS"]
