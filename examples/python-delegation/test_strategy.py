"""Unit tests of the reciprocating dissociator (no gRPC needed).

    cd examples/python-delegation && python3 -m unittest -v test_strategy
"""

import unittest

import strategy as s


def brief(bloc_index=1, exit_allowed=True):
    items = [s.Item(0, "general", 50.0), s.Item(1, "human", 30.0), s.Item(2, "human", 60.0)]
    prefs = [s.Pref(20.0, 0.9, 15.0), s.Pref(80.0, 0.3, 10.0), s.Pref(10.0, 0.8, 10.0)]
    return s.Brief("m", "RUS", bloc_index, 3, 3, exit_allowed, items, prefs)


def ctx(item, phase, proposal=None, round_=0, session=0, means=(60.0, 20.0, 45.0)):
    return s.Context(session, item, round_, phase, proposal, [s.Bloc(m, 0, 3) for m in means])


class ReciprocatorTest(unittest.TestCase):
    def test_states_ideal_then_concedes_within_half_its_red_line(self):
        r = s.Reciprocator(brief())
        pos, sal, link = r.position(ctx(0, "positions"))
        self.assertEqual((pos, link), (20.0, None))
        self.assertEqual(sal, 1.0)  # cared-about item: salience raised, capped at 1
        late, _, _ = r.position(ctx(0, "positions", proposal=90.0, round_=2))
        self.assertAlmostEqual(late, 20.0 + 0.5 * 15.0)  # half the red line, not past it

    def test_accepts_within_red_line_or_better_than_status_quo(self):
        r = s.Reciprocator(brief())
        self.assertEqual(r.vote(ctx(0, "decision", 30.0)), "yes")  # within red line
        self.assertEqual(r.vote(ctx(0, "decision", 70.0)), "no")  # worse, and it cares
        self.assertEqual(r.vote(ctx(1, "decision", 10.0)), "abstain")  # worse, low salience
        self.assertEqual(r.vote(ctx(1, "decision", 60.0)), "yes")  # improves on 30

    def test_reciprocates_a_block_once_then_forgives(self):
        r = s.Reciprocator(brief())
        # Item 2 (human) fails; bloc 0 objected most.
        r.outcome(s.Outcome(0, 2, "reverted", 60.0, [3, 0, 1]))
        self.assertEqual(r.grudge.bloc, 0)
        # A proposal on a human item moving towards bloc 0's mean (60) from sq 30: objects,
        # although it would otherwise accept (it improves on the status quo).
        self.assertEqual(r.vote(ctx(1, "decision", 55.0)), "no")
        self.assertEqual(r.vote(ctx(1, "decision", 55.0, round_=1)), "no")  # for the rest of the item
        r.outcome(s.Outcome(0, 1, "reverted", 30.0, [0, 0, 0]))
        self.assertIsNone(r.grudge)
        self.assertEqual(r.vote(ctx(1, "decision", 60.0, session=1)), "yes")

    def test_dissociates_dimensions(self):
        r = s.Reciprocator(brief())
        r.outcome(s.Outcome(0, 2, "reverted", 60.0, [3, 0, 1]))
        # The grudge is about the human dimension: the budget (general) is judged on its merits.
        self.assertEqual(r.vote(ctx(0, "decision", 25.0, means=(20.0, 60.0, 45.0))), "yes")

    def test_package_and_session_end(self):
        r = s.Reciprocator(brief())
        r.outcome(s.Outcome(0, 0, "adopted", 25.0, [0, 0, 0]))
        self.assertEqual(r.vote(ctx(3, "package")), "yes")
        r.outcome(s.Outcome(0, 2, "adopted", 90.0, [0, 0, 0]))  # far worse on item 2
        self.assertEqual(r.vote(ctx(3, "package")), "no")
        self.assertEqual(r.session_end(1.0, 0.1), "stay")
        self.assertEqual(r.session_end(-1.0, 0.3), "withhold")
        self.assertEqual(r.session_end(-1.0, 0.1), "exit")
        self.assertEqual(s.Reciprocator(brief(exit_allowed=False)).session_end(-1.0, 0.1), "withhold")

    def test_is_deterministic(self):
        def play():
            r = s.Reciprocator(brief())
            out = [r.position(ctx(0, "positions")), r.vote(ctx(0, "decision", 40.0))]
            r.outcome(s.Outcome(0, 0, "reverted", 50.0, [1, 0, 2]))
            out += [r.position(ctx(1, "positions", 45.0, 1)), r.vote(ctx(1, "silence", 45.0))]
            return out

        self.assertEqual(play(), play())

    def test_survives_bad_briefs(self):
        b = brief()
        b.prefs[0] = s.Pref(float("nan"), float("inf"), -5.0)
        r = s.Reciprocator(b)
        pos, sal, _ = r.position(ctx(0, "positions", proposal=float("nan")))
        self.assertTrue(0.0 <= pos <= 100.0 and 0.0 <= sal <= 1.0)
        self.assertEqual(r.position(ctx(9, "positions")), (50.0, 0.0, None))


if __name__ == "__main__":
    unittest.main()
