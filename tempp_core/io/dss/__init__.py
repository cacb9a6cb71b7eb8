"""Read OpenDSS models (optional extra ``dss``): :func:`read_dss` gives the feeder and its base
loads, :func:`read_dss_model` everything around them (DERs, ratings, load shapes, what the
script asked for that was not run). How each element maps onto the three-phase tree is in
docs/validation.md ("How read_dss models the circuit")."""
from .model import RATING_PF, DssModel, read_dss, read_dss_model
from .script import SkippedCommand

__all__ = ["DssModel", "RATING_PF", "SkippedCommand", "read_dss", "read_dss_model"]
