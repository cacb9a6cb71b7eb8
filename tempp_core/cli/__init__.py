"""The ``tempp`` command line.

Exit codes (docs/reliability.md):

- 0: done; for ``run`` and ``batch``, every clearing ended with a secure result;
- 2: the input is wrong (a file, a case, an option, a missing optional extra), said in one
  line on stderr before any expensive work where it can be known then;
- 3: no secure result: a clearing ended not converged, the network cannot be secured, the
  market alone cannot clear, or (``pf``) the voltage collapses;
- 4: a numerical method failed;
- 130 / 143: interrupted (Ctrl-C / SIGTERM); whatever was being written is left as it was.
"""
from __future__ import annotations

import signal
import sys

from ..errors import InputError, NoSecureResultError, SolverError, TemppError
from .parser import build_parser

EXIT_OK, EXIT_INPUT, EXIT_NOT_SECURE, EXIT_SOLVER = 0, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class Terminated(BaseException):
    """SIGTERM, raised where the process is so that pending writes unwind and clean up."""


def _terminate(signum, frame) -> None:  # noqa: ARG001 (signal handler signature)
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """Run one ``tempp`` command; returns its exit code."""
    args = build_parser(__doc__).parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        code = _run(args)
        _hold_sigterm()  # a signal from here on waits until the handler is restored
    except Terminated:  # arrived after the command had mapped its outcome
        _hold_sigterm()
        code = EXIT_TERMINATED
    signal.signal(signal.SIGTERM, previous)
    _release_sigterm()  # a held signal now takes the caller's action
    return code


def _hold_sigterm() -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def _release_sigterm() -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _run(args) -> int:
    """The command, its failures mapped to exit codes."""
    try:
        return args.func(args)
    except InputError as exc:
        return _fail(args, exc, EXIT_INPUT)
    except (OSError, ImportError) as exc:  # files, and optional extras not installed
        return _fail(args, exc, EXIT_INPUT)
    except NoSecureResultError as exc:
        _fail(args, exc, EXIT_NOT_SECURE)
        diagnosis = getattr(exc, "diagnosis", None)
        if diagnosis is not None and len(diagnosis):
            print("what binds (TEMO's diagnosis at the market's last proposal):", file=sys.stderr)
            print(diagnosis.head(15).to_string(index=False), file=sys.stderr)
        return EXIT_NOT_SECURE
    except SolverError as exc:
        return _fail(args, exc, EXIT_SOLVER)
    except TemppError as exc:
        return _fail(args, exc, EXIT_INPUT)
    except KeyboardInterrupt:
        print(f"tempp {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print(f"tempp {args.command}: terminated", file=sys.stderr)
        return EXIT_TERMINATED


def _fail(args, exc: BaseException, code: int) -> int:
    if isinstance(exc, ImportError):
        message = f"{exc}; install the optional extra that provides it (README, 'Extras')"
    else:
        message = str(exc)
    print(f"tempp {args.command}: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
