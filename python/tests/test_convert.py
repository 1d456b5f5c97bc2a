"""Wire messages <-> the SDK's dataclasses (`_convert`), and the local check of positions."""

import logging
import unittest

import helpers as h
from plenary_delegation import (
    Decision,
    Endpoint,
    EventInfo,
    EventKind,
    GroupInfo,
    Offer,
    PackageEntry,
    Position,
    PublicOffer,
    Strategy,
    View,
)
from plenary_delegation import _convert as cv
from plenary_delegation.proto import delegation_pb2 as pb

INVALID_ARGUMENT, INTERNAL = 3, 13


def one(endpoint, env):
    answers = endpoint.answer_all([env])
    assert len(answers) == 1, answers
    return answers[0]


class BriefTest(unittest.TestCase):
    def test_absent_status_quo_and_reversion_are_none(self):
        b = h.brief()
        b.items[1].ClearField("status_quo")
        b.items[2].ClearField("reversion")
        items = cv.brief(b).items
        self.assertEqual([i.status_quo for i in items], [40.0, None, 42.0])
        self.assertEqual([i.reversion for i in items], [30.0, 30.0, None])
        # Present but zero is a value, not absence.
        b.items[0].status_quo = 0.0
        self.assertEqual(cv.brief(b).items[0].status_quo, 0.0)

    def test_new_brief_fields(self):
        b = h.brief()
        b.items[0].legally_binding = True
        b.items[0].recurring = True
        b.items[2].group = 0
        b.groups.add(id="g", title="Group", items=[0, 2])
        b.bargaining_power = 1.25
        b.voting_weight = 2.0
        b.absent_items.extend([1])
        r = b.rules
        r.group_packages, r.moscow_mechanism, r.crisis_threshold, r.forfeit = True, 10, 0.7, 0.25
        out = cv.brief(b)
        self.assertEqual(
            [(i.legally_binding, i.recurring, i.group) for i in out.items],
            [(True, True, None), (False, False, None), (False, False, 0)],
        )
        self.assertEqual(out.groups, (GroupInfo("g", "Group", (0, 2)),))
        self.assertEqual((out.bargaining_power, out.voting_weight, out.absent_items), (1.25, 2.0, (1,)))
        self.assertEqual(
            (out.rules.group_packages, out.rules.moscow_mechanism, out.rules.crisis_threshold, out.rules.forfeit),
            (True, 10, 0.7, 0.25),
        )


class QuestionTest(unittest.TestCase):
    def test_offers_package_and_group_in_the_context(self):
        c = h.ctx(item=3, phase=pb.PHASE_PACKAGE)
        c.offers.add(**{"from": 4, "support": 1, "want": 3, "target": 70.0, "tolerance": 5.0})
        c.package.add(item=0, value=55.0, status_quo=40.0)
        c.package.add(item=2, value=12.5)  # no policy in force before the package
        c.group = 1
        out = cv.context(c, "vote")
        self.assertEqual(out.offers, (PublicOffer(from_=4, support=1, want=3, target=70.0, tolerance=5.0),))
        self.assertEqual(out.package, (PackageEntry(0, 55.0, 40.0), PackageEntry(2, 12.5, None)))
        self.assertEqual(out.group, 1)
        plain = cv.context(h.ctx(), "position")
        self.assertEqual((plain.offers, plain.package, plain.group), ((), (), None))

    def test_refused_link_and_offer_in_the_view(self):
        v = pb.SeatView(legitimacy=0.5, tension=0.2, shamed=1, red_line_scale=0.8, security_salience=1.5, crisis=True)
        self.assertEqual(
            cv.view(v),
            View(0.5, 0.2, 1, red_line_scale=0.8, security_salience=1.5, crisis=True, refused_link=None),
        )
        v.refused_link = 0  # item 0: present although zero
        v.refused_offer = 2
        out = cv.view(v)
        self.assertEqual((out.refused_link, out.refused_offer), (0, 2))

    def test_outcome_absent_values_objectors_and_package(self):
        o = pb.ItemOutcome(session=1, item=2, decision=pb.DECISION_SUSPENDED, binding=False, rounds=0)
        out = cv.outcome(o)
        self.assertIs(out.decision, Decision.SUSPENDED)
        self.assertEqual((out.outcome, out.in_force, out.package, out.objectors), (None, None, None, ()))
        o.outcome, o.in_force, o.legally_binding, o.package = 60.0, 45.0, True, 0
        o.objectors.extend([3, 5])
        out = cv.outcome(o)
        self.assertEqual(
            (out.outcome, out.in_force, out.legally_binding, out.objectors, out.package), (60.0, 45.0, True, (3, 5), 0)
        )
        self.assertIs(cv.outcome(pb.ItemOutcome(decision=9)).decision, Decision.SETTLED)

    def test_summary_shamed_and_events(self):
        s = pb.SessionSummary(session=0, decided=2, items=3, my_gain=0.5, shamed=[1, 4])
        s.events.add(kind=pb.EVENT_KIND_ALLIANCE, a=0, b=2)
        s.events.add(kind=pb.EVENT_KIND_INCIDENT, a=1, b=2)
        out = cv.summary(s)
        self.assertEqual(out.shamed, (1, 4))
        self.assertEqual(out.events, (EventInfo(EventKind.ALLIANCE, 0, 2), EventInfo(EventKind.INCIDENT, 1, 2)))
        self.assertIs(out.events[0].kind, EventKind.ALLIANCE)

    def test_an_event_without_kind_is_invalid_argument(self):
        ep = Endpoint(h.Recorder)
        ep.answer_all([h.open_()])
        env = h.session_end(2)
        env.session_end.summary.events.add(kind=pb.EVENT_KIND_UNSPECIFIED, a=0, b=1)
        a = one(ep, env)
        self.assertEqual(h.code(a), INVALID_ARGUMENT, a)
        self.assertIn("events[0].kind", a.refusal.message)

    def test_the_strategy_sees_the_new_fields(self):
        seen = []

        class Watcher(h.Recorder):
            def position(self, ctx, view):
                seen.append((ctx.offers, view.refused_link, self.brief.items[1].status_quo))
                return super().position(ctx, view)

        ep = Endpoint(Watcher)
        b = h.brief()
        b.items[1].ClearField("status_quo")
        ep.answer_all([h.open_(b=b)])
        env = h.position(2, item=1)
        env.position.context.offers.add(**{"from": 1, "support": 0, "want": 1, "target": 20.0, "tolerance": 2.0})
        env.position.view.refused_link = 2
        self.assertEqual(one(ep, env).WhichOneof("body"), "position")
        self.assertEqual(seen, [((PublicOffer(1, 0, 1, 20.0, 2.0),), 2, None)])


