"""Test helpers: wire messages, a recording strategy and a fake chair over real gRPC."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Iterable, Optional

# Test the checkout's package (python/), whatever is installed.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import grpc

from plenary_delegation import Position, Stance, Strategy, Vote
from plenary_delegation.proto import delegation_pb2 as pb
from plenary_delegation.proto import delegation_pb2_grpc as pb_grpc

MATCH = "m-1"
STATE = "AUT"
ITEMS = 3
QUESTION_KINDS = ("open", "position", "vote", "session_end")


def brief(match_id: str = MATCH, state: str = STATE, items: int = ITEMS, seed: int = 7, **overrides) -> pb.SeatBrief:
    """A valid SeatBrief with `items` items."""
    b = pb.SeatBrief(
        match_id=match_id,
        state=state,
        seat=0,
        bloc="west",
        bloc_index=0,
        bloc_leader=True,
        capability=1.5,
        seed=seed,
        blocs=["west", "east"],
        items=[
            pb.ItemInfo(
                index=i,
                id=f"item-{i}",
                title=f"Item {i}",
                dimension=pb.DIMENSION_HUMAN if i % 2 else pb.DIMENSION_GENERAL,
                kind=pb.ITEM_KIND_DECLARATION,
                status_quo=40.0 + i,
                reversion=30.0,
                in_scope=True,
                binding=True,
            )
            for i in range(items)
        ],
        preferences=[
            pb.Preference(ideal=10.0 * (i + 1), salience=0.5, red_line=20.0, capability=1.0) for i in range(items)
        ],
        rules=pb.PublicRules(
            design="test",
            sessions=2,
            max_rounds=3,
            mediation=pb.MEDIATION_COMPROMISE,
            linkage=pb.LINKAGE_ANY,
            naming_shaming=True,
            exit_allowed=True,
            states=2,
        ),
    )
    for k, v in overrides.items():
        setattr(b, k, v)
    return b


def ctx(
    item: int = 0, phase: int = pb.PHASE_POSITIONS, proposal: Optional[float] = None, session: int = 0, round_: int = 0
) -> pb.RoundContext:
    c = pb.RoundContext(
        session=session,
        item=item,
        round=round_,
        phase=phase,
        blocs=[
            pb.BlocSignal(mean_position=40.0, objections=0, present=3, leader_position=35.0, leader_vote=pb.VOTE_YES),
            pb.BlocSignal(mean_position=60.0, objections=1, present=2),
        ],
        last_objections=1,
    )
    if proposal is not None:
        c.proposal = proposal
    return c


def view() -> pb.SeatView:
    return pb.SeatView(legitimacy=0.5, tension=0.2, shamed=0, red_line_scale=1.0, security_salience=1.0)


def open_(seq: int = 1, match_id: str = MATCH, state: str = STATE, b: Optional[pb.SeatBrief] = None) -> pb.Envelope:
    return pb.Envelope(
        match_id=match_id, state=state, seq=seq, deadline_ms=10_000, open=b if b is not None else brief(match_id, state)
    )


def position(
    seq: int, item: int = 0, phase: int = pb.PHASE_POSITIONS, match_id: str = MATCH, state: str = STATE, **kw
) -> pb.Envelope:
    return pb.Envelope(
        match_id=match_id,
        state=state,
        seq=seq,
        deadline_ms=10_000,
        position=pb.PositionQuestion(context=ctx(item, phase, **kw), view=view()),
    )


def vote(
    seq: int,
    item: int = 0,
    phase: int = pb.PHASE_DECISION,
    proposal: Optional[float] = 50.0,
    match_id: str = MATCH,
    state: str = STATE,
) -> pb.Envelope:
    return pb.Envelope(
        match_id=match_id,
        state=state,
        seq=seq,
        deadline_ms=10_000,
        vote=pb.VoteQuestion(context=ctx(item, phase, proposal), view=view()),
    )


def session_end(seq: int, gain: float = 1.0, match_id: str = MATCH, state: str = STATE) -> pb.Envelope:
    return pb.Envelope(
        match_id=match_id,
        state=state,
        seq=seq,
        deadline_ms=10_000,
        session_end=pb.SessionEndQuestion(
            summary=pb.SessionSummary(session=0, decided=2, items=3, my_gain=gain), view=view()
        ),
    )


def outcome(
    seq: int,
    item: int = 0,
    decision: int = pb.DECISION_ADOPTED,
    value: float = 45.0,
    match_id: str = MATCH,
    state: str = STATE,
) -> pb.Envelope:
    return pb.Envelope(
        match_id=match_id,
        state=state,
        seq=seq,
        outcome=pb.ItemOutcome(
            session=0, item=item, decision=decision, outcome=value, binding=True, rounds=1, in_force=value
        ),
    )


def close(seq: int, match_id: str = MATCH, state: str = STATE) -> pb.Envelope:
    return pb.Envelope(match_id=match_id, state=state, seq=seq, close=pb.CloseSeat())


def is_question(env: pb.Envelope) -> bool:
    return env.WhichOneof("body") in QUESTION_KINDS or env.WhichOneof("body") is None


class Recorder(Strategy):
    """A simple strategy that records every call (per instance and in `Recorder.log`).

    Positions: its ideal, moving a tenth of the way to the proposal per round. Votes: yes
    within its red line. Stance: withhold after a losing session.
    """

    name = "recorder"
    log: list = []
    opened = 0

    def __init__(self, brief):
        super().__init__(brief)
        type(self).opened += 1
        self.calls: list = []

    def _record(self, *what):
        self.calls.append(what)
        type(self).log.append((self.brief.match_id, self.brief.state) + what)

    def position(self, ctx, view):
        self._record("position", ctx.session, ctx.item, ctx.round)
        p = self.brief.preferences[ctx.item]
        x = p.ideal if ctx.proposal is None else p.ideal + 0.1 * ctx.round * (ctx.proposal - p.ideal)
        return Position(x, p.salience, None)

    def vote(self, ctx, view):
        self._record("vote", ctx.session, ctx.item, ctx.phase.name)
        if ctx.proposal is None:
            return Vote.ABSTAIN
        p = self.brief.preferences[ctx.item]
        return Vote.YES if abs(ctx.proposal - p.ideal) <= p.red_line else Vote.NO

    def outcome(self, o):
        self._record("outcome", o.session, o.item, o.decision.name)

    def session_end(self, summary, view):
        self._record("session_end", summary.session)
        return Stance.WITHHOLD if summary.my_gain < 0 else Stance.STAY

    @classmethod
    def reset(cls):
        cls.log = []
        cls.opened = 0


class ChairStream:
    """A fake chair: one `Play` stream to an endpoint, driven step by step."""

    def __init__(self, target: str, token: Optional[str] = None) -> None:
        self.channel = grpc.aio.insecure_channel(
            target,
            options=[
                ("grpc.max_send_message_length", 64 * 1024 * 1024),
                ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ],
        )
        md = (("x-plenary-token", token),) if token is not None else None
        self.call = pb_grpc.DelegationStub(self.channel).Play(metadata=md)
        self.frames: list[pb.DelegationFrame] = []

    async def hello(self, versions: Iterable[int] = (2,), chair_id: str = "test-chair") -> pb.DelegationHello:
        await self.call.write(pb.ChairFrame(hello=pb.ChairHello(versions=list(versions), chair_id=chair_id)))
        frame = await self.call.read()
        if frame is grpc.aio.EOF:
            raise AssertionError(f"no hello: {await self.call.code()} {await self.call.details()}")
        assert frame.WhichOneof("frame") == "hello", frame
        return frame.hello

    async def send(self, messages: Iterable[pb.Envelope], timeout: float = 30.0) -> list[pb.Answer]:
        """Sends one batch and returns the answers to its questions (all frames)."""
        messages = list(messages)
        want = sum(1 for m in messages if is_question(m))
        await self.call.write(pb.ChairFrame(batch=pb.Batch(messages=messages)))
        answers: list[pb.Answer] = []
        while len(answers) < want:
            frame = await asyncio.wait_for(self.call.read(), timeout)
            if frame is grpc.aio.EOF:
                raise AssertionError(f"stream ended: {await self.call.code()} {await self.call.details()}")
            self.frames.append(frame)
            answers.extend(frame.answers.answers)
        return answers

    async def status(self, timeout: float = 30.0) -> tuple[grpc.StatusCode, str]:
        """Reads to the end of the stream and returns its status."""

        async def drain():
            while await self.call.read() is not grpc.aio.EOF:
                pass

        try:
            await asyncio.wait_for(drain(), timeout)
        except grpc.aio.AioRpcError:
            pass
        return await self.call.code(), await self.call.details()

    async def close(self) -> None:
        await self.channel.close()


def by_seq(answers: Iterable[pb.Answer]) -> dict[int, pb.Answer]:
    return {a.seq: a for a in answers}


def code(answer: pb.Answer) -> int:
    """The refusal code of `answer` (0 when it is not a refusal)."""
    return answer.refusal.code if answer.WhichOneof("body") == "refusal" else 0
