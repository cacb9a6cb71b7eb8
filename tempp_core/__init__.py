"""tempp_core: transactive energy market clearing on unbalanced feeders with privacy-preserving
Benders cuts over LinDist3Flow.

Two wings over a shared floor (units, errors, messages, options, lp): the network side
(:mod:`tempp_core.network`: :class:`Feeder`, :func:`power_flow`, :func:`sensitivity`, TEMO)
and the market side (:mod:`tempp_core.market`), which never imports the network. A
:class:`Case` joins them; :func:`clear` clears it (:mod:`tempp_core.clearing`). Cases:
:mod:`tempp_core.cases`; files: :mod:`tempp_core.io`; studies: :mod:`tempp_core.studies`.
"""
from . import cases, io
from .case import Case
from .clearing.clear import clear
from .clearing.status import ClearingStatus
from .network.feeder import Feeder
from .network.physics.paper import PaperSensitivity, distribution_coefficients
from .network.physics.power_flow import PowerFlowBuffers, PowerFlowResult, power_flow
from .network.physics.sensitivity import AdjointBuffers, Sensitivity, sensitivity
from .network.placement import Placement
from .options import ClearingOptions
from . import studies  # noqa: E402  (plots, OpenDSS and Dask load when used)
from .studies import batch, scenarios  # noqa: E402

#: The earlier name of :mod:`tempp_core.studies`.
study = studies

__version__ = "0.2.0"

__all__ = [
    "Feeder", "power_flow", "PowerFlowResult", "PowerFlowBuffers", "sensitivity", "Sensitivity",
    "AdjointBuffers", "PaperSensitivity", "distribution_coefficients", "Placement", "Case", "clear",
    "ClearingOptions", "ClearingStatus", "cases", "io", "studies", "study", "batch", "scenarios",
]
