"""Tests of the reciprocating dissociator, on its own and served by the SDK.

    cd examples/python-delegation && python3 -m unittest -v test_reciprocator

(needs the SDK: `python3 -m pip install -c python/constraints.txt ./python` from the
repository root).
"""

import math
import os
import signal
import subprocess
import sys
import unittest

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from plenary_delegation import (
    BlocSignal,
    Brief,
    Context,
    Decision,
    Dimension,
    Endpoint,
    ItemInfo,
    ItemKind,
    Linkage,
    Mediation,
    Outcome,
    Phase,
    Position,
    Preference,
    Rules,
    Stance,
    Summary,
    View,
    Vote,
)
from plenary_delegation.proto import delegation_pb2 as pb

from reciprocator import Reciprocator

HERE = os.path.dirname(os.path.abspath(__file__))
DIMS = (Dimension.GENERAL, Dimension.HUMAN, Dimension.HUMAN)
SQ = (50.0, 30.0, 60.0)


def brief(bloc_index=1, exit_allowed=True, prefs=None):
    items = tuple(
        ItemInfo(i, f"i{i}", f"Item {i}", DIMS[i], ItemKind.DECLARATION, SQ[i], SQ[i], True, True) for i in range(3)
    )
    prefs = prefs or (
        Preference(20.0, 0.9, 15.0, 1.0),
        Preference(80.0, 0.3, 10.0, 1.0),
        Preference(10.0, 0.8, 10.0, 1.0),
    )
    rules = Rules("test", 2, 3, Mediation.COMPROMISE, Linkage.NONE, True, exit_allowed, 9)
    return Brief(
        "m", "RUS", 3, "east", bloc_index, False, 1.0, 7, ("west", "east", "neutral"), items, tuple(prefs), rules
    )


def ctx(item, phase, proposal=None, round_=0, session=0, means=(60.0, 20.0, 45.0)):
    return Context(session, item, round_, phase, proposal, tuple(BlocSignal(m, 0, 3, None, None) for m in means), 0)


def outcome(item, decision, value, objections, session=0):
    return Outcome(session, item, decision, value, True, 1, tuple(objections), (), value)


VIEW = View(0.5, 0.1, 0)


def summary(gain):
    return Summary(0, 2, 3, gain, ())


