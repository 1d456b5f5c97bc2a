"""The gRPC side of a delegation endpoint: `Delegation.Play`, health, reflection, tokens,
registration and the process lifecycle.

`Play` (one stream per chair connection):
1. With a token, the stream needs metadata `x-plenary-token` equal to it; otherwise it
   ends at once with UNAUTHENTICATED.
2. The chair's first frame must be `hello` (FAILED_PRECONDITION otherwise) offering
   contract version 2 (FAILED_PRECONDITION naming both lists otherwise); the endpoint
   answers `DelegationHello{version: 2}`.
3. Each later `batch` (at most 65 536 envelopes, RESOURCE_EXHAUSTED beyond; frames over
   16 MiB are refused by gRPC with RESOURCE_EXHAUSTED) is answered by `Endpoint.handle` in
   message order, in one `Answers` frame, or in several when answering takes longer than
   `flush_after` (20 ms), so ready answers are not held back. A second hello, or a frame
   with neither hello nor batch, ends the stream with FAILED_PRECONDITION. The stream
   ends with OK when the chair half-closes it.

All streams share one `Endpoint` and one asyncio event loop: envelopes are handled one
at a time, so the seats' strategies never run concurrently and need no locks.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import signal
import socket
import sys
import threading
from typing import Iterable, Optional

import grpc
from grpc_health.v1 import health as grpc_health
from grpc_health.v1 import health_pb2, health_pb2_grpc

from . import reflection
from ._version import __version__
from .endpoint import DEFAULT_IDLE_SECONDS, DEFAULT_MAX_SEATS, Endpoint
from .faults import Faults
from .proto import delegation_pb2 as pb
from .proto import delegation_pb2_grpc as pb_grpc
from .registration import RegistrationError, keep_registered
from .strategy import Factory

log = logging.getLogger("plenary_delegation")

CONTRACT_VERSION = 2
SERVICE = "plenary.v2.Delegation"
TOKEN_METADATA = "x-plenary-token"
MAX_FRAME_BYTES = 16 * 1024 * 1024
MAX_BATCH = 65_536
AGENT = f"plenary-delegation-python/{__version__}"
FLUSH_AFTER = 0.02


class ServeError(Exception):
    """The endpoint cannot start or keep running (bad address, refused registration)."""


class DelegationService(pb_grpc.DelegationServicer):
    """`plenary.v2.Delegation` over an `Endpoint`."""

    def __init__(self, endpoint: Endpoint, token: Optional[str], flush_after: Optional[float] = FLUSH_AFTER) -> None:
        self.endpoint = endpoint
        self._token = token.encode("ascii") if token else None
        self.flush_after = flush_after

    def _authorised(self, context: grpc.aio.ServicerContext) -> bool:
        if self._token is None:
            return True
        for key, value in context.invocation_metadata() or ():
            if key == TOKEN_METADATA:
                got = value.encode("utf-8", "replace") if isinstance(value, str) else value
                return hmac.compare_digest(got, self._token)
        return False

    async def Play(self, request_iterator, context):
        if not self._authorised(context):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, f"missing or wrong `{TOKEN_METADATA}` metadata")
        frames = request_iterator.__aiter__()
        try:
            first = await frames.__anext__()
        except StopAsyncIteration:
            return
        if first.WhichOneof("frame") != "hello":
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"the first frame must be `hello`, got `{first.WhichOneof('frame') or 'an empty frame'}`",
            )
        offered = list(first.hello.versions)
        if CONTRACT_VERSION not in offered:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"no common contract version: the chair offers {offered}; this delegation speaks [{CONTRACT_VERSION}]",
            )
        log.info(
            "chair %s connected from %s (contract %d)", first.hello.chair_id or "?", context.peer(), CONTRACT_VERSION
        )
        yield pb.DelegationFrame(hello=pb.DelegationHello(version=CONTRACT_VERSION, agent=AGENT))
        faults = self.endpoint.faults
        async for frame in frames:
            which = frame.WhichOneof("frame")
            if which == "batch":
                messages = frame.batch.messages
                if len(messages) > MAX_BATCH:
                    await context.abort(
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                        f"a batch of {len(messages)} envelopes; at most {MAX_BATCH}",
                    )
                if faults:
                    if "silent" in faults.modes:
                        continue
                    if "slow" in faults.modes:
                        await asyncio.sleep(faults.slow_ms / 1000.0)
                for chunk in self.endpoint.handle(messages, self.flush_after):
                    yield pb.DelegationFrame(answers=pb.Answers(answers=chunk))
            else:
                # A second hello, or a frame with neither hello nor batch.
                await context.abort(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    "a Play stream has exactly one hello, first; later frames are batches",
                )
        log.info("chair stream from %s ended", context.peer())


def split_listen(listen: str) -> tuple[str, int]:
    """(host, port) of `HOST:PORT` (`[v6]:PORT` for IPv6); ServeError when malformed."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ServeError(f"--listen {listen!r} is not HOST:PORT with a port in 0..65535 (e.g. 127.0.0.1:0)")
    return host, int(port)


