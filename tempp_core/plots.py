"""Figures people would otherwise draw by hand (optional extra ``plot``: matplotlib).

Every function takes a :class:`~tempp_core.clearing.results.ClearingResult` (which knows its
case) and returns a :class:`matplotlib.figure.Figure`; :func:`save_all` writes the figures of
one clearing as PNG, SVG or PDF files (``tempp run --plots DIR --plot-format svg``). Figures
keep a readable size whatever the number of customers.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InputError

FORMATS = ("png", "svg", "pdf")
#: Above this many customers the price heatmap shows customer types, not customers.
MAX_ROWS = 40


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - only without the extra
        raise ModuleNotFoundError("plots need matplotlib: pip install 'tempp_core[plot]'") from exc
    return plt


def check_format(fmt: str) -> None:
    """Refuse a figure format matplotlib is not asked to write here."""
    if fmt not in FORMATS:
        raise InputError(f"figure format {fmt!r}: expected one of {FORMATS}")


def _integer_ticks(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def convergence(result):
    """Summed violation Phi* (log scale) and master objective per Benders iteration."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    it = [h.iteration for h in result.history]
    phi = np.maximum([h.violation_pu for h in result.history], 1e-16)
    ax.semilogy(it, phi, "o-", color="tab:red", label="summed violation Φ* (p.u.)")
    ax.axhline(result.options.tol, color="tab:red", ls=":", lw=1, label="tolerance")
    ax.set_xlabel("Benders iteration")
    ax.set_ylabel("summed violation Φ* (p.u.)", color="tab:red")
    _integer_ticks(ax)
    twin = ax.twinx()
    twin.plot(it, [h.master_objective_usd for h in result.history], "s--", color="tab:blue",
              label="master objective ($)")
    twin.set_ylabel("master objective ($)", color="tab:blue")
    ax.set_title(f"Convergence: {result.iterations} iterations, {sum(h.cuts_added for h in result.history)} cuts")
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(lines, [line.get_label() for line in lines], loc="upper right")
    return fig


def dispatch(result):
    """Hourly supply stack (MG and each DER) against the customers' demand, cleared and original."""
    plt = _plt()
    t = result.transactions
    hours = np.arange(t.layout.n_periods)
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    layers = [t.p_mg_kw] + list(t.p_der_kw)
    labels = ["MG"] + list(t.layout.der_names)
    ax.stackplot(hours, layers, labels=labels, step="mid", alpha=0.85)
    ax.step(hours, t.p_customer_kw.sum(axis=0), where="mid", color="k", lw=2, label="demand (cleared)")
    if result.case is not None:
        original = np.sum([c.p_ori_kw for c in result.case.market.customers], axis=0)
        ax.step(hours, original, where="mid", color="k", lw=1, ls="--", label="demand (original)")
    ax.set_xlabel("hour")
    ax.set_ylabel("power (kW)")
    ax.set_xlim(hours[0] - 0.5, hours[-1] + 0.5)
    _integer_ticks(ax)
    ax.set_title("Dispatch")
    ax.legend(loc="upper left", ncol=3, fontsize=8)
    return fig


def prices(result):
    """Personalized prices as a heatmap (hours across), colour scale = the LA's price bounds:
    one row per customer up to :data:`MAX_ROWS` customers, else one row per customer type
    (its customers' mean price, labelled with how many there are)."""
    plt = _plt()
    pi = result.customer_price
    names = list(result.transactions.layout.customer_names)
    agg = result.case.market.aggregator if result.case is not None else None
    lo, hi = (agg.price_min, agg.price_max) if agg is not None else (float(pi.min()), float(pi.max()))
    if len(names) > MAX_ROWS and result.case is not None:
        kinds = np.array([c.kind for c in result.case.market.customers])
        groups = sorted(set(kinds))
        pi = np.array([pi[kinds == k].mean(axis=0) for k in groups])
        names = [f"{k} (mean of {int((kinds == k).sum())})" for k in groups]
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.22 * len(names)), constrained_layout=True)
    image = ax.imshow(pi, aspect="auto", cmap="viridis", vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_xlabel("hour")
    _integer_ticks(ax)
    ax.set_title(f"Personalized prices ($/kWh), the aggregator's bounds [{lo:g}, {hi:g}]")
    fig.colorbar(image, ax=ax, label="$/kWh")
    return fig


def electrical_distance(feeder) -> np.ndarray:
    """Distance of each bus from the source as cumulative series resistance (mean of the
    phases present, p.u.): feeders do not all carry line lengths, every one has r."""
    from .network.kernels.sweeps import path_sums

    diag = np.diagonal(feeder.r_pu, axis1=1, axis2=2)
    count = np.maximum(feeder.line_phases.sum(axis=1), 1)
    return path_sums(feeder.parent, (diag * feeder.line_phases).sum(axis=1) / count)


def voltage_profile(result, period: int | None = None):
    """|V| along the feeder by phase, with the market alone and after clearing, with limits.

    ``period`` defaults to the one with the lowest voltage with the market alone.
    """
    plt = _plt()
    if result.case is None:
        raise InputError("voltage_profile needs a result that knows its case (tempp_core.clear gives one)")
    f = result.case.feeder
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
        ax.scatter(dist[on], va[period, on, k], s=14, color=colors[ph], label=f"phase {ph}, after clearing")
    ax.axhline(float(np.min(f.v_min_pu)), color="k", ls="--", lw=1)
    ax.axhline(float(np.max(f.v_max_pu)), color="k", ls="--", lw=1, label="limits")
    ax.set_xlabel("electrical distance from the source (cumulative r, p.u.)")
    ax.set_ylabel("|V| (p.u.)")
    ax.set_title(f"Voltage profile, hour {period}")
    ax.legend(fontsize=7, ncol=2)
    return fig


def scaling(table, x: str = "bus_periods", y: str = "time_s", by: str = "task"):
    """Log-log scaling plot with one fitted growth exponent per group (see studies.scaling)."""
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


def save_all(result, folder, *, fmt: str = "png") -> list[Path]:
    """Write the figures of one clearing into ``folder`` as ``fmt`` files; returns the files."""
    check_format(fmt)
    plt = _plt()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {"convergence": convergence(result) if result.history else None, "dispatch": dispatch(result),
               "prices": prices(result), "voltage_profile": voltage_profile(result) if result.case else None}
    written = []
    for name, fig in figures.items():
        if fig is None:
            continue
        path = folder / f"{name}.{fmt}"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
