#!/usr/bin/env python3
"""Throughput of the Python SDK: decisions per second for one endpoint playing many seats.

    python3 python/bench.py [--seats 57] [--rounds 200]

Prints two figures (no verdicts: the machine's load decides them):
- `in_process`: `Endpoint.handle` on parsed frames (protocol logic + a trivial strategy +
  encoding the Answers frame), no network;
- `loopback`: the same batches through a real `Play` stream on 127.0.0.1, a Python fake
  chair sending one batch of `--seats` questions at a time and waiting for the answers
  (the chair's own cost included, on the same cores).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from plenary_delegation import Endpoint, Position, Strategy, Vote, start_server  # noqa: E402
from plenary_delegation.proto import delegation_pb2 as pb  # noqa: E402
from plenary_delegation.proto import delegation_pb2_grpc as pb_grpc  # noqa: E402


class Sincere(Strategy):
    name = "bench-sincere"

    def position(self, ctx, view):
        p = self.brief.preferences[ctx.item]
        return Position(p.ideal, p.salience)

    def vote(self, ctx, view):
        p = self.brief.preferences[ctx.item]
        return Vote.YES if abs(ctx.proposal - p.ideal) <= p.red_line else Vote.NO


def brief(state: str, items: int = 20) -> pb.SeatBrief:
    return pb.SeatBrief(
        match_id="bench",
        state=state,
        blocs=["a", "b", "c", "d"],
        items=[
            pb.ItemInfo(index=i, id=f"i{i}", dimension=1 + i % 4, kind=1 + i % 7, status_quo=50.0) for i in range(items)
        ],
        preferences=[pb.Preference(ideal=10.0 + i, salience=0.5, red_line=15.0) for i in range(items)],
        rules=pb.PublicRules(design="bench", sessions=1, max_rounds=3, mediation=1, linkage=1, states=57),
    )


def frames(seats: int, rounds: int) -> tuple[bytes, list[bytes]]:
    """The open frame and `rounds` frames of one question per seat (positions, votes)."""
    states = [f"S{i:02}" for i in range(seats)]
    opens = pb.ChairFrame(
        batch=pb.Batch(
            messages=[pb.Envelope(match_id="bench", state=s, seq=1, deadline_ms=10_000, open=brief(s)) for s in states]
        )
    )
    view = pb.SeatView(legitimacy=0.5, tension=0.1)
    blocs = [pb.BlocSignal(mean_position=40.0 + b, objections=b, present=10) for b in range(4)]
    out = []
    for r in range(rounds):
        item = r % 20
        if r % 2 == 0:
            ctx = pb.RoundContext(item=item, round=0, phase=pb.PHASE_POSITIONS, blocs=blocs)
            msgs = [
                pb.Envelope(
                    match_id="bench",
                    state=s,
                    seq=r + 2,
                    deadline_ms=10_000,
                    position=pb.PositionQuestion(context=ctx, view=view),
                )
                for s in states
            ]
        else:
            ctx = pb.RoundContext(item=item, round=0, phase=pb.PHASE_DECISION, proposal=30.0, blocs=blocs)
            msgs = [
                pb.Envelope(
                    match_id="bench",
                    state=s,
                    seq=r + 2,
                    deadline_ms=10_000,
                    vote=pb.VoteQuestion(context=ctx, view=view),
                )
                for s in states
            ]
        out.append(pb.ChairFrame(batch=pb.Batch(messages=msgs)).SerializeToString())
    return opens.SerializeToString(), out


def in_process(seats: int, rounds: int) -> float:
    opens, batches = frames(seats, rounds)
    ep = Endpoint(Sincere)
    ep.answer_all(pb.ChairFrame.FromString(opens).batch.messages)
    t0 = time.perf_counter()
    for f in batches:
        for chunk in ep.handle(pb.ChairFrame.FromString(f).batch.messages, 0.02):
            pb.DelegationFrame(answers=pb.Answers(answers=chunk)).SerializeToString()
    return seats * rounds / (time.perf_counter() - t0)


async def loopback(seats: int, rounds: int) -> float:
    import grpc

    opens, batches = frames(seats, rounds)
    server = await start_server(Sincere, "127.0.0.1:0")
    try:
        async with grpc.aio.insecure_channel(server.address) as ch:
            call = pb_grpc.DelegationStub(ch).Play()
            await call.write(pb.ChairFrame(hello=pb.ChairHello(versions=[2])))
            await call.read()

            async def round_trip(frame: pb.ChairFrame) -> None:
                await call.write(frame)
                got = 0
                while got < seats:
                    got += len((await call.read()).answers.answers)

            await round_trip(pb.ChairFrame.FromString(opens))
            parsed = [pb.ChairFrame.FromString(f) for f in batches]
            t0 = time.perf_counter()
            for f in parsed:
                await round_trip(f)
            rate = seats * rounds / (time.perf_counter() - t0)
            await call.done_writing()
            return rate
    finally:
        await server.stop(None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seats", type=int, default=57)
    p.add_argument("--rounds", type=int, default=200)
    a = p.parse_args()
    print(f"in_process_decisions_per_s {in_process(a.seats, a.rounds):.0f}")
    print(f"loopback_decisions_per_s {asyncio.run(loopback(a.seats, a.rounds)):.0f}")


if __name__ == "__main__":
    main()
