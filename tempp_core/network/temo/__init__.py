"""The TEM operator (TEMO): the only holder of the feeder and of placement.

It receives transaction quantities, runs the power flow, measures the violation of the
safety constraints (A4) with the slack problem (A5)-(A6), and answers with feasibility
cuts (A12) in the market's units.
"""
from .operator import Temo

__all__ = ["Temo"]
