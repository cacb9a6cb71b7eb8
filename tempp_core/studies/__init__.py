"""Studies built on clearings: Monte Carlo scenarios, batch clearing, the modes comparison
and the scaling study."""
from . import batch, scenarios
from .modes import modes_table
from .scaling import growth_exponents, scaling

__all__ = ["batch", "scenarios", "modes_table", "scaling", "growth_exponents"]