def display_host(host: str) -> str:
    """The address to print for `host`: an IP literal as given, a name resolved."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        try:
            family, _, _, _, sockaddr = socket.getaddrinfo(bare, None, proto=socket.IPPROTO_TCP)[0]
        except OSError as e:
            raise ServeError(f"cannot resolve {host!r}: {e}") from None
        ip = ipaddress.ip_address(sockaddr[0])
    return f"[{ip}]" if ip.version == 6 else str(ip)


class Server:
    """A delegation endpoint bound to an address (see `start_server`)."""

    def __init__(self, endpoint: Endpoint, listen: str, token: Optional[str], flush_after: Optional[float]) -> None:
        self.endpoint = endpoint
        self.listen = listen
        self.token = token
        self.flush_after = flush_after
        self.port = 0
        self.address = ""
        self.health = grpc_health.aio.HealthServicer()
        self.services: list[str] = []
        self._grpc: Optional[grpc.aio.Server] = None
        self._evictor: Optional[asyncio.Task] = None

    @property
    def url(self) -> str:
        """`http://HOST:PORT` of the bound address."""
        return f"http://{self.address}"

    async def start(self) -> None:
        host, _ = split_listen(self.listen)
        shown = display_host(host)
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_FRAME_BYTES),
                ("grpc.max_send_message_length", MAX_FRAME_BYTES),
                # Without this a second server could bind a port already in use.
                ("grpc.so_reuseport", 0),
            ]
        )
        pb_grpc.add_DelegationServicer_to_server(DelegationService(self.endpoint, self.token, self.flush_after), server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        for name in ("", SERVICE):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self.services = reflection.enable(server, [SERVICE, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name])
        try:
            port = server.add_insecure_port(self.listen)
        except RuntimeError as e:
            raise ServeError(f"cannot listen on {self.listen}: {e}") from None
        if port == 0:
            raise ServeError(f"cannot listen on {self.listen}")
        await server.start()
        self._grpc = server
        self.port = port
        self.address = f"{shown}:{port}"
        period = min(60.0, self.endpoint.idle_seconds / 4.0)
        self._evictor = asyncio.get_running_loop().create_task(self._evict(period))

    async def _evict(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            self.endpoint.evict_idle()

    async def stop(self, grace: Optional[float] = 2.0) -> None:
        """Reports NOT_SERVING, then stops (open streams get `grace` seconds)."""
        if self._evictor is not None:
            self._evictor.cancel()
        if self._grpc is not None:
            await self.health.enter_graceful_shutdown()
            await self._grpc.stop(grace)
            self._grpc = None


async def start_server(
    factory: Factory,
    listen: str = "127.0.0.1:0",
    *,
    token: Optional[str] = None,
    states: Optional[Iterable[str]] = None,
    max_seats: int = DEFAULT_MAX_SEATS,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
    faults: Optional[Faults] = None,
    flush_after: Optional[float] = FLUSH_AFTER,
) -> Server:
    """Starts an endpoint on the running event loop and returns it (`Server.stop` ends it).
    The arguments are those of `serve`."""
    endpoint = Endpoint(factory, states=states, max_seats=max_seats, idle_seconds=idle_seconds, faults=faults)
    server = Server(endpoint, listen, token, flush_after)
    await server.start()
    return server


def _stdin_closed(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


async def run(
    factory: Factory,
    listen: str = "127.0.0.1:0",
    *,
    token: Optional[str] = None,
    states: Optional[Iterable[str]] = None,
    any_seat: bool = False,
    register: Optional[str] = None,
    advertise: Optional[str] = None,
    max_seats: int = DEFAULT_MAX_SEATS,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
    faults: Optional[Faults] = None,
    exit_with_stdin: bool = False,
    stop: Optional[asyncio.Event] = None,
) -> None:
    """The coroutine behind `serve`; `stop` (when given) ends it like a signal."""
    states = list(states) if states is not None else []
    if register and not states:
        raise ServeError("registering with a chair needs at least one State (--state)")
    served = None if any_seat or not states else states
    # Signals are caught before `listening on` is printed: a parent may signal at once.
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
            pass
    server: Optional[Server] = None
    tasks: list[asyncio.Task] = []
    try:
        server = await start_server(
            factory, listen, token=token, states=served, max_seats=max_seats, idle_seconds=idle_seconds, faults=faults
        )
        host = server.address.rsplit(":", 1)[0]
        if register and not advertise and host in ("0.0.0.0", "[::]"):
            raise ServeError(f"listening on {server.address}: give --advertise URL, the address the chair should call")
        if token is None and host not in ("127.0.0.1", "[::1]"):
            log.warning("listening on %s without a token: anyone who reaches it can open seats", server.address)
        print(f"listening on {server.address}", flush=True)
        if exit_with_stdin:
            _stdin_closed(loop, stop)
        if register:
            url = advertise or server.url
            tasks = [loop.create_task(keep_registered(register, s, url, token), name=f"register {s}") for s in states]
        tasks.append(loop.create_task(stop.wait(), name="stop"))
        stopper = tasks[-1]
        pending = set(tasks)
        while stopper in pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t is not stopper and not t.cancelled() and t.exception() is not None:
                    e = t.exception()
                    raise ServeError(str(e)) if isinstance(e, RegistrationError) else e
        log.info("stopping")
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass
        if server is not None:
            await server.stop()


def serve(factory: Factory, listen: str = "127.0.0.1:0", **options) -> None:
    """Serves `factory`'s strategy until SIGTERM or SIGINT (blocking).

    Args:
        factory: a `Strategy` subclass, or a callable taking a `Brief` and returning a
            fresh strategy; called once per seat.
        listen: `HOST:PORT` to bind (port 0 picks a free port). Once bound, the endpoint
            prints `listening on HOST:PORT` on stdout.
        token: when set, `Play` requires metadata `x-plenary-token` equal to it (read it
            with `tokens.load`, never from the command line).
        states: the States this endpoint plays: questions for other States' seats are
            refused PERMISSION_DENIED (None: any State), and with `register` the States
            it registers for.
        any_seat: serve any State even though `states` is given (for registration).
        register: URL of a chair to register with (`http://HOST:PORT`) and stay
            registered with, re-registering when the chair restarts.
        advertise: the URL the chair should call (default: `http://` + bound address).
        max_seats: open seats at most (RESOURCE_EXHAUSTED beyond); default 10 000.
        idle_seconds: seats without a message for this long are dropped; default 6 h.
        faults: deliberate contract violations (`Faults`), for testing checkers only.
        exit_with_stdin: also stop when standard input closes.

    Raises:
        ServeError: the address cannot be bound, or the chair refused the registration.
    """
    asyncio.run(run(factory, listen, **options))
