"""`python -m plenary_delegation --strategy module:Class --listen HOST:PORT` (see `cli`)."""

import sys

from .cli import main

sys.exit(main(prog="python -m plenary_delegation"))
