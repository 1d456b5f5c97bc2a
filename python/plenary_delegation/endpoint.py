"""The seats an endpoint plays and how it answers a batch of envelopes (no gRPC here).

`Endpoint.handle` applies the contract of `proto/plenary/v2/delegation.proto` to each
envelope, in message order:

1. ids and body: an envelope without body, or whose `match_id` (1..256 bytes of printable
   ASCII without spaces) or `state` (1..64 bytes of `A-Z a-z 0-9 - _ .`, starting with a
   letter or digit) is missing or breaks those rules, or a question with seq 0, is refused
   INVALID_ARGUMENT; a seat of a State the endpoint does not serve is refused
   PERMISSION_DENIED.
2. `open` (seq 1): the brief is checked (INVALID_ARGUMENT). An open seat answers `opened`
   again when the brief is byte-identical and refuses ALREADY_EXISTS otherwise; a new seat
   beyond `max_seats` is refused RESOURCE_EXHAUSTED; otherwise the factory builds the
   seat's strategy.
3. Other questions need an open seat (NOT_FOUND). Per seat the endpoint keeps the highest
   seq processed and its last answer: a notice at or below that seq is ignored, the last
   question asked again gets the cached answer (the strategy is not asked twice), an older
   question is refused OUT_OF_RANGE.
4. The question's required fields (INVALID_ARGUMENT) and phase (FAILED_PRECONDITION:
   `position` outside POSITIONS, `vote` in POSITIONS) are checked, then the strategy
   answers. A strategy that raises, or returns something that cannot be encoded, gets
   the question refused INTERNAL with the error (and a log line).
5. `outcome` notices reach `Strategy.outcome`; `close` drops the seat.

Everything runs on the caller's thread, one envelope after the other: a seat's messages
are handled in order and no two calls reach one strategy at the same time.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Iterable, Iterator, Optional

from . import _convert as cv
from ._convert import Refused, StrategyError
from .faults import Faults
from .proto import delegation_pb2 as pb
from .strategy import Factory
from .types import Phase

log = logging.getLogger("plenary_delegation")

QUESTIONS = frozenset(("open", "position", "vote", "session_end"))
NOTICES = frozenset(("outcome", "close"))

DEFAULT_MAX_SEATS = 10_000
DEFAULT_IDLE_SECONDS = 6 * 3600.0


class _Seat:
    """One open seat: its strategy and its replay bookkeeping."""

    __slots__ = (
        "strategy",
        "name",
        "brief_bytes",
        "brief",
        "highest",
        "last_seq",
        "last_kind",
        "last_answer",
        "touched",
        "warned",
    )

    def __init__(self, strategy, name: str, brief_bytes: bytes, brief, answer: pb.Answer, now: float) -> None:
        self.strategy = strategy
        self.name = name
        self.brief_bytes = brief_bytes
        self.brief = brief  # the converted Brief, for the local check of positions
        self.highest = 1  # `open` is seq 1
        self.last_seq = 1
        self.last_kind = "open"
        self.last_answer = answer
        self.touched = now
        self.warned = False


def _refusal(env: pb.Envelope, code: int, message: str) -> pb.Answer:
    return pb.Answer(
        match_id=env.match_id,
        state=env.state,
        seq=env.seq,
        refusal=pb.Refusal(code=code, message=cv.clip(message)),
    )


class Endpoint:
    """Plays any number of seats of any number of matches with strategies from `factory`.

    Args:
        factory: a `Strategy` subclass, or a callable taking a `Brief` and returning one
            fresh strategy per seat.
        states: the States whose seats this endpoint serves (None: any State).
        max_seats: open seats at most (RESOURCE_EXHAUSTED beyond).
        idle_seconds: `evict_idle` drops seats without a message for this long.
        faults: deliberate contract violations (tests of checkers only).
        clock: monotonic clock in seconds (replaceable in tests).
    """

    def __init__(
        self,
        factory: Factory,
        *,
        states: Optional[Iterable[str]] = None,
        max_seats: int = DEFAULT_MAX_SEATS,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        faults: Optional[Faults] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not callable(factory):
            raise TypeError(f"the strategy factory {factory!r} is not callable")
        if max_seats < 1:
            raise ValueError(f"max_seats is {max_seats}; it must be at least 1")
        if idle_seconds <= 0:
            raise ValueError(f"idle_seconds is {idle_seconds}; it must be positive")
        self.factory = factory
        self.states = frozenset(states) if states is not None else None
        self.max_seats = max_seats
        self.idle_seconds = idle_seconds
        self.faults = faults if faults is not None else Faults()
        self.clock = clock
        self.seats: dict[tuple[str, str], _Seat] = {}
        # Every seat asked in a round gets the same RoundContext: converting it once per
        # distinct encoding saves most of the per-question cost (Context is frozen).
        self._context_key = b""
        self._context = None

    # ----- batches ----------------------------------------------------------------------

    def handle(self, messages: Iterable[pb.Envelope], flush_after: Optional[float] = None) -> Iterator[list[pb.Answer]]:
        """Handles envelopes in order and yields their answers in chunks: one chunk at the
        end, plus one whenever `flush_after` seconds passed since the last one (so a slow
        seat does not hold back answers that are ready)."""
        clock = self.clock
        start = now = clock()
        out: list[pb.Answer] = []
        for env in messages:
            a = self._one(env, now)
            if a is not None:
                out.append(a)
                if flush_after is not None:
                    now = clock()
                    if now - start >= flush_after:
                        yield out
                        out = []
                        start = now
        if out:
            yield out

    def answer_all(self, messages: Iterable[pb.Envelope]) -> list[pb.Answer]:
        """All answers to `messages`, in one list."""
        return [a for chunk in self.handle(messages) for a in chunk]

    def evict_idle(self, now: Optional[float] = None) -> int:
        """Drops the seats that got no message for `idle_seconds`; returns how many."""
        limit = (self.clock() if now is None else now) - self.idle_seconds
        stale = [k for k, s in self.seats.items() if s.touched < limit]
        for k in stale:
            del self.seats[k]
            log.info("seat %s of match %s dropped after %.0f s without a message", k[1], k[0], self.idle_seconds)
        return len(stale)

    # ----- one envelope -----------------------------------------------------------------

    def _one(self, env: pb.Envelope, now: float) -> Optional[pb.Answer]:
        kind = env.WhichOneof("body")
        if kind in NOTICES:
            self._notice(env, kind, now)
            return None
        if kind is None:
            return _refusal(env, cv.INVALID_ARGUMENT, "the envelope has no body")
        bad = cv.id_problem(env.match_id, env.state)
        if bad is not None:
            return _refusal(env, cv.INVALID_ARGUMENT, bad)
        if env.seq == 0:
            return _refusal(env, cv.INVALID_ARGUMENT, "seq must be at least 1")
        if self.states is not None and env.state not in self.states:
            served = ", ".join(sorted(self.states))
            return _refusal(env, cv.PERMISSION_DENIED, f"this endpoint does not serve {env.state} (it serves {served})")
        if kind == "open":
            return self._open(env, now)
        key = (env.match_id, env.state)
        seat = self.seats.get(key)
        if seat is None:
            made_up = self.faults.unknown_seat(env) if self.faults else None
            if made_up is not None:
                return made_up
            return _refusal(env, cv.NOT_FOUND, f"no open seat for {env.state} in match {env.match_id}")
        seat.touched = now
        seq = env.seq
        if seq <= seat.highest:
            if seq == seat.last_seq and kind == seat.last_kind:
                return seat.last_answer  # a replay: the same answer, the strategy untouched
            return _refusal(
                env,
                cv.OUT_OF_RANGE,
                f"seq {seq} is not newer than this seat's last message ({seat.highest}) "
                f"nor its last question answered ({seat.last_kind} {seat.last_seq})",
            )
        if seq != seat.highest + 1:
            log.warning(
                "%s in match %s: seq %d follows %d (messages missing)", env.state, env.match_id, seq, seat.highest
            )
        seat.highest = seq
        answer = self._ask(seat, env, kind)
        seat.last_seq = seq
        seat.last_kind = kind
        seat.last_answer = answer
        return answer

    def _open(self, env: pb.Envelope, now: float) -> pb.Answer:
        b = env.open
        if env.seq != 1:
            return _refusal(env, cv.INVALID_ARGUMENT, f"open has seq {env.seq}; it must be 1")
        if b.match_id != env.match_id or b.state != env.state:
            return _refusal(
                env,
                cv.INVALID_ARGUMENT,
                f"open.match_id/open.state ({b.match_id}/{b.state}) differ from the envelope's "
                f"({env.match_id}/{env.state})",
            )
        try:
            brief = cv.brief(b)
        except Refused as r:
            return _refusal(env, r.code, r.message)
        key = (env.match_id, env.state)
        data = b.SerializeToString(deterministic=True)
        seat = self.seats.get(key)
        if seat is not None:
            seat.touched = now
            if data == seat.brief_bytes:
                # A replayed open never resets the strategy.
                return pb.Answer(match_id=env.match_id, state=env.state, seq=1, opened=pb.Opened(strategy=seat.name))
            return _refusal(
                env, cv.ALREADY_EXISTS, f"the seat of {env.state} in match {env.match_id} is open with another brief"
            )
        if len(self.seats) >= self.max_seats:
            return _refusal(env, cv.RESOURCE_EXHAUSTED, f"this endpoint plays at most {self.max_seats} open seats")
        try:
            strategy = self.factory(brief)
            name = cv.strategy_name(getattr(strategy, "name", None))
        except Exception as e:  # noqa: BLE001 - any failure of user code is reported, not fatal
            log.exception("opening %s in match %s failed", env.state, env.match_id)
            return _refusal(env, cv.INTERNAL, f"the strategy could not open the seat: {type(e).__name__}: {e}")
        answer = pb.Answer(match_id=env.match_id, state=env.state, seq=1, opened=pb.Opened(strategy=name))
        if self.faults:
            self.faults.answer(answer, 0)
        self.seats[key] = _Seat(strategy, name, data, brief, answer, now)
        return answer

    def _convert_context(self, c: pb.RoundContext, what: str):
        key = c.SerializeToString(deterministic=True)
        if key != self._context_key or self._context is None:
            self._context = cv.context(c, what)  # may raise Refused: the cache is kept
            self._context_key = key
        return self._context

    def _ask(self, seat: _Seat, env: pb.Envelope, kind: str) -> pb.Answer:
        """The answer (or refusal) of a new question to an open seat."""
        item = 0
        try:
            if kind == "position":
                q = env.position
                if not q.HasField("context") or not q.HasField("view"):
                    raise Refused(cv.INVALID_ARGUMENT, "position.context and position.view are required")
                ctx = self._convert_context(q.context, "position")
                if ctx.phase is not Phase.POSITIONS:
                    raise Refused(cv.FAILED_PRECONDITION, f"a position question in phase {ctx.phase.name}")
                item = ctx.item
                p = cv.position_answer(seat.strategy.position(ctx, cv.view(q.view)))
                answer = pb.Answer(match_id=env.match_id, state=env.state, seq=env.seq, position=p)
                if not seat.warned:
                    problem = cv.position_problem(p, seat.brief, item)
                    if problem is not None:
                        seat.warned = True
                        log.warning(
                            "%s (%s) in match %s answered an invalid position: %s (the chair records a violation; warned once per seat)",
                            env.state,
                            seat.name,
                            env.match_id,
                            problem,
                        )
            elif kind == "vote":
                q = env.vote
                if not q.HasField("context") or not q.HasField("view"):
                    raise Refused(cv.INVALID_ARGUMENT, "vote.context and vote.view are required")
                ctx = self._convert_context(q.context, "vote")
                if ctx.phase is Phase.POSITIONS:
                    raise Refused(cv.FAILED_PRECONDITION, "a vote question in phase POSITIONS")
                item = ctx.item
                v = cv.vote_answer(seat.strategy.vote(ctx, cv.view(q.view)))
                answer = pb.Answer(match_id=env.match_id, state=env.state, seq=env.seq, vote=v)
            else:  # session_end
                q = env.session_end
                if not q.HasField("summary") or not q.HasField("view"):
                    raise Refused(cv.INVALID_ARGUMENT, "session_end.summary and session_end.view are required")
                s = cv.stance_answer(seat.strategy.session_end(cv.summary(q.summary), cv.view(q.view)))
                answer = pb.Answer(match_id=env.match_id, state=env.state, seq=env.seq, stance=s)
        except Refused as r:
            return _refusal(env, r.code, r.message)
        except StrategyError as e:
            log.error("%s (%s) in match %s: %s", env.state, seat.name, env.match_id, e)
            return _refusal(env, cv.INTERNAL, str(e))
        except Exception as e:  # noqa: BLE001 - a failing strategy costs its seat, not the endpoint
            log.exception("%s (%s) in match %s: %s raised", env.state, seat.name, env.match_id, kind)
            return _refusal(env, cv.INTERNAL, f"{seat.name}.{kind} raised {type(e).__name__}: {e}")
        if self.faults:
            self.faults.answer(answer, item)
        return answer

    def _notice(self, env: pb.Envelope, kind: str, now: float) -> None:
        key = (env.match_id, env.state)
        seat = self.seats.get(key)
        if seat is None:
            log.debug("%s notice for %s in match %s, which is not open: ignored", kind, env.state, env.match_id)
            return
        seat.touched = now
        if env.seq <= seat.highest:
            return  # a replayed notice
        if env.seq != seat.highest + 1:
            log.warning(
                "%s in match %s: seq %d follows %d (messages missing)", env.state, env.match_id, env.seq, seat.highest
            )
        seat.highest = env.seq
        if kind == "close":
            del self.seats[key]
            return
        try:
            o = cv.outcome(env.outcome)
        except Refused as r:
            log.warning(
                "%s in match %s: outcome notice seq %d ignored: %s", env.state, env.match_id, env.seq, r.message
            )
            return
        try:
            seat.strategy.outcome(o)
        except Exception:  # noqa: BLE001
            log.exception("%s (%s) in match %s: outcome raised", env.state, seat.name, env.match_id)
