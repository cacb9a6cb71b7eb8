"""Build the embedded 'paper' case folder (tempp_core/cases/data/paper) from the choices below.

Run from the repository root: ``python docs/scripts/build_paper_case.py``. It writes the
feeder tables, participants and case.toml next to the hand-written profiles.csv, then
reports how the market behaves without and with the network (see docs/paper_case.md).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FOLDER = Path(__file__).resolve().parents[2] / "tempp_core" / "cases" / "data" / "paper"
V_BASE_V, S_BASE_KVA = 220.0, 1000.0
Z_BASE_OHM = V_BASE_V**2 / (S_BASE_KVA * 1000.0)  # 0.0484 ohm
# A low-voltage overhead line code, ohm/km: self and mutual resistance and reactance.
R_SELF, X_SELF, R_MUT, X_MUT = 0.30, 0.36, 0.06, 0.14
# (from, to, length m, phases)
LINES = [
    (1, 2, 0, "abc"),   # the MG transformer, tap 0: zero impedance, node 2 held at 1.0 p.u.
    (2, 3, 42, "abc"), (3, 4, 36, "abc"), (4, 5, 36, "abc"), (5, 6, 30, "abc"), (6, 7, 30, "abc"),
    (7, 8, 30, "abc"),
    (3, 9, 24, "a"), (9, 10, 18, "a"),
    (4, 11, 24, "bc"), (11, 12, 18, "b"), (11, 13, 18, "c"),
    (5, 14, 24, "abc"), (14, 15, 18, "ab"),
    (6, 16, 24, "c"),
    (7, 17, 24, "abc"), (17, 18, 18, "a"),
    (8, 19, 24, "abc"), (19, 20, 18, "abc"),
]
CUSTOMERS = [  # name, kind, bus, phases, mean kW
    ("RL1", "RL", 10, "a", 12.0), ("RL2", "RL", 12, "b", 14.0), ("RL3", "RL", 13, "c", 12.0),
    ("RL4", "RL", 16, "c", 16.0), ("IL1", "IL", 20, "abc", 70.0), ("IL2", "IL", 14, "abc", 50.0),
    ("CL1", "CL", 15, "ab", 30.0), ("CL2", "CL", 17, "abc", 40.0), ("AL1", "AL", 18, "a", 18.0),
    ("AL2", "AL", 9, "a", 15.0),
]
DERS = [  # name, bus, phases, cost $/kWh, p_max kW or profile column
    ("G1", 19, "abc", 0.075, 125.0), ("G2", 8, "abc", 0.05, 100.0),
    ("WT", 20, "abc", 0.0, "wt_kw"), ("PV", 17, "abc", 0.0, "pv_kw"),
]


def impedance_row(length_m: float) -> dict:
    km = length_m / 1000.0
    row = {}
    for k, self_, mut in (("r", R_SELF, R_MUT), ("x", X_SELF, X_MUT)):
        for a, b in (("a", "a"), ("a", "b"), ("a", "c"), ("b", "b"), ("b", "c"), ("c", "c")):
            row[f"{k}_{a}{b}"] = (self_ if a == b else mut) * km / Z_BASE_OHM
    return row


def main() -> None:
    buses = sorted({b for f, t, _, _ in LINES for b in (f, t)})
    bus_phases = {1: "abc"} | {t: ph for _, t, _, ph in LINES}
    pd.DataFrame({
        "id": buses, "name": [str(b) for b in buses],
        "bus_type": ["SWING" if b == 1 else "PQ" for b in buses],
        "v_a": 1.0, "v_b": 1.0, "v_c": 1.0, "v_ln_base": V_BASE_V, "s_base": S_BASE_KVA * 1000.0,
        "v_min": 0.95, "v_max": 1.05, "phases": [bus_phases[b] for b in buses],
    }).to_csv(FOLDER / "bus_data.csv", index=False)
    rows = []
    for f, t, length, ph in LINES:
        kind = "transformer" if length == 0 else "line"
        rows.append({"fb": f, "tb": t, **impedance_row(length), "type": kind,
                     "name": f"L{f}-{t}" if length else "MG-transformer", "phases": ph,
                     "p_max": 0.5, "q_max": 0.4})
    pd.DataFrame(rows).to_csv(FOLDER / "branch_data.csv", index=False)
    pd.DataFrame([{"name": n, "kind": k, "bus": str(b), "phases": ph, "scale_kw": s, "profile": k,
                   "power_factor": 0.95, "band_lo": np.nan, "band_hi": np.nan, "alpha": np.nan, "beta": np.nan}
                  for n, k, b, ph, s in CUSTOMERS]).to_csv(FOLDER / "customers.csv", index=False)
    pd.DataFrame([{"name": n, "bus": str(b), "phases": ph, "cost_per_kwh": c,
                   "p_max_kw": cap if not isinstance(cap, str) else np.nan,
                   "profile": cap if isinstance(cap, str) else ""}
                  for n, b, ph, c, cap in DERS]).to_csv(FOLDER / "ders.csv", index=False)
    (FOLDER / "case.toml").write_text(
        'name = "paper"\nn_periods = 24\n\n[grid]\np_max_kw = 250.0\nlmp = "lmp_per_kwh"\n\n'
        "[aggregator]\nprice_min = 0.12\nprice_max = 0.24\ndaily_cap = 4.32\n"
    )
    report()


def report() -> None:
    import tempp_core as tc
    from tempp_core.clearing.clear import clear

    case = tc.io.read_case(FOLDER)
    free = clear(case, "benders", max_iter=1)
    print("market without the network: worst violation", free.network.worst_violation_before)
    from tempp_core.network.temo import Temo

    temo = Temo(case.feeder, case.market.layout(), case.connections())
    a = temo.state(free.transactions.to_vector()).assessment
    print("periods violated without the network:", np.flatnonzero(a.phi > 0).tolist())
    res = clear(case)
    print(res.summary())


if __name__ == "__main__":
    main()
