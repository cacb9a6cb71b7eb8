"""Numba kernels: pure functions on arrays (see :mod:`tempp_core.network.kernels.sweeps`)."""
