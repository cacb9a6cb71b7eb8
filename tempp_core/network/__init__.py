"""The network wing (TEMO's side): feeder data, topology, Numba kernels, power flow and
sensitivities, placement of participants, safety limits, and the operator that answers the
market with feasibility cuts. Nothing under :mod:`tempp_core.market` imports from here."""