class AnswerTest(unittest.TestCase):
    def test_an_offer_and_an_invocation_round_trip(self):
        p = Position(30.0, 0.75, link=2, offer=Offer(item=2, target=65.5, tolerance=4.0), invoke=1)
        a = cv.position_answer(p)
        self.assertEqual((a.position, a.salience, a.link, a.invoke), (30.0, 0.75, 2, 1))
        self.assertEqual((a.offer.item, a.offer.target, a.offer.tolerance), (2, 65.5, 4.0))
        wire = pb.PositionAnswer.FromString(a.SerializeToString())
        self.assertTrue(wire.HasField("offer") and wire.HasField("invoke"))
        back = Position(
            wire.position,
            wire.salience,
            wire.link,
            Offer(wire.offer.item, wire.offer.target, wire.offer.tolerance),
            wire.invoke,
        )
        self.assertEqual(back, p)
        # Unset optional fields stay absent on the wire (item 0 / seat 0 are values).
        bare = cv.position_answer(Position(30.0, 0.75))
        self.assertFalse(bare.HasField("link") or bare.HasField("offer") or bare.HasField("invoke"))
        zero = cv.position_answer(Position(30.0, 0.75, offer=Offer(0, 0.0, 0.0), invoke=0))
        self.assertTrue(zero.HasField("offer") and zero.HasField("invoke"))

    def test_unencodable_offers_and_invocations_are_strategy_errors(self):
        for bad in (
            Position(1.0, 0.5, offer=(2, 50.0, 5.0)),
            Position(1.0, 0.5, offer=Offer(-1, 50.0, 5.0)),
            Position(1.0, 0.5, offer=Offer(True, 50.0, 5.0)),
            Position(1.0, 0.5, offer=Offer(1, None, 5.0)),
            Position(1.0, 0.5, invoke="RUS"),
            Position(1.0, 0.5, invoke=2**32),
        ):
            with self.subTest(bad=bad), self.assertRaises(cv.StrategyError):
                cv.position_answer(bad)

    def test_an_offer_reaches_the_wire_through_the_endpoint(self):
        class Trader(Strategy):
            name = "trader"

            def position(self, ctx, view):
                return Position(50.0, 0.5, offer=Offer(item=2, target=70.0, tolerance=5.0), invoke=1)

        ep = Endpoint(Trader)
        ep.answer_all([h.open_()])
        a = one(ep, h.position(2, item=1))
        self.assertEqual((a.position.offer.item, a.position.offer.target, a.position.invoke), (2, 70.0, 1))


