#!/usr/bin/env python3
"""A plenary delegation written in Python: serves plenary.v1.Delegation over gRPC.

The stubs are generated from ../../proto with grpcio-tools into gen/ (gitignored) at
startup when they are missing or stale. One process plays any number of seats of any
number of matches: memory is kept per (match_id, state), created by OpenSeat and dropped
by CloseSeat. The strategy itself lives in strategy.py.

    python3 delegation.py --listen 127.0.0.1:50061
    python3 delegation.py --listen 127.0.0.1:0        # prints the port it got

It prints `listening on HOST:PORT` once bound, serves grpc.health.v1 (SERVING for ""
and "plenary.v1.Delegation") and stops on SIGINT or SIGTERM.

`--misbehave MODE` breaks the contract on purpose, to test conformance checkers:
nan (NaN positions), out-of-range (position 150, salience 2), bad-vote (VOTE_UNSPECIFIED),
bad-link (links an item to itself), wrong-echo (echoes another State), slow (answers
after --slow-ms), accept-unknown (answers for seats never opened), random
(nondeterministic answers).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent import futures

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
PROTO_FILES = ["plenary/v1/delegation.proto", "plenary/v1/secretariat.proto"]
GEN = os.path.join(HERE, "gen")
STAMP = "STAMP"
MISBEHAVIOURS = ("nan", "out-of-range", "bad-vote", "bad-link", "wrong-echo", "slow", "accept-unknown", "random")
SERVICE_NAME = "plenary.v1.Delegation"

REQUIREMENTS_HINT = (
    "missing Python dependencies: run `python3 -m pip install -r "
    "examples/python-delegation/requirements.txt`"
)

try:
    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    from grpc_tools import protoc
    import grpc_tools
except ImportError as e:  # pragma: no cover - depends on the environment
    print(f"error: {REQUIREMENTS_HINT} ({e})", file=sys.stderr)
    sys.exit(3)

import strategy as strat


# ----- stub generation ------------------------------------------------------------------


def _stamp() -> str:
    """Identifies the generated code: generator version and proto contents."""
    h = hashlib.sha256()
    h.update(getattr(grpc_tools, "__version__", grpc.__version__).encode())
    h.update(grpc.__version__.encode())
    for f in PROTO_FILES:
        with open(os.path.join(PROTO_ROOT, f), "rb") as fh:
            h.update(f.encode())
            h.update(fh.read())
    return h.hexdigest()


def generate(force: bool = False) -> None:
    """Generates the stubs into gen/ unless gen/ is up to date.

    Writes into a fresh temporary directory and renames it into place, so concurrent
    starts never see half-written files.
    """
    want = _stamp()
    stamp_path = os.path.join(GEN, STAMP)
    if not force and os.path.exists(stamp_path):
        with open(stamp_path) as fh:
            if fh.read().strip() == want:
                return
    tmp = tempfile.mkdtemp(prefix=".gen-", dir=HERE)
    os.chmod(tmp, 0o755)
    try:
        args = ["grpc_tools.protoc", f"-I{PROTO_ROOT}", f"--python_out={tmp}", f"--grpc_python_out={tmp}"]
        args += [os.path.join(PROTO_ROOT, f) for f in PROTO_FILES]
        if protoc.main(args) != 0:
            raise SystemExit(f"error: grpc_tools.protoc failed on {PROTO_FILES} under {PROTO_ROOT}")
        with open(os.path.join(tmp, STAMP), "w") as fh:
            fh.write(want + "\n")
        old = None
        if os.path.exists(GEN):
            old = tempfile.mkdtemp(prefix=".old-gen-", dir=HERE)
            try:
                os.rename(GEN, os.path.join(old, "gen"))
            except OSError:
                pass  # another process moved it first
        try:
            os.rename(tmp, GEN)
            tmp = None
        except OSError:
            pass  # another process put an up-to-date gen/ in place first
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def load_stubs():
    if GEN not in sys.path:
        sys.path.insert(0, GEN)
    for attempt in range(3):
        generate()
        try:
            from plenary.v1 import delegation_pb2, delegation_pb2_grpc  # noqa: E402

            return delegation_pb2, delegation_pb2_grpc
        except ImportError:
            # Another process was replacing a stale gen/ at that very moment.
            if attempt == 2:
                raise
            time.sleep(0.2)


def register(chair: str, states: list[str], tokens: dict[str, str], endpoint: str, name: str) -> None:
    """Registers `endpoint` as the delegation of each of `states` with the chair's
    Secretariat, retrying (at most 30 s) while the chair is not up yet."""
    from plenary.v1 import secretariat_pb2, secretariat_pb2_grpc  # noqa: E402

    target = chair.split("://", 1)[-1].rstrip("/")
    with grpc.insecure_channel(target) as channel:
        stub = secretariat_pb2_grpc.SecretariatStub(channel)
        for state in states:
            token = tokens.get(state, tokens.get("*", ""))
            deadline = time.monotonic() + 30.0
            while True:
                try:
                    r = stub.Register(
                        secretariat_pb2.RegisterRequest(state=state, endpoint=endpoint, token=token, strategy=name),
                        timeout=5.0,
                    )
                    break
                except grpc.RpcError as e:
                    if e.code() == grpc.StatusCode.UNAVAILABLE and time.monotonic() < deadline:
                        time.sleep(0.1)
                        continue
                    raise SystemExit(f"error: registering {state} with {chair} failed: {e.code().name}: {e.details()}")
            print(f"registered {state} with {chair} (generation {r.generation})", flush=True)


# ----- the service ----------------------------------------------------------------------


class SeatError(Exception):
    """A request the service refuses, with the gRPC status code to answer."""

    def __init__(self, code, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def make_servicer(pb, pb_grpc, misbehave: str | None, slow_ms: int):
    phases = {
        pb.PHASE_POSITIONS: "positions",
        pb.PHASE_DECISION: "decision",
        pb.PHASE_SILENCE: "silence",
        pb.PHASE_PACKAGE: "package",
    }
    votes = {"yes": pb.VOTE_YES, "no": pb.VOTE_NO, "abstain": pb.VOTE_ABSTAIN}
    stances = {"stay": pb.STANCE_STAY, "withhold": pb.STANCE_WITHHOLD, "exit": pb.STANCE_EXIT}
    decisions = {v: k.lower().removeprefix("decision_") for k, v in pb.Decision.items()}
    dimensions = {v: k.lower().removeprefix("dimension_") for k, v in pb.Dimension.items()}
    rng = random.Random()  # only for --misbehave random

    def ids(request) -> dict:
        """The ids an answer echoes."""
        state = request.state if misbehave != "wrong-echo" else request.state.lower() + "-not-me"
        return {"match_id": request.match_id, "state": state}

    def context(ctx, want: tuple[str, ...]) -> strat.Context:
        phase = phases.get(ctx.phase)
        if phase is None:
            raise SeatError(grpc.StatusCode.INVALID_ARGUMENT, f"context.phase {ctx.phase} is unknown or unspecified")
        if phase not in want:
            raise SeatError(grpc.StatusCode.FAILED_PRECONDITION, f"{phase} phase cannot be asked here")
        return strat.Context(
            session=ctx.session,
            item=ctx.item,
            round=ctx.round,
            phase=phase,
            proposal=ctx.proposal if ctx.HasField("proposal") else None,
            blocs=[strat.Bloc(b.mean_position, b.objections, b.present) for b in ctx.blocs],
        )

    class Delegation(pb_grpc.DelegationServicer):
        def __init__(self):
            self.lock = threading.Lock()
            self.seats: dict[tuple[str, str], strat.Reciprocator] = {}

        # Every handler runs under one lock: answers are cheap, and it keeps a seat's
        # memory consistent when the chair asks several seats at once.
        def _call(self, context, fn):
            if misbehave == "slow":
                time.sleep(slow_ms / 1000.0)
            try:
                with self.lock:
                    return fn()
            except SeatError as e:
                context.abort(e.code, e.message)

        def _seat(self, match_id: str, state: str) -> strat.Reciprocator:
            seat = self.seats.get((match_id, state))
            if seat is None:
                if misbehave == "accept-unknown":
                    return strat.Reciprocator(strat.Brief(match_id, state, 0, 1, 1, False, [], []))
                raise SeatError(grpc.StatusCode.NOT_FOUND, f"no open seat for state {state!r} in match {match_id!r}")
            return seat

        def OpenSeat(self, request, context):
            def run():
                b = request
                if not b.match_id or not b.state:
                    raise SeatError(grpc.StatusCode.INVALID_ARGUMENT, "match_id and state are required")
                if len(b.preferences) != len(b.items):
                    raise SeatError(
                        grpc.StatusCode.INVALID_ARGUMENT,
                        f"{len(b.preferences)} preferences for {len(b.items)} items",
                    )
                if not b.HasField("rules"):
                    raise SeatError(grpc.StatusCode.INVALID_ARGUMENT, "rules is missing")
                brief = strat.Brief(
                    match_id=b.match_id,
                    state=b.state,
                    bloc_index=b.bloc_index,
                    blocs=len(b.blocs),
                    max_rounds=b.rules.max_rounds,
                    exit_allowed=b.rules.exit_allowed,
                    items=[strat.Item(i.index, dimensions.get(i.dimension, "unspecified"), i.status_quo) for i in b.items],
                    prefs=[strat.Pref(p.ideal, p.salience, p.red_line) for p in b.preferences],
                )
                # A replayed OpenSeat (re-registration) starts the seat afresh.
                self.seats[(b.match_id, b.state)] = seat = strat.Reciprocator(brief)
                return pb.OpenSeatResponse(**ids(b), strategy=seat.name)

            return self._call(context, run)

        def Position(self, request, context):
            def run():
                seat = self._seat(request.match_id, request.state)
                if not request.HasField("context") or not request.HasField("view"):
                    raise SeatError(grpc.StatusCode.INVALID_ARGUMENT, "context and view are required")
                position, salience, link = seat.position(context_of(request.context, ("positions",)))
                if misbehave == "nan":
                    position = float("nan")
                elif misbehave == "out-of-range":
                    position, salience = 150.0, 2.0
                elif misbehave == "random":
                    position = rng.uniform(0.0, 100.0)
                if misbehave == "bad-link":
                    link = request.context.item
                r = pb.PositionResponse(**ids(request), position=position, salience=salience)
                if link is not None:
                    r.link = link
                return r

            return self._call(context, run)

        def Vote(self, request, context):
            def run():
                seat = self._seat(request.match_id, request.state)
                if not request.HasField("context") or not request.HasField("view"):
                    raise SeatError(grpc.StatusCode.INVALID_ARGUMENT, "context and view are required")
                v = votes[seat.vote(context_of(request.context, ("decision", "silence", "package")))]
                if misbehave == "bad-vote":
                    v = pb.VOTE_UNSPECIFIED
                elif misbehave == "random":
                    v = rng.choice([pb.VOTE_YES, pb.VOTE_NO, pb.VOTE_ABSTAIN])
                return pb.VoteResponse(**ids(request), vote=v)

            return self._call(context, run)

        def Outcome(self, request, context):
            def run():
                seat = self._seat(request.match_id, request.state)
                if not request.HasField("outcome"):
                    raise SeatError(grpc.StatusCode.INVALID_ARGUMENT, "outcome is required")
                o = request.outcome
                decision = decisions.get(o.decision, "unspecified")
                if decision == "unspecified":
                    raise SeatError(grpc.StatusCode.INVALID_ARGUMENT, f"outcome.decision {o.decision} is unknown or unspecified")
                seat.outcome(strat.Outcome(o.session, o.item, decision, o.outcome, list(o.objections_by_bloc)))
                return pb.OutcomeAck(**ids(request))

            return self._call(context, run)

        def SessionEnd(self, request, context):
            def run():
                seat = self._seat(request.match_id, request.state)
                if not request.HasField("summary") or not request.HasField("view"):
                    raise SeatError(grpc.StatusCode.INVALID_ARGUMENT, "summary and view are required")
                seat._sync(request.summary.session)
                s = stances[seat.session_end(request.summary.my_gain, request.view.legitimacy)]
                return pb.SessionEndResponse(**ids(request), stance=s)

            return self._call(context, run)

        def CloseSeat(self, request, context):
            def run():
                self._seat(request.match_id, request.state)
                self.seats.pop((request.match_id, request.state), None)
                return pb.CloseSeatResponse(**ids(request))

            return self._call(context, run)

    def context_of(ctx, want):
        return context(ctx, want)

    return Delegation()


# ----- main -----------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="A plenary delegation in Python (plenary.v1.Delegation over gRPC).",
        epilog="Example: python3 delegation.py --listen 127.0.0.1:0",
    )
    p.add_argument("--listen", default="127.0.0.1:50061", help="HOST:PORT to bind (port 0: any free port)")
    p.add_argument("--workers", type=int, default=8, help="handler threads")
    p.add_argument("--register", metavar="CHAIR_URL", help="register with the chair at this URL once listening")
    p.add_argument("--state", action="append", default=[], help="State to register for (repeatable)")
    p.add_argument(
        "--token",
        action="append",
        default=[],
        help="registration token: TOKEN for every --state, or STATE=TOKEN (repeatable)",
    )
    p.add_argument("--advertise", metavar="URL", help="URL the chair should call (default: http://HOST:PORT bound)")
    p.add_argument("--misbehave", choices=MISBEHAVIOURS, help="break the contract on purpose (for tests)")
    p.add_argument("--slow-ms", type=int, default=3000, help="delay of --misbehave slow")
    p.add_argument("--generate-only", action="store_true", help="(re)generate gen/ and exit")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.register and not args.state:
        print("error: --register needs at least one --state", file=sys.stderr)
        return 2
    if args.generate_only:
        generate(force=True)
        print(f"stubs written to {GEN}")
        return 0
    pb, pb_grpc = load_stubs()

    limit = 16 * 1024 * 1024
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max(1, args.workers)),
        options=[("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit)],
    )
    pb_grpc.add_DelegationServicer_to_server(make_servicer(pb, pb_grpc, args.misbehave, args.slow_ms), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)

    try:
        port = server.add_insecure_port(args.listen)
    except RuntimeError as e:
        print(f"error: cannot bind {args.listen}: {e}", file=sys.stderr)
        return 1
    if port == 0:
        print(f"error: cannot bind {args.listen}", file=sys.stderr)
        return 1
    host = args.listen.rsplit(":", 1)[0]
    server.start()
    print(f"listening on {host}:{port}", flush=True)
    if args.register:
        tokens = {}
        for t in args.token:
            state, sep, value = t.partition("=")
            tokens.update({state: value} if sep else {"*": t})
        endpoint = args.advertise or f"http://{host}:{port}"
        try:
            register(args.register, args.state, tokens, endpoint, strat.NAME)
        except SystemExit:
            server.stop(grace=None)
            raise

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stop.wait()
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    server.stop(grace=2.0).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
