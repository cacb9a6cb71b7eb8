"""Power flow and sensitivities of LinDist3Flow (network side)."""