class PositionProblemTest(unittest.TestCase):
    """The local check mirrors the chair's validator (crates/core/src/answers.rs), texts
    included. The helpers' brief: 3 items (item 1 human, 0 and 2 general), 2 States,
    this seat 0."""

    brief = cv.brief(h.brief())

    def problem(self, item=1, **fields):
        offer = fields.pop("offer", None)
        a = pb.PositionAnswer(position=fields.pop("position", 50.0), salience=fields.pop("salience", 0.5), **fields)
        if offer is not None:
            a.offer.item, a.offer.target, a.offer.tolerance = offer
        return cv.position_problem(a, self.brief, item)

    def test_valid_answers_pass(self):
        self.assertIsNone(self.problem(position=0.0, salience=1.0, link=0, offer=(2, 100.0, 0.0), invoke=1))
        self.assertIsNone(self.problem(position=100.0, salience=0.0))

    def test_exact_texts(self):
        nan, inf = float("nan"), float("inf")
        cases = [
            ({"position": nan}, "`position` is NaN: it must be a finite number in 0..=100"),
            ({"position": 140.0}, "`position` is 140: it must be in 0..=100"),
            ({"position": inf}, "`position` is inf: it must be a finite number in 0..=100"),
            ({"salience": 1.5}, "`salience` is 1.5: it must be in 0..=1"),
            ({"link": 3}, "`link` is 3: it must name another agenda item (0..=2)"),
            ({"link": 1}, "`link` is 1: that is the item under discussion; it must name another agenda item"),
            (
                {"offer": (1, 50.0, 5.0)},
                "`offer.item` is 1: that is the item under discussion; it must name another agenda item",
            ),
            ({"offer": (7, 50.0, 5.0)}, "`offer.item` is 7: it must name another agenda item (0..=2)"),
            ({"offer": (0, -3.0, 5.0)}, "`offer.target` is -3: it must be in 0..=100"),
            ({"offer": (0, 30.0, nan)}, "`offer.tolerance` is NaN: it must be a finite number in 0..=100"),
            ({"offer": (0, 30.0, 100.5)}, "`offer.tolerance` is 100.5: it must be in 0..=100"),
            ({"invoke": 0}, "`invoke` is 0: that is the invoking seat itself"),
            ({"invoke": 2}, "`invoke` is 2: it must name a seat (0..=1)"),
            (
                {"item": 0, "invoke": 1},
                (
                    "`invoke` is 1: set on item 0 of the general dimension; "
                    "the Moscow Mechanism is invoked on human-dimension items only"
                ),
            ),
        ]
        for fields, want in cases:
            with self.subTest(want):
                self.assertEqual(self.problem(**fields), want)

    def test_an_invalid_invocation_is_warned_about(self):
        class Accuser(Strategy):
            name = "accuser"

            def position(self, ctx, view):
                return Position(50.0, 0.5, invoke=self.brief.seat)

        ep = Endpoint(Accuser)
        ep.answer_all([h.open_()])
        with self.assertLogs("plenary_delegation", logging.WARNING) as logs:
            a = one(ep, h.position(2, item=1))
        self.assertEqual(a.position.invoke, 0)  # sent all the same: the chair decides
        self.assertIn("`invoke` is 0: that is the invoking seat itself", logs.output[0])


class IdTest(unittest.TestCase):
    def test_a_match_id_of_256_bytes_is_accepted(self):
        long_id = "m" * 200 + "~!#$%&'()*+,-./:;<=>?@[\\]^_`{|}" + "x" * 25
        self.assertEqual(len(long_id), 256)
        ep = Endpoint(h.Recorder)
        self.assertEqual(one(ep, h.open_(match_id=long_id)).WhichOneof("body"), "opened")
        self.assertEqual(one(ep, h.position(2, match_id=long_id)).WhichOneof("body"), "position")
        a = one(ep, h.open_(match_id=long_id + "x"))
        self.assertEqual(h.code(a), INVALID_ARGUMENT, a)
        self.assertLess(len(a.refusal.message), 200)

    def test_a_state_of_64_bytes_is_accepted(self):
        ep = Endpoint(h.Recorder)
        for state in ("S" * 64, "a-b_c.9", "9X"):
            self.assertEqual(one(ep, h.open_(state=state)).WhichOneof("body"), "opened", state)
        a = one(ep, h.open_(state="S" * 65))
        self.assertEqual(h.code(a), INVALID_ARGUMENT, a)

    def test_bad_ids_are_invalid_argument_not_not_found(self):
        ep = Endpoint(h.Recorder)
        for match_id, state in (("m-1", "R S"), ("m 1", "AUT"), ("m-1", "_AUT"), ("m-1", "")):
            a = one(ep, h.position(2, match_id=match_id, state=state))
            self.assertEqual(h.code(a), INVALID_ARGUMENT, (match_id, state, a))
            self.assertEqual((a.match_id, a.state), (match_id, state))


if __name__ == "__main__":
    unittest.main()
