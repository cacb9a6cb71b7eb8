"""Phase sets written as letters ('abc', 'ac', 'b') and as boolean masks of length 3."""
from __future__ import annotations

import numpy as np

from ...errors import FeederError

PHASE_LETTERS = "abc"


def parse_phases(text: object, element: str) -> np.ndarray:
    """Boolean mask (3,) of a phase string such as ``'ac'``.

    Raises
    ------
    FeederError
        If the string is empty or holds a letter other than a, b, c.
    """
    if not isinstance(text, str):
        raise FeederError(f"{element} has phases {text!r}: expected a non-empty combination of the letters "
                          "'a', 'b', 'c' (text)")
    letters = text.strip().lower()
    unknown = sorted(set(letters) - set(PHASE_LETTERS))
    if unknown or not letters:
        raise FeederError(
            f"{element} has phases {text!r}: expected a non-empty combination of the letters"
            f" 'a', 'b', 'c'" + (f" (unknown: {', '.join(map(repr, unknown))})" if unknown else "")
        )
    return np.array([p in letters for p in PHASE_LETTERS])


def phase_string(mask: np.ndarray) -> str:
    """Letters of a boolean mask (3,)."""
    return "".join(p for p, on in zip(PHASE_LETTERS, mask) if on)
