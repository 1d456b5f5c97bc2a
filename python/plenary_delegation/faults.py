"""Deliberate contract violations, for testing checkers (`plenary conformance`) and the
chair's fault handling. Never enabled unless asked for (`--misbehave MODE`).

| mode             | what the endpoint does                                              |
|------------------|---------------------------------------------------------------------|
| `nan`            | every position is NaN                                               |
| `out-of-range`   | every position is 150 with salience 2                               |
| `bad-link`       | every position links the item to itself                             |
| `bad-vote`       | every vote is VOTE_UNSPECIFIED                                      |
| `bad-stance`     | every stance is STANCE_UNSPECIFIED                                  |
| `wrong-echo`     | every answer names another State than the question                  |
| `accept-unknown` | answers questions for seats never opened instead of NOT_FOUND       |
| `random`         | positions and votes drawn from an unseeded generator (nondeterminism)|
| `slow`           | waits `--slow-ms` before answering each batch                       |
| `silent`         | says hello, then never answers                                      |
"""

from __future__ import annotations

import random

from .proto import delegation_pb2 as pb

MODES = (
    "nan",
    "out-of-range",
    "bad-link",
    "bad-vote",
    "bad-stance",
    "wrong-echo",
    "accept-unknown",
    "random",
    "slow",
    "silent",
)


class Faults:
    """The faults an endpoint injects into its answers (empty: none)."""

    def __init__(self, modes=(), slow_ms: int = 3000) -> None:
        unknown = sorted(set(modes) - set(MODES))
        if unknown:
            raise ValueError(f"unknown misbehaviour {', '.join(unknown)} (known: {', '.join(MODES)})")
        self.modes = frozenset(modes)
        self.slow_ms = slow_ms
        # Unseeded on purpose: `random` exists to show that checkers catch nondeterminism.
        self._rng = random.Random()

    def __bool__(self) -> bool:
        return bool(self.modes)

    def answer(self, answer: pb.Answer, item: int) -> None:
        """Breaks `answer` (to a question about agenda item `item`) in place."""
        m = self.modes
        body = answer.WhichOneof("body")
        if body == "position":
            p = answer.position
            if "nan" in m:
                p.position = float("nan")
            if "out-of-range" in m:
                p.position, p.salience = 150.0, 2.0
            if "bad-link" in m:
                p.link = item
            if "random" in m:
                p.position = self._rng.uniform(0.0, 100.0)
        elif body == "vote":
            if "bad-vote" in m:
                answer.vote.vote = pb.VOTE_UNSPECIFIED
            if "random" in m:
                answer.vote.vote = self._rng.choice([pb.VOTE_YES, pb.VOTE_NO, pb.VOTE_ABSTAIN])
        elif body == "stance":
            if "bad-stance" in m:
                answer.stance.stance = pb.STANCE_UNSPECIFIED
        if "wrong-echo" in m:
            answer.state = answer.state.lower() + "-not-me"

    def unknown_seat(self, env: pb.Envelope) -> pb.Answer | None:
        """With `accept-unknown`, a made-up answer to a question for a seat never opened."""
        if "accept-unknown" not in self.modes:
            return None
        a = pb.Answer(match_id=env.match_id, state=env.state, seq=env.seq)
        kind = env.WhichOneof("body")
        if kind == "position":
            a.position.position, a.position.salience = 50.0, 0.5
        elif kind == "vote":
            a.vote.vote = pb.VOTE_ABSTAIN
        elif kind == "session_end":
            a.stance.stance = pb.STANCE_STAY
        else:
            return None
        return a
