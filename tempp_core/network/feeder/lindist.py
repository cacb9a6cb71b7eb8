"""The LinDist3Flow voltage-drop matrices M^P and M^Q of a line (model.md section 2)."""
from __future__ import annotations

import numpy as np

_SQRT3 = np.sqrt(3.0)
# Sign pattern of the sqrt(3) cross terms: M^P = offdiag(r) + sqrt3 * S * x,
# M^Q = offdiag(x) - sqrt3 * S * r, with -2r / -2x on the diagonal.
_S = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
_SELF = 1.0 - 3.0 * np.eye(3)  # -2 on the diagonal, 1 off it
_CROSS = _SQRT3 * _S


def lindist_matrices(r: np.ndarray, x: np.ndarray, phases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M^P and M^Q of every line, so that ``v_j = v_i + M^P P_ij + M^Q Q_ij``.

    Parameters
    ----------
    r, x : ndarray (n_line, 3, 3)
        Series resistance and reactance, p.u.
    phases : bool ndarray (n_line, 3)
        Phases of each line; rows and columns of absent phases are zero.

    Returns
    -------
    MP, MQ : ndarray (n_line, 3, 3)
        Row a of M^P is ``[-2 r_aa, r_ab - sqrt3 x_ab, r_ac + sqrt3 x_ac]`` and so on, as in
        model.md (the appendix's (B3)-(B5) carry typos; see docs/model_notes.md).
    """
    mask = phases[:, :, None] & phases[:, None, :]
    MP = r * _SELF
    MP += x * _CROSS
    MQ = x * _SELF
    MQ -= r * _CROSS
    MP[~mask] = 0.0
    MQ[~mask] = 0.0
    return MP, MQ
