"""``tempp batch``: clear many sampled scenarios of a case; one tidy table."""
from __future__ import annotations

import argparse
import time

from ..errors import InputError
from ..io import check_batch_file, write_batch
from .inputs import load_case, output_path
from .progress import progress_bar
from .run import options_from


def cmd_batch(args: argparse.Namespace) -> int:
    from ..studies.batch import clear_many
    from ..studies.scenarios import sample

    if args.scenarios < 1:
        raise InputError(f"--scenarios must be at least 1; got {args.scenarios}")
    if args.workers < 0:
        raise InputError(f"--workers must be 0 (in-process) or more; got {args.workers}")
    options = options_from(args)
    if args.out:
        output_path("--out", args.out, check_batch_file)
    case = load_case(args.case)
    scenarios = sample(case, args.scenarios, seed=args.seed)
    start = time.perf_counter()
    progress = None if args.quiet else progress_bar
    if args.workers > 0:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            result = clear_many(scenarios, client=client, options=options, progress=progress)
    else:
        result = clear_many(scenarios, options=options, progress=progress)
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
        out, _ = write_batch(result, args.out)
        print(f"table written to {out} (status beside it)")
    return 0 if bool(status["converged"].all()) else 3
