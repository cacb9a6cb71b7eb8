"""``tempp bench``: the scaling study and the modes comparison of docs/benchmarks.md."""
from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..options import ClearingOptions
from ..io import check_output_path
from .inputs import load_case, output_path
from .progress import step


def cmd_bench_scaling(args: argparse.Namespace) -> int:
    from ..studies.scaling import growth_exponents, scaling

    try:
        values = [float(s) for s in args.sizes.split(",")]
    except ValueError:
        values = [float("nan")]
    if not all(np.isfinite(v) and v.is_integer() for v in values):
        raise InputError(f"--sizes {args.sizes!r}: expected comma-separated whole bus counts, e.g. 100,1000,10000")
    sizes = [int(v) for v in values]
    if min(sizes) < 2:
        raise InputError(f"--sizes {args.sizes!r}: every feeder needs at least 2 buses")
    _check_repeats(args.repeats)
    out = output_path("--out", args.out, partial(check_output_path, folder=True))
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


def _check_repeats(repeats: int) -> None:
    if repeats < 1:
        raise InputError(f"--repeats must be at least 1; got {repeats}")


def cmd_bench_modes(args: argparse.Namespace) -> int:
    from ..studies.modes import modes_table

    _check_repeats(args.repeats)
    ClearingOptions(max_iter=args.max_iter)  # refused here, before the study, if not allowed
    if args.out:
        output_path("--out", args.out, partial(check_output_path, folder=False))
    case = load_case(args.case)
    table = modes_table(case, repeats=args.repeats, max_iter=args.max_iter,
                        progress=lambda line: step(f"  {line}"))
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
        print(f"table written to {args.out}")
    return 0
