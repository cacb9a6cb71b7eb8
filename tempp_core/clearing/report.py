"""A clearing explained in a few lines, for a terminal: the case first, every number with its
unit, the two violation figures named for what they are, the sign of the network rent."""
from __future__ import annotations


def summary(result) -> str:
    """The text ``tempp run`` prints for one clearing."""
    t, s, n, p = result.transactions, result.settlement, result.network, result.prices
    lay = t.layout
    lines = []
    if result.case is not None:
        f = result.case.feeder
        lines.append(f"case '{result.case.name}': {f.n_bus} buses, {lay.n_customer} customers, {lay.n_der} DERs, "
                     f"{lay.n_periods} one-hour periods")
    secure = "secure" if result.converged else "NOT SECURE"
    lines += [
        f"{result.method.value}: {result.status.value} ({secure}), {result.iterations} iteration(s), "
        f"{result.time_s:.3f} s",
        f"objective {result.objective:.6f} $ = revenue {result.parts.revenue_usd:.4f} $ - DER cost "
        f"{result.parts.der_cost_usd:.4f} $ - MG cost {result.parts.mg_cost_usd:.4f} $",
        f"network, largest single limit violation: {n.worst_violation_before:.4g} p.u. with the market alone, "
        f"{n.worst_violation:.3g} p.u. after clearing",
        f"         summed violation Phi* at the final transactions: {n.phi_pu:.3g} p.u. "
        f"(tolerance {result.options.tol:g} p.u.)",
        f"prices ($/kWh): system rho {p.rho.min():.4f}..{p.rho.max():.4f}; customers' locational "
        f"{_range(p.participant[lay.customer_rows])}, personalized {_range(result.customer_price)}; "
        f"DERs paid {_range(result.der_price)} (cap {s.price_cap_usd_per_kwh:.3f})",
        f"energy (kWh): DERs {t.p_der_kw.sum():.1f}, main grid {t.p_mg_kw.sum():.1f}, customers "
        f"{t.p_customer_kw.sum():.1f}",
        f"money ($): customers pay the LA {s.customer_payment_usd.sum():.2f}; LA profit {s.la_profit_usd:.2f}; "
        f"DER profits {s.der_profit_usd.sum():.2f}; MG paid {s.mg_payment_usd:.2f}",
        f"           network rent to TEMO {s.network_rent_usd:.2f} (customers' locational payments minus what "
        "DERs and the MG are paid at theirs; negative when DERs are paid more for relieving the network than "
        "customers are charged for loading it)",
    ]
    if max(abs(s.mg_congestion_rent_usd), abs(s.price_cap_surplus_usd)) >= 0.005:
        lines.append(f"           MG transformer congestion rent {s.mg_congestion_rent_usd:.2f}; withheld above "
                     f"the DER price cap {s.price_cap_surplus_usd:.2f}")
    return "\n".join(lines)


def _range(values) -> str:
    return f"{values.min():.4f}..{values.max():.4f}" if values.size else "-"
