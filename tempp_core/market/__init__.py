"""The market side: participants, PBDR, the master. Never imports the network side."""
from .master import MasterProblem, MasterSolution, ObjectiveParts
from .participants import DER, Aggregator, Customer, MainGrid, Market

__all__ = ["DER", "Aggregator", "Customer", "MainGrid", "Market", "MasterProblem", "MasterSolution",
           "ObjectiveParts"]
