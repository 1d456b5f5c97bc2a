#!/usr/bin/env python3
"""The reciprocating dissociator as a plenary delegation endpoint (contract plenary.v2).

    python3 delegation.py --listen 127.0.0.1:0            # prints `listening on HOST:PORT`
    PLENARY_TOKEN=... python3 delegation.py --listen 127.0.0.1:50061 \
        --state SUN --state FIN --register http://127.0.0.1:50050

Everything protocol-related (the Play stream, batches, replay, refusals, health,
reflection, tokens, registration, signals) is the SDK's (`plenary_delegation`, installed
from python/ of this repository); this file only names the strategy. `--help` lists the
flags, among them `--misbehave MODE`, which breaks the contract on purpose for testing
checkers.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    from plenary_delegation import main
except ImportError as e:  # pragma: no cover - depends on the environment
    sys.exit(
        f"error: the plenary SDK is not installed ({e}); from the repository root run\n"
        "  python3 -m pip install -c python/constraints.txt ./python -r examples/python-delegation/requirements.txt"
    )

from reciprocator import Reciprocator  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(Reciprocator))
