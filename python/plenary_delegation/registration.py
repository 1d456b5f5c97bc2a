"""Keeps an endpoint registered with a chair (`plenary.v2.Secretariat/Register`).

`Register` is a server stream that stays open while the registration stands. The keeper
registers, prints `registered STATE with CHAIR (generation N)` on stdout each time the
chair confirms, and when the stream ends (the chair stopped or restarted) registers again
with exponential backoff (0.1 s doubling to 5 s), so a restarted chair finds the
delegation again. A `Replaced` event means another endpoint took the State: the keeper
logs it and stops (registering again would take the seat back and forth).

A refusal of the very first registration (PERMISSION_DENIED: wrong token;
INVALID_ARGUMENT; UNAUTHENTICATED) is fatal: `RegistrationError`. Once registered, a
refusal after a chair restart is logged and retried.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Optional

import grpc

from .proto import secretariat_pb2 as spb
from .proto import secretariat_pb2_grpc as spb_grpc

log = logging.getLogger("plenary_delegation")

BACKOFF_START = 0.1
BACKOFF_MAX = 5.0
FATAL = (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED)


class RegistrationError(Exception):
    """The chair refused the registration."""


def channel(url: str) -> grpc.aio.Channel:
    """An aio channel to a chair named by `http://HOST:PORT` or `https://HOST:PORT`."""
    if url.startswith("https://"):
        return grpc.aio.secure_channel(url[len("https://") :].rstrip("/"), grpc.ssl_channel_credentials())
    if url.startswith("http://"):
        return grpc.aio.insecure_channel(url[len("http://") :].rstrip("/"))
    raise RegistrationError(f"the chair URL {url!r} does not start with http:// or https://")


async def keep_registered(
    chair: str,
    state: str,
    endpoint: str,
    token: Optional[str],
    registered: Optional[asyncio.Event] = None,
    backoff_start: float = BACKOFF_START,
    backoff_max: float = BACKOFF_MAX,
) -> None:
    """Registers `endpoint` as the delegation of `state` with the chair at `chair` and keeps
    it registered until cancelled or replaced. Sets `registered` after the first
    confirmation."""
    backoff = backoff_start
    first = True
    async with channel(chair) as ch:
        stub = spb_grpc.SecretariatStub(ch)
        while True:
            call = stub.Register(spb.RegisterRequest(state=state, endpoint=endpoint, token=token or ""))
            try:
                async for ev in call:
                    which = ev.WhichOneof("event")
                    if which == "registered":
                        first = False
                        backoff = backoff_start
                        print(
                            f"registered {state} with {chair} (generation {ev.registered.generation})",
                            flush=True,
                            file=sys.stdout,
                        )
                        log.info(
                            "registered %s as %s with %s (chair %s)", state, endpoint, chair, ev.registered.chair_id
                        )
                        if registered is not None:
                            registered.set()
                    elif which == "replaced":
                        log.warning(
                            "Replaced: the chair %s now plays %s at %s (generation %d); no longer registering it",
                            chair,
                            state,
                            ev.replaced.endpoint,
                            ev.replaced.generation,
                        )
                        return
                log.warning(
                    "the registration of %s with %s ended (chair stopped?); registering again in %.1f s",
                    state,
                    chair,
                    backoff,
                )
            except grpc.aio.AioRpcError as e:
                if e.code() in FATAL and first:
                    raise RegistrationError(
                        f"the chair {chair} refused to register {state}: {e.code().name}: {e.details()}"
                    ) from None
                log.warning(
                    "registering %s with %s: %s: %s; again in %.1f s", state, chair, e.code().name, e.details(), backoff
                )
            finally:
                call.cancel()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2.0, backoff_max)
