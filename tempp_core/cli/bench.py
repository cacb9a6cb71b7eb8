"""``tempp bench``: the scaling study and the modes comparison of docs/benchmarks.md."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from .inputs import load_case
from .progress import step


def cmd_bench_scaling(args: argparse.Namespace) -> int:
    from ..studies.scaling import growth_exponents, scaling

    try:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
    except ValueError:
        raise InputError(f"--sizes {args.sizes!r}: expected comma-separated bus counts, e.g. 100,1000,10000") from None
    if min(sizes) < 2:
        raise InputError(f"--sizes {args.sizes!r}: every feeder needs at least 2 buses")
    out = Path(args.out)
    table = scaling(sizes, repeats=args.repeats, clear_up_to=args.clear_up_to,
                    progress=lambda msg: step(f"timing {msg} x 24 periods ..."))
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "scaling.csv", index=False)
    print(table.pivot(index="n_bus", columns="task", values="time_s").to_string(float_format=lambda v: f"{v:.4g}"))
    for task, slope in growth_exponents(table).items():
        print(f"growth exponent of {task}: {slope:.2f}")
    try:
        from ..plots import scaling as scaling_plot

        scaling_plot(table).savefig(out / "scaling.png", dpi=110)
        print(f"table and plot written to {out}/")
    except ImportError:
        print(f"table written to {out}/ (install the plot extra for the figure)")
    return 0


def cmd_bench_modes(args: argparse.Namespace) -> int:
    from ..studies.modes import modes_table

    case = load_case(args.case)
    table = modes_table(case, repeats=args.repeats, max_iter=args.max_iter,
                        progress=lambda line: step(f"  {line}"))
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"table written to {args.out}")
    return 0
