"""Where an endpoint's token comes from: the environment or a private file, never argv.

A token on a command line is visible to every user of the machine (`ps`), so the SDK
takes it only from the environment variable `PLENARY_TOKEN` or from a file that only its
owner can read or write (mode 0600 or stricter).
"""

from __future__ import annotations

import os
import stat
from typing import Mapping, Optional

ENV = "PLENARY_TOKEN"
MAX_TOKEN_BYTES = 256


class TokenError(Exception):
    """The token cannot be used; the message says why and where."""


def check(token: str, where: str) -> str:
    """`token` when it is 1..256 printable ASCII characters; TokenError otherwise."""
    if not token:
        raise TokenError(f"the token in {where} is empty")
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenError(f"the token in {where} is {len(token)} characters long; at most {MAX_TOKEN_BYTES}")
    bad = [c for c in token if not " " <= c <= "~"]
    if bad:
        raise TokenError(f"the token in {where} has a character that is not printable ASCII ({bad[0]!r})")
    return token


def read_file(path: str) -> str:
    """The token in `path` (surrounding whitespace removed), refusing a file that group or
    others may read or write."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise TokenError(f"cannot read the token file {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise TokenError(f"the token file {path} is not a regular file")
    if st.st_mode & 0o077:
        raise TokenError(
            f"the token file {path} has mode {stat.S_IMODE(st.st_mode):04o}: group or others may access it; "
            f"run `chmod 600 {path}`"
        )
    with open(path, "rb") as fh:
        data = fh.read(4 * MAX_TOKEN_BYTES + 1)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise TokenError(f"the token file {path} is not ASCII text") from None
    return check(text.strip(), path)


def load(token_file: Optional[str], environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """The endpoint's token: from `token_file` or from `$PLENARY_TOKEN` (an empty variable
    counts as unset); None when neither is given. Both at once is an error."""
    env = environ.get(ENV) or None
    if token_file and env:
        raise TokenError(f"both ${ENV} and --token-file are set; give the token one way")
    if token_file:
        return read_file(token_file)
    if env:
        return check(env, f"${ENV}")
    return None
