"""The market side: participants, PBDR, the master LP. Never imports the network side."""
from .master import MarketLP, MasterProblem, MasterSolution, build_market_lp
from .participants import DER, Aggregator, Customer, MainGrid, Market

__all__ = ["DER", "Aggregator", "Customer", "MainGrid", "Market", "MasterProblem", "MasterSolution",
           "MarketLP", "build_market_lp"]
