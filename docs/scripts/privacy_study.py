"""The numbers of docs/privacy.md: the privacy audit of every option on three feeders.

    python docs/scripts/privacy_study.py paper 5 2 constraint,period
    python docs/scripts/privacy_study.py ieee123 3 2 constraint
    python docs/scripts/privacy_study.py synthetic60 5 2 constraint

Arguments: case, scenarios, fresh scenarios, cut modes (comma-separated), and optionally the
privacy options (comma-separated; all by default). Writes docs/figures/privacy_<case>.csv (the
trade-off table), privacy_<case>_learning.csv and privacy_<case>.png (learned rows against
clearings).
"""
import sys
import warnings
from pathlib import Path

import tempp_core as tc
from tempp_core.privacy import compare, learning_figure, learning_table, trade_off_table


def load(name: str):
    """'paper', 'ieee123', or 'synthetic60': a 60-bus random feeder populated with its loads (seed 1)."""
    if name == "synthetic60":
        feeder, p, q = tc.cases.synthetic(60, seed=1)
        return tc.cases.populate(feeder, p, q, seed=1, name="synthetic60")
    return tc.cases.load(name)


def main(argv: list[str]) -> None:
    name, scenarios, fresh, cuts = argv[0], int(argv[1]), int(argv[2]), argv[3].split(",")
    privacy = argv[4].split(",") if len(argv) > 4 else ["exact", "mix", "coarse", "withhold", "private"]
    out = Path(__file__).resolve().parents[1] / "figures"
    warnings.simplefilter("ignore", RuntimeWarning)  # max_iter warnings: the table says it
    audits = compare(load(name), privacy=privacy, cuts=cuts, scenarios=scenarios, fresh=fresh)
    table = trade_off_table(audits)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    table.to_csv(out / f"privacy_{name}.csv", index=False)
    learning = learning_table(audits)
    learning.to_csv(out / f"privacy_{name}_learning.csv", index=False)
    learning_figure(learning).savefig(out / f"privacy_{name}.png", dpi=110)


if __name__ == "__main__":
    main(sys.argv[1:])
