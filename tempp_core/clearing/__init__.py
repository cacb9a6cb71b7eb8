"""Clearing a case: the privacy-preserving Benders loop, the centralized reference, and the
results and settlement they produce."""
from .clear import clear

__all__ = ["clear"]
