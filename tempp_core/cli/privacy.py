"""``tempp privacy``: what an honest-but-curious market learns from TEMO's cuts, per option."""
from __future__ import annotations

import argparse
from functools import partial

from ..errors import InputError
from ..io import check_output_path
from ..io.atomic import atomic_files
from ..options import CutMode, PrivacyMode, parse_choice
from .inputs import load_case, names, output_path
from .progress import step


def _choices(flag: str, text: str, enum_type) -> list:
    """'exact,mix' -> [PrivacyMode.EXACT, PrivacyMode.MIX], the error naming ``flag``."""
    chosen = names(text)
    if not chosen:
        raise InputError(f"{flag} {text!r}: expected comma-separated values of {[m.value for m in enum_type]}")
    return [parse_choice(enum_type, flag, value) for value in chosen]


def cmd_privacy(args: argparse.Namespace) -> int:
    from ..privacy import compare, learning_figure, learning_table, trade_off_table

    privacy = _choices("--privacy", args.privacy, PrivacyMode)
    cuts = _choices("--cuts", args.cuts, CutMode)
    if args.scenarios < 1 or args.fresh < 0:
        raise InputError(f"--scenarios must be at least 1 and --fresh at least 0; got {args.scenarios} and {args.fresh}")
    for flag, path in (("--out", args.out), ("--plot", args.plot)):
        if path:
            output_path(flag, path, partial(check_output_path, folder=False))
    if args.plot:
        from ..plots import _plt

        _plt()  # the plot extra is needed: refused before the audit, not after it
    case = load_case(args.case)
    step(f"auditing '{case.name}': {args.scenarios} clearings per mode, {args.fresh} fresh markets ...")
    audits = compare(case, privacy=privacy, cuts=cuts, scenarios=args.scenarios, fresh=args.fresh, seed=args.seed)
    table = trade_off_table(audits)
    # "-": no secure clearing to measure (e.g. a variant the network cannot serve)
    print(table.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.4g}"))
    if args.out:
        with atomic_files(args.out) as (partial_csv,):
            table.to_csv(partial_csv, index=False)
        print(f"table written to {args.out}")
    if args.plot:
        with atomic_files(args.plot) as (partial_png,):
            learning_figure(learning_table(audits)).savefig(partial_png, dpi=110)
        print(f"figure written to {args.plot}")
    return 0
