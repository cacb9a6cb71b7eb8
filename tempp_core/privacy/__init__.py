"""How much the cuts tell the market about the network, and options that tell it less.

:func:`audit` plays the honest-but-curious market over repeated clearings and measures what it
learns (sensitivity rows, flow partitions, rank, whether its learned cuts clear fresh markets
safely without TEMO); :func:`compare` audits every privacy option and cut mode on the same
scenarios; :func:`learning_table` and :func:`learning_figure` show what is learned against the number
of clearings.
The mechanisms themselves are TEMO's (:mod:`tempp_core.network.temo.privacy`).
"""
from .audit import PrivacyAudit, audit, compare
from .leakage import Leakage
from .report import learning_figure, learning_table, trade_off_table
from .truth import TrueRows

__all__ = ["audit", "compare", "PrivacyAudit", "Leakage", "TrueRows", "learning_figure", "learning_table", "trade_off_table"]
