#!/usr/bin/env python3
"""Generates the plenary.v2 Python stubs of the SDK from the repository's .proto files.

    python3 python/generate.py            # rewrite python/plenary_delegation/proto/
    python3 python/generate.py --check    # exit 1 when the committed stubs drift

Needs grpcio-tools at the version pinned in python/constraints.txt
(`pip install -c python/constraints.txt "./python[dev]"`): the stubs are committed, so
`pip install ./python` needs no code generator, and a test (tests/test_generated.py)
runs `--check` so a .proto change without regenerated stubs fails.

protoc writes `from plenary.v2 import delegation_pb2`, which would need a top-level
`plenary` package; the stubs live inside `plenary_delegation.proto`, so those imports are
rewritten to relative ones. The descriptors keep their file names
(`plenary/v2/delegation.proto`), the same names the Rust chair serves by reflection.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.normpath(os.path.join(HERE, "..", "proto"))
PROTO_FILES = ("plenary/v2/delegation.proto", "plenary/v2/secretariat.proto")
OUT = os.path.join(HERE, "plenary_delegation", "proto")
# What `OUT` holds besides the generated files.
INIT = '"""Generated plenary.v2 stubs (python/generate.py); do not edit."""\n'
IMPORT = re.compile(r"^from plenary\.v2 import (\w+) as ", re.MULTILINE)


def generate_into(directory: str) -> dict[str, str]:
    """Runs protoc into `directory` and returns {file name: content}, imports rewritten."""
    try:
        from grpc_tools import protoc
    except ImportError as e:
        raise SystemExit(
            f"error: grpcio-tools is missing ({e}); install it with "
            '`pip install -c python/constraints.txt "./python[dev]"`'
        ) from None
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={directory}",
        f"--pyi_out={directory}",
        f"--grpc_python_out={directory}",
        *(os.path.join(PROTO_ROOT, f) for f in PROTO_FILES),
    ]
    if protoc.main(args) != 0:
        raise SystemExit(f"error: grpc_tools.protoc failed on {', '.join(PROTO_FILES)} under {PROTO_ROOT}")
    files = {"__init__.py": INIT}
    src = os.path.join(directory, "plenary", "v2")
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name), encoding="utf-8") as fh:
            files[name] = IMPORT.sub(r"from . import \1 as ", fh.read())
    return files


def committed() -> dict[str, str]:
    files = {}
    if os.path.isdir(OUT):
        for name in sorted(os.listdir(OUT)):
            path = os.path.join(OUT, name)
            if os.path.isfile(path) and not name.endswith(".pyc"):
                with open(path, encoding="utf-8") as fh:
                    files[name] = fh.read()
    return files


def drift(want: dict[str, str], have: dict[str, str]) -> list[str]:
    """Human-readable differences between freshly generated and committed stubs."""
    out = []
    for name in sorted(set(want) | set(have)):
        if name not in have:
            out.append(f"{name}: missing from {OUT}")
        elif name not in want:
            out.append(f"{name}: committed but no longer generated")
        elif want[name] != have[name]:
            diff = difflib.unified_diff(
                have[name].splitlines(),
                want[name].splitlines(),
                f"committed/{name}",
                f"generated/{name}",
                lineterm="",
                n=1,
            )
            out.append("\n".join(list(diff)[:40]))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="compare with the committed stubs instead of writing them")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        want = generate_into(tmp)
    if args.check:
        problems = drift(want, committed())
        if problems:
            print(
                "the committed stubs in python/plenary_delegation/proto differ from the .proto files; "
                "run `python3 python/generate.py`:\n" + "\n".join(problems),
                file=sys.stderr,
            )
            return 1
        print(f"stubs up to date ({len(want)} files)")
        return 0
    os.makedirs(OUT, exist_ok=True)
    for name in set(committed()) - set(want):
        os.remove(os.path.join(OUT, name))
    for name, text in want.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    print(f"wrote {len(want)} files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
