#!/usr/bin/env sh
# Generates the Python stubs of plenary.v1 from ../../proto into gen/ (gitignored), the
# same way delegation.py does by itself at startup when gen/ is missing or stale. Use it
# to look at the stubs or to import them from your own code (add gen/ to sys.path).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
exec python3 "$here/delegation.py" --generate-only
