"""Figures people would otherwise draw by hand (optional extra ``plot``: matplotlib).

Every function returns a :class:`matplotlib.figure.Figure`; :func:`save_all` writes the
figures of one clearing as PNG files (``tempp run --plots DIR``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - only without the extra
        raise ImportError("plots need matplotlib: pip install 'tempp_core[plot]'") from exc
    return plt


def convergence(result):
    """Violation Phi* (log scale) and master objective per Benders iteration."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    it = [h.iteration for h in result.history]
    phi = np.maximum([h.violation_pu for h in result.history], 1e-16)
    ax.semilogy(it, phi, "o-", color="tab:red", label="violation Φ* (p.u.)")
    ax.axhline(result.options.tol, color="tab:red", ls=":", lw=1, label="tolerance")
    ax.set_xlabel("Benders iteration")
    ax.set_ylabel("violation Φ* (p.u.)", color="tab:red")
    twin = ax.twinx()
    twin.plot(it, [h.master_objective_usd for h in result.history], "s--", color="tab:blue", label="master objective")
    twin.set_ylabel("master objective ($)", color="tab:blue")
    ax.set_title(f"Convergence: {result.iterations} iterations, {sum(h.cuts_added for h in result.history)} cuts")
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(lines, [line.get_label() for line in lines], loc="upper right")
    return fig


def dispatch(result, case=None):
    """Hourly supply stack (MG and each DER) against the customers' demand (and, given the
    case, their original demand)."""
    plt = _plt()
    t = result.transactions
    hours = np.arange(t.layout.n_periods)
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    layers = [t.p_mg_kw] + list(t.p_der_kw)
    labels = ["MG"] + list(t.layout.der_names)
    ax.stackplot(hours, layers, labels=labels, step="mid", alpha=0.85)
    ax.step(hours, t.p_customer_kw.sum(axis=0), where="mid", color="k", lw=2, label="demand (cleared)")
    if case is not None:
        original = np.sum([c.p_ori_kw for c in case.market.customers], axis=0)
        ax.step(hours, original, where="mid", color="k", lw=1, ls="--", label="demand (original)")
    ax.set_xlabel("hour")
    ax.set_ylabel("power (kW)")
    ax.set_xlim(hours[0] - 0.5, hours[-1] + 0.5)
    ax.set_title("Dispatch")
    ax.legend(loc="upper left", ncol=3, fontsize=8)
    return fig


def prices(result, price_min: float = 0.12, price_max: float = 0.24):
    """Personalized prices as a heatmap (customers x hours), colour scale = the LA's bounds."""
    plt = _plt()
    pi = result.customer_price
    names = result.transactions.layout.customer_names
    fig, ax = plt.subplots(figsize=(8, 1.5 + 0.25 * len(names)), constrained_layout=True)
    image = ax.imshow(pi, aspect="auto", cmap="viridis", vmin=price_min, vmax=price_max, interpolation="nearest")
    ax.set_yticks(range(len(names)), names if len(names) <= 40 else [""] * len(names), fontsize=7)
    ax.set_xlabel("hour")
    ax.set_title(f"Personalized prices ($/kWh), bounds [{price_min}, {price_max}]")
    fig.colorbar(image, ax=ax, label="$/kWh")
    return fig


def electrical_distance(feeder) -> np.ndarray:
    """Distance of each bus from the source as cumulative series resistance (mean of the
    phases present, p.u.): feeders do not all carry line lengths, every one has r."""
    from .network.kernels.sweeps import path_sums

    diag = np.diagonal(feeder.r_pu, axis1=1, axis2=2)
    count = np.maximum(feeder.line_phases.sum(axis=1), 1)
    return path_sums(feeder.parent, (diag * feeder.line_phases).sum(axis=1) / count)


def voltage_profile(result, case, period: int | None = None):
    """|V| along the feeder by phase, before (market alone) and after the cuts, with limits.

    ``period`` defaults to the one with the lowest voltage before the cuts.
    """
    plt = _plt()
    f = case.feeder
    vb, va = result.network.vm_before, result.network.vm
    if period is None:
        period = int(np.nanargmin(np.nanmin(vb[:, 1:], axis=(1, 2))))
    dist = electrical_distance(f)
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    colors = {"a": "tab:blue", "b": "tab:orange", "c": "tab:green"}
    for k, ph in enumerate("abc"):
        on = f.bus_phases[:, k]
        ax.scatter(dist[on], vb[period, on, k], s=14, facecolors="none", edgecolors=colors[ph],
                   label=f"phase {ph}, market alone")
        ax.scatter(dist[on], va[period, on, k], s=14, color=colors[ph], label=f"phase {ph}, after cuts")
    ax.axhline(float(np.min(f.v_min_pu)), color="k", ls="--", lw=1)
    ax.axhline(float(np.max(f.v_max_pu)), color="k", ls="--", lw=1, label="limits")
    ax.set_xlabel("electrical distance from the source (cumulative r, p.u.)")
    ax.set_ylabel("|V| (p.u.)")
    ax.set_title(f"Voltage profile, hour {period}")
    ax.legend(fontsize=7, ncol=2)
    return fig


def scaling(table, x: str = "bus_periods", y: str = "time_s", by: str = "task"):
    """Log-log scaling plot with one fitted growth exponent per group (see study.scaling)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    for name, group in table.groupby(by):
        group = group.sort_values(x)
        slope = np.polyfit(np.log(group[x]), np.log(group[y]), 1)[0] if len(group) > 1 else np.nan
        ax.loglog(group[x], group[y], "o-", label=f"{name} (exponent {slope:.2f})")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("Scaling")
    ax.legend(fontsize=8)
    return fig


def save_all(result, case, folder) -> list[Path]:
    """Write the figures of one clearing into ``folder``; returns the files."""
    plt = _plt()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    agg = case.market.aggregator
    figures = {"convergence": convergence(result) if result.history else None,
               "dispatch": dispatch(result, case),
               "prices": prices(result, agg.price_min, agg.price_max),
               "voltage_profile": voltage_profile(result, case)}
    written = []
    for name, fig in figures.items():
        if fig is None:
            continue
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
