"""The audit's trade-off table and figure (matplotlib: optional extra ``plot``)."""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from .audit import PrivacyAudit

#: Columns of the trade-off table, in order (see :meth:`PrivacyAudit.summary`).
TRADE_OFF_COLUMNS = ["case", "cuts", "privacy", "clearings", "securable", "secure", "iterations", "time_s", "gap_max",
                     "true_rows", "binding_rows", "rows_exact", "rows_close", "binding_exact", "binding_close",
                     "rhs_exact", "median_error", "flow_partitions", "partitions", "rank", "true_rank",
                     "binding_in_span", "fresh", "fresh_safe", "fresh_optimal"]


def trade_off_table(audits: Sequence[PrivacyAudit]) -> pd.DataFrame:
    """Leakage against iterations, time and optimality gap: one row per audit."""
    return pd.concat([a.to_frame() for a in audits], ignore_index=True)[TRADE_OFF_COLUMNS]


def learning_figure(audits: Sequence[PrivacyAudit], what: str = "rows_exact"):
    """Distinct true rows the market has learned (``what``: any field of
    :class:`~tempp_core.privacy.leakage.Leakage`) against the number of clearings, one line
    per audit (cut mode and privacy option). Returns a matplotlib Figure."""
    from ..plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2), constrained_layout=True)
    styles = {"constraint": "-", "period": "--", "aggregate": ":"}
    for a in audits:
        curve = a.to_frame("learning")
        ax.plot(curve["clearings"], curve[what], styles.get(a.options.cuts.value, "-"), marker="o", ms=3,
                label=f"{a.options.privacy.value} ({a.options.cuts.value} cuts)")
    if audits:
        ax.axhline(audits[0].truth.n_distinct, color="k", lw=0.8, ls=":", label="distinct true rows")
        ax.set_title(f"What the market learns over repeated clearings: {audits[0].case}")
    ax.set_xlabel("clearings (market variants)")
    ax.set_ylabel(what.replace("_", " "))
    ax.legend(fontsize=8, ncol=2)
    return fig
