"""plenary-delegation: write a plenary delegation (contract plenary.v2) in Python.

Subclass `Strategy`, implement `position` and `vote` (and, if you like, `outcome` and
`session_end`), and serve it:

    from plenary_delegation import Position, Strategy, Vote, main

    class Sincere(Strategy):
        name = "sincere"

        def position(self, ctx, view):
            p = self.brief.preferences[ctx.item]
            return Position(p.ideal, p.salience)

        def vote(self, ctx, view):
            ...

    if __name__ == "__main__":
        raise SystemExit(main(Sincere))

The SDK owns the protocol: the `Play` stream, version negotiation, batches, per-seat
ordering and replay, refusals, tokens, health, reflection and registration with a chair.
See python/README.md.
"""

import os as _os

# gRPC's core logs connection events (GOAWAY from a stopping chair, ...) on stderr at
# INFO; a delegation's stderr is for its own log. An explicit GRPC_VERBOSITY wins.
_os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from ._version import __version__  # noqa: E402
from .cli import main  # noqa: E402
from .endpoint import Endpoint  # noqa: E402
from .faults import Faults  # noqa: E402
from .server import ServeError, Server, run, serve, start_server  # noqa: E402
from .strategy import Factory, Strategy  # noqa: E402
from .types import (  # noqa: E402
    BlocSignal,
    Brief,
    Context,
    Decision,
    Dimension,
    EventInfo,
    EventKind,
    GroupInfo,
    ItemInfo,
    ItemKind,
    Linkage,
    Mediation,
    Offer,
    Outcome,
    PackageEntry,
    Phase,
    Position,
    Preference,
    PublicOffer,
    Rules,
    Stance,
    Summary,
    TensionPair,
    View,
    Vote,
)

__all__ = [
    "__version__",
    "main",
    "serve",
    "run",
    "start_server",
    "Server",
    "ServeError",
    "Endpoint",
    "Faults",
    "Strategy",
    "Factory",
    "BlocSignal",
    "Brief",
    "Context",
    "Decision",
    "Dimension",
    "EventInfo",
    "EventKind",
    "GroupInfo",
    "ItemInfo",
    "ItemKind",
    "Linkage",
    "Mediation",
    "Offer",
    "Outcome",
    "PackageEntry",
    "Phase",
    "Position",
    "Preference",
    "PublicOffer",
    "Rules",
    "Stance",
    "Summary",
    "TensionPair",
    "View",
    "Vote",
]
