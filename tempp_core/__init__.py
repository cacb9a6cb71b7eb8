"""tempp_core: transactive energy market clearing on unbalanced feeders with privacy-preserving
Benders cuts over LinDist3Flow.

Two wings over a shared floor (units, errors, messages, options, lp): the network side
(:mod:`tempp_core.network`: :class:`Feeder`, :func:`power_flow`, :func:`ac_power_flow`,
:func:`sensitivity`, TEMO)
and the market side (:mod:`tempp_core.market`), which never imports the network. A
:class:`Case` joins them; :func:`clear` clears it (:mod:`tempp_core.clearing`). Cases:
:mod:`tempp_core.cases`; files: :mod:`tempp_core.io`; studies: :mod:`tempp_core.studies`;
what the cuts reveal: :mod:`tempp_core.privacy`.
"""
import os as _os

# Numba's parallel kernels run on OpenMP threads; GNU OpenMP's default is to spin while
# waiting, which on a shared or oversubscribed machine made a 9 ms kernel take 70-300 ms
# (measured: the master's curvature kernel, 12,325 customers, load average 7 on 2 cores).
# Passive waiting costs nothing measurable when the machine is idle. A user's setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import cases, io  # noqa: E402
from .case import Case
from .clearing.clear import clear
from .clearing.status import ClearingStatus
from .network.feeder import Feeder
from .network.physics.ac_power_flow import AcPowerFlowBuffers, AcPowerFlowResult, ac_power_flow
from .network.physics.paper import PaperSensitivity, distribution_coefficients
from .network.physics.power_flow import PowerFlowBuffers, PowerFlowResult, power_flow
from .network.physics.sensitivity import AdjointBuffers, Sensitivity, sensitivity
from .network.placement import Placement
from .options import ClearingOptions
from . import studies  # noqa: E402  (plots, OpenDSS and Dask load when used)
from .studies import batch, scenarios  # noqa: E402
from . import privacy  # noqa: E402

#: The earlier name of :mod:`tempp_core.studies`.
study = studies

__version__ = "0.2.0"

__all__ = [
    "Feeder", "power_flow", "PowerFlowResult", "PowerFlowBuffers", "ac_power_flow", "AcPowerFlowResult",
    "AcPowerFlowBuffers", "sensitivity", "Sensitivity",
    "AdjointBuffers", "PaperSensitivity", "distribution_coefficients", "Placement", "Case", "clear",
    "ClearingOptions", "ClearingStatus", "cases", "io", "studies", "study", "batch", "scenarios",
    "privacy",
]
