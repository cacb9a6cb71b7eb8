"""``tempp run``: clear one case and report."""
from __future__ import annotations

import argparse
import warnings
from functools import partial
from pathlib import Path

from ..options import ClearingOptions, Method, parse_choice
from ..io import check_output_path, check_result_folder, write_result
from .inputs import load_case, output_path
from .progress import IterationPrinter

OPTION_FIELDS = ("sensitivity", "cuts", "privacy", "loads", "slack", "network", "ac_check", "tol", "max_iter")


def options_from(args: argparse.Namespace) -> ClearingOptions:
    """The clearing options of the command line, validated before any work."""
    return ClearingOptions(**{f: getattr(args, f) for f in OPTION_FIELDS if getattr(args, f, None) is not None})


def cmd_run(args: argparse.Namespace) -> int:
    from ..clearing.clear import clear

    options = options_from(args)
    methods = (Method.BENDERS, Method.CENTRALIZED) if args.compare else (parse_choice(Method, "method", args.method),)
    if args.out:
        output_path("--out", args.out, check_result_folder)
    if args.plots:
        from ..plots import check_format

        output_path("--plots", args.plots, partial(check_output_path, folder=True))
        check_format(args.plot_format)
    case = load_case(args.case, hours=args.hours, start=args.start, open_lines=args.open, disable=args.disable)
    results = {}
    for method in methods:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            results[method] = clear(case, method, options,
                                    progress=IterationPrinter(method.value, enabled=not args.quiet))
        for w in caught:
            print(f"warning: {w.message}")
    for result in results.values():
        print(result.summary())
        if result.ac is not None:
            print(f"AC check of the final transactions: largest single AC limit violation "
                  f"{result.ac.worst_violation_pu:.3g} p.u. (LinDist3Flow: {result.network.worst_violation:.3g} p.u.)")
    if args.compare:
        b, c = results[Method.BENDERS].objective, results[Method.CENTRALIZED].objective
        print(f"objective gap (benders - centralized): {b - c:.3e} $ ({(b - c) / abs(c):.3e} relative)")
    if args.out:
        out = write_result({m.value: r for m, r in results.items()} if args.compare else results[methods[0]], args.out)
        print(f"tables written to {out}/")
    if args.plots:
        from ..plots import save_all

        for method, result in results.items():
            folder = Path(args.plots) if len(results) == 1 else Path(args.plots) / method.value
            files = save_all(result, folder, fmt=args.plot_format)
            print(f"figures written: {', '.join(str(f) for f in files)}")
    return 0 if all(r.converged for r in results.values()) else 3
