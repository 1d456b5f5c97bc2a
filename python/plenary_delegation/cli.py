"""The command line of a delegation endpoint: `main(MyStrategy)` in a strategy file, or
`python -m plenary_delegation --strategy module:Class`.

    python3 my_strategy.py --listen 127.0.0.1:0
    PLENARY_TOKEN=... python3 my_strategy.py --listen 0.0.0.0:50061 \\
        --state RUS --register http://chair:50050 --advertise http://me:50061

Exit status: 0 after SIGTERM/SIGINT (or stdin closing with --exit-with-stdin), 1 when the
endpoint cannot run (address in use, registration refused), 2 for bad arguments or token.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys
from typing import Optional, Sequence

from . import tokens
from ._version import __version__
from .endpoint import DEFAULT_IDLE_SECONDS, DEFAULT_MAX_SEATS
from .faults import MODES, Faults
from .server import ServeError, serve
from .strategy import Factory

LOG_ENV = "PLENARY_LOG"


def load_factory(spec: str) -> Factory:
    """The factory named by `module:attr` or `path/to/file.py:attr`."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--strategy {spec!r} is not MODULE:NAME or FILE.py:NAME (e.g. my_strategy:MyStrategy)")
    if module_name.endswith(".py"):
        path = os.path.abspath(module_name)
        if not os.path.isfile(path):
            raise ValueError(f"--strategy {spec!r}: no file {path}")
        name = os.path.splitext(os.path.basename(path))[0]
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        sys.path.insert(0, os.path.dirname(path))
        module_spec.loader.exec_module(module)
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        module = importlib.import_module(module_name)
    try:
        factory = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"--strategy {spec!r}: {module.__name__} has no {attr!r}") from None
    if not callable(factory):
        raise ValueError(f"--strategy {spec!r}: {attr} is not a class or callable")
    return factory


def parser(with_strategy: bool, prog: Optional[str] = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description=(
            "A plenary delegation endpoint (contract plenary.v2) playing a Python strategy. "
            "It prints `listening on HOST:PORT` once bound and stops on SIGTERM or SIGINT. "
            "The token comes from $PLENARY_TOKEN or --token-file, never from an argument."
        ),
    )
    if with_strategy:
        p.add_argument(
            "--strategy",
            required=True,
            metavar="MODULE:NAME",
            help="the strategy class or factory, e.g. my_strategy:MyStrategy or path/to/my_strategy.py:MyStrategy",
        )
    p.add_argument(
        "--listen",
        default=os.environ.get("PLENARY_LISTEN", "127.0.0.1:0"),
        metavar="HOST:PORT",
        help="address to bind; port 0 picks a free port (default: $PLENARY_LISTEN or 127.0.0.1:0)",
    )
    p.add_argument(
        "--state",
        action="append",
        default=[],
        metavar="STATE",
        help="a State this endpoint plays (repeatable, or comma-separated): other States' seats are "
        "refused PERMISSION_DENIED; --register registers these. Default: any State",
    )
    p.add_argument("--any-seat", action="store_true", help="serve any State's seat even with --state")
    p.add_argument("--register", metavar="CHAIR_URL", help="register with the chair at this URL and stay registered")
    p.add_argument(
        "--advertise", metavar="URL", help="URL the chair should call (default: http:// + the bound address)"
    )
    p.add_argument(
        "--token-file",
        metavar="FILE",
        help=f"file holding the token (mode 0600); default: ${tokens.ENV}. Play then requires "
        "metadata x-plenary-token equal to it",
    )
    p.add_argument(
        "--max-seats", type=int, default=DEFAULT_MAX_SEATS, metavar="N", help="open seats at most (default %(default)s)"
    )
    p.add_argument(
        "--idle-seconds",
        type=float,
        default=DEFAULT_IDLE_SECONDS,
        metavar="S",
        help="drop a seat after S seconds without a message (default %(default)s)",
    )
    p.add_argument(
        "--log-level",
        default=os.environ.get(LOG_ENV, "info"),
        choices=["debug", "info", "warning", "error"],
        help=f"log level on stderr (default: ${LOG_ENV} or info)",
    )
    p.add_argument(
        "--misbehave",
        action="append",
        default=[],
        choices=MODES,
        metavar="MODE",
        help="break the contract on purpose, for testing checkers: " + ", ".join(MODES),
    )
    p.add_argument(
        "--slow-ms", type=int, default=3000, metavar="MS", help="delay of --misbehave slow (default %(default)s)"
    )
    p.add_argument("--exit-with-stdin", action="store_true", help="also stop when standard input closes")
    p.add_argument("--version", action="version", version=f"plenary-delegation {__version__}")
    return p


def main(factory: Optional[Factory] = None, argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    """Parses the command line and serves `factory` (or `--strategy` when None)."""
    args = parser(factory is None, prog).parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    prog_name = prog or os.path.basename(sys.argv[0] or "plenary_delegation")
    try:
        if factory is None:
            factory = load_factory(args.strategy)
        token = tokens.load(args.token_file)
        states = [s.strip() for arg in args.state for s in arg.split(",") if s.strip()]
        faults = Faults(args.misbehave, args.slow_ms) if args.misbehave else None
    except (ValueError, ImportError, tokens.TokenError) as e:
        print(f"{prog_name}: error: {e}", file=sys.stderr)
        return 2
    try:
        serve(
            factory,
            args.listen,
            token=token,
            states=states or None,
            any_seat=args.any_seat,
            register=args.register,
            advertise=args.advertise,
            max_seats=args.max_seats,
            idle_seconds=args.idle_seconds,
            faults=faults,
            exit_with_stdin=args.exit_with_stdin,
        )
    except ServeError as e:
        print(f"{prog_name}: error: {e}", file=sys.stderr)
        return 1
    return 0