class ReciprocatorTest(unittest.TestCase):
    def test_states_ideal_then_concedes_within_half_its_red_line(self):
        r = Reciprocator(brief())
        self.assertEqual(r.position(ctx(0, Phase.POSITIONS), VIEW), Position(20.0, 1.0))  # salience raised, capped
        late = r.position(ctx(0, Phase.POSITIONS, proposal=90.0, round_=2), VIEW)
        self.assertAlmostEqual(late.position, 20.0 + 0.5 * 15.0)  # half the red line, not past it
        self.assertIsNone(late.link)  # a dissociator never links

    def test_accepts_within_red_line_or_better_than_status_quo(self):
        r = Reciprocator(brief())
        self.assertEqual(r.vote(ctx(0, Phase.DECISION, 30.0), VIEW), Vote.YES)  # within red line
        self.assertEqual(r.vote(ctx(0, Phase.DECISION, 70.0), VIEW), Vote.NO)  # worse, and it cares
        self.assertEqual(r.vote(ctx(1, Phase.DECISION, 10.0), VIEW), Vote.ABSTAIN)  # worse, low salience
        self.assertEqual(r.vote(ctx(1, Phase.DECISION, 60.0), VIEW), Vote.YES)  # improves on 30
        self.assertEqual(r.vote(ctx(1, Phase.SILENCE, 10.0), VIEW), Vote.YES)  # silence kept on a minor item

    def test_reciprocates_a_block_once_then_forgives(self):
        r = Reciprocator(brief())
        # Item 2 (human) fails; bloc 0 objected most.
        r.outcome(outcome(2, Decision.REVERTED, 60.0, [3, 0, 1]))
        self.assertEqual(r.grudge.bloc, 0)
        # A proposal on a human item moving towards bloc 0's mean (60) from 30: objects,
        # although it would otherwise accept (it improves on the status quo).
        self.assertEqual(r.vote(ctx(1, Phase.DECISION, 55.0), VIEW), Vote.NO)
        self.assertEqual(r.vote(ctx(1, Phase.DECISION, 55.0, round_=1), VIEW), Vote.NO)  # for the rest of the item
        r.outcome(outcome(1, Decision.REVERTED, 30.0, [0, 0, 0]))
        self.assertIsNone(r.grudge)
        self.assertEqual(r.vote(ctx(1, Phase.DECISION, 60.0, session=1), VIEW), Vote.YES)

    def test_dissociates_dimensions(self):
        r = Reciprocator(brief())
        r.outcome(outcome(2, Decision.REVERTED, 60.0, [3, 0, 1]))
        # The grudge is about the human dimension: the budget (general) is judged on its merits.
        self.assertEqual(r.vote(ctx(0, Phase.DECISION, 25.0, means=(20.0, 60.0, 45.0)), VIEW), Vote.YES)

    def test_package_and_session_end(self):
        r = Reciprocator(brief())
        r.outcome(outcome(0, Decision.ADOPTED, 25.0, [0, 0, 0]))
        self.assertEqual(r.vote(ctx(3, Phase.PACKAGE), VIEW), Vote.YES)
        r.outcome(outcome(2, Decision.ADOPTED, 90.0, [0, 0, 0]))  # far worse on item 2
        self.assertEqual(r.vote(ctx(3, Phase.PACKAGE), VIEW), Vote.NO)
        self.assertEqual(r.session_end(summary(1.0), View(0.1, 0, 0, False)), Stance.STAY)
        self.assertEqual(r.session_end(summary(-1.0), View(0.3, 0, 0, False)), Stance.WITHHOLD)
        self.assertEqual(r.session_end(summary(-1.0), View(0.1, 0, 0, False)), Stance.EXIT)
        nexit = Reciprocator(brief(exit_allowed=False))
        self.assertEqual(nexit.session_end(summary(-1.0), View(0.1, 0, 0, False)), Stance.WITHHOLD)

    def test_survives_bad_briefs(self):
        prefs = (
            Preference(float("nan"), float("inf"), -5.0, 1.0),
            Preference(80.0, 0.3, 10.0, 1.0),
            Preference(10.0, 0.8, 10.0, 1.0),
        )
        r = Reciprocator(brief(prefs=prefs))
        p = r.position(ctx(0, Phase.POSITIONS, proposal=float("nan")), VIEW)
        self.assertTrue(0.0 <= p.position <= 100.0 and 0.0 <= p.salience <= 1.0)
        self.assertEqual(r.position(ctx(9, Phase.POSITIONS), VIEW), Position(50.0, 0.0))


