"""tempp_core: transactive energy market clearing on unbalanced feeders with privacy-preserving
Benders cuts over LinDist3Flow.

The network side (TEMO): :class:`Feeder`, :func:`power_flow`, :func:`sensitivity`,
:func:`distribution_coefficients`, and the exact unbalanced AC check :func:`ac_power_flow`. Cases: :mod:`tempp_core.cases`; input: :mod:`tempp_core.io`.
"""
from . import cases, io
from .feeder import Feeder
from .physics.power_flow import PowerFlowBuffers, PowerFlowResult, power_flow
from .physics.ac_power_flow import AcPowerFlowBuffers, AcPowerFlowResult, ac_power_flow
from .physics.paper import PaperSensitivity, distribution_coefficients
from .physics.sensitivity import AdjointBuffers, Sensitivity, sensitivity

from .case import Case  # noqa: E402
from .clearing import clear  # noqa: E402
from . import batch, scenarios, study  # noqa: E402  (plots, OpenDSS and Dask load when used)

__version__ = "0.1.0"

__all__ = [
    "Feeder", "power_flow", "PowerFlowResult", "PowerFlowBuffers", "ac_power_flow", "AcPowerFlowResult",
    "AcPowerFlowBuffers", "sensitivity",
    "Sensitivity", "AdjointBuffers", "PaperSensitivity", "distribution_coefficients", "cases", "io",
    "clear", "Case", "batch", "scenarios", "study",
]
