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


def learning_table(audits: Sequence[PrivacyAudit]) -> pd.DataFrame:
    """What the market has learned after each clearing, for every audit (one frame)."""
    return pd.concat([a.to_frame("learning").assign(case=a.case, true_rows=a.truth.n_distinct) for a in audits],
                     ignore_index=True)


def learning_figure(learning: pd.DataFrame, what: str = "rows_exact"):
    """Distinct true rows the market has learned (``what``: any column of
    :func:`learning_table`, e.g. ``rows_close``, ``rhs_exact``, ``partitions``) against the
    number of clearings, one line per cut mode and privacy option. Returns a matplotlib Figure."""
    from matplotlib.ticker import MaxNLocator

    from ..plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2), constrained_layout=True)
    styles = {"constraint": "-", "period": "--", "aggregate": ":"}
    for (cuts, privacy), curve in learning.groupby(["cuts", "privacy"], sort=False):
        ax.plot(curve["clearings"], curve[what], styles.get(cuts, "-"), marker="o", ms=3,
                label=f"{privacy} ({cuts} cuts)")
    if len(learning):
        ax.set_title(f"What the market learns over repeated clearings: {learning['case'].iloc[0]} "
                     f"({learning['true_rows'].iloc[0]} distinct rows)", fontsize=10)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("clearings (market variants)")
    ax.set_ylabel(what.replace("_", " "))
    ax.legend(fontsize=8, ncol=2)
    return fig