def script(states=("RUS", "USA")):
    """A two-session, two-seat match as the chair would send it (one list per batch)."""

    def envelope(state, seq, **body):
        return pb.Envelope(
            match_id="m-1", state=state, seq=seq, deadline_ms=10_000 if "outcome" not in body else 0, **body
        )

    def brief_pb(state, k):
        return pb.SeatBrief(
            match_id="m-1",
            state=state,
            seat=k,
            bloc=["west", "east"][k % 2],
            bloc_index=k % 2,
            seed=100 + k,
            blocs=["west", "east"],
            items=[
                pb.ItemInfo(
                    index=i,
                    id=f"i{i}",
                    dimension=1 + i,
                    kind=6,
                    status_quo=40.0 + 10 * i,
                    reversion=30.0,
                    in_scope=True,
                    binding=True,
                )
                for i in range(3)
            ],
            preferences=[
                pb.Preference(ideal=20.0 + 30 * k + 5 * i, salience=0.3 + 0.2 * i, red_line=10.0 + k, capability=1.0)
                for i in range(3)
            ],
            rules=pb.PublicRules(
                design="t", sessions=2, max_rounds=3, mediation=1, linkage=1, exit_allowed=True, states=len(states)
            ),
        )

    def context(session, item, round_, phase, proposal=None):
        c = pb.RoundContext(
            session=session,
            item=item,
            round=round_,
            phase=phase,
            blocs=[
                pb.BlocSignal(mean_position=45.0, present=1),
                pb.BlocSignal(mean_position=65.0, objections=1, present=1),
            ],
        )
        if proposal is not None:
            c.proposal = proposal
        return c

    view = pb.SeatView(legitimacy=0.3, tension=0.4)
    seq = {s: 1 for s in states}
    batches = [[envelope(s, 1, open=brief_pb(s, k)) for k, s in enumerate(states)]]

    def each(body):
        """One envelope per seat, each with `body(seat)` (called at once, in seat order)."""
        out = []
        for s in states:
            seq[s] += 1
            out.append(envelope(s, seq[s], **body(s)))
        return out

    for session in range(2):
        for item in range(3):
            for rnd in range(2):
                prop = None if rnd == 0 else 50.0 + item
                pos_ctx = context(session, item, rnd, pb.PHASE_POSITIONS, prop)
                batches.append(each(lambda s, c=pos_ctx: {"position": pb.PositionQuestion(context=c, view=view)}))
                vote_ctx = context(session, item, rnd, pb.PHASE_DECISION, 55.0 + rnd)
                batches.append(each(lambda s, c=vote_ctx: {"vote": pb.VoteQuestion(context=c, view=view)}))
            decision = pb.DECISION_ADOPTED if item != 1 else pb.DECISION_REVERTED
            o = pb.ItemOutcome(
                session=session,
                item=item,
                decision=decision,
                outcome=56.0,
                binding=True,
                objections_by_bloc=[0, 2],
                in_force=56.0,
            )
            batches.append(each(lambda s, o=o: {"outcome": o}))
        package = context(session, 3, 0, pb.PHASE_PACKAGE)
        batches.append(each(lambda s, c=package: {"vote": pb.VoteQuestion(context=c, view=view)}))
        summary = pb.SessionSummary(session=session, decided=2, items=3, my_gain=-0.5)
        batches.append(each(lambda s, m=summary: {"session_end": pb.SessionEndQuestion(summary=m, view=view)}))
    batches.append(each(lambda s: {"close": pb.CloseSeat()}))
    return batches


class ServedTest(unittest.TestCase):
    def play(self):
        ep = Endpoint(Reciprocator)
        return [[a for a in ep.answer_all(batch)] for batch in script()]

    def test_a_scripted_match_gets_valid_answers_only(self):
        answers = [a for batch in self.play() for a in batch]
        self.assertEqual(len(answers), 2 * (1 + 2 * (3 * 4 + 2)))
        for a in answers:
            body = a.WhichOneof("body")
            self.assertNotEqual(body, "refusal", a)
            if body == "opened":
                self.assertEqual(a.opened.strategy, "py-reciprocator")
            elif body == "position":
                self.assertTrue(math.isfinite(a.position.position) and 0 <= a.position.position <= 100, a)
                self.assertTrue(0 <= a.position.salience <= 1, a)
                self.assertFalse(a.position.HasField("link"))
            elif body == "vote":
                self.assertIn(a.vote.vote, (pb.VOTE_YES, pb.VOTE_NO, pb.VOTE_ABSTAIN))
            else:
                self.assertIn(a.stance.stance, (pb.STANCE_STAY, pb.STANCE_WITHHOLD, pb.STANCE_EXIT))

    def test_answers_are_deterministic(self):
        def wire(run):
            return [a.SerializeToString(deterministic=True) for batch in run for a in batch]

        self.assertEqual(wire(self.play()), wire(self.play()))


class ProcessTest(unittest.TestCase):
    def test_delegation_py_listens_is_healthy_and_stops_on_sigterm(self):
        p = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "delegation.py"), "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = p.stdout.readline()
            self.assertTrue(line.startswith("listening on 127.0.0.1:"), line + p.stderr.read() if not line else line)
            address = line.split()[-1]
            with grpc.insecure_channel(address) as ch:
                r = health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(service="plenary.v2.Delegation"), timeout=60
                )
                self.assertEqual(r.status, health_pb2.HealthCheckResponse.SERVING)
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=60), 0, p.stderr.read())
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()


if __name__ == "__main__":
    unittest.main()
