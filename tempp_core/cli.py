"""The ``tempp`` command line."""
from __future__ import annotations

import argparse
import sys
import time



def _cmd_pf(args: argparse.Namespace) -> int:
    from . import cases, io, power_flow

    feeder, p, q = io.read_csv_case(cases.data_path(args.case))
    start = time.perf_counter()
    result = power_flow(feeder, p, q)
    elapsed = time.perf_counter() - start
    frame = result.to_frame("bus").reset_index()
    print(f"{feeder}  (power flow {elapsed * 1e3:.1f} ms, first call includes JIT load)")
    summary = frame.groupby("phase")["vm"].agg(["min", "mean", "max"])
    low = frame.loc[frame.groupby("phase")["vm"].idxmin(), ["phase", "bus"]].set_index("phase")["bus"]
    summary["lowest bus"] = low
    print("voltage magnitude by phase (p.u.):")
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    idx = feeder.bus_index(frame["bus"].to_numpy())
    outside = (frame["vm"] < feeder.v_min_pu[idx]) | (frame["vm"] > feeder.v_max_pu[idx])
    outside &= idx > 0  # the swing bus is held, not limited
    print(f"bus-phases outside their voltage limits: {int(outside.sum())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tempp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    pf = sub.add_parser("pf", help="LinDist3Flow power flow of an embedded case; prints a voltage summary")
    pf.add_argument("--case", default="ieee13", help="embedded case name (ieee13, ieee123)")
    pf.set_defaults(func=_cmd_pf)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
