//! `truthful`: states its true ideal and salience, votes by its true utility.
//!
//! Behaviour: in every positions round it states its true ideal point with its true
//! salience, never links, offers or invokes. It accepts a proposal when its true
//! utility there is at least that of the policy in force (`-s |x - ideal| >= -s |sq -
//! ideal|`); on an item without a policy in force, when the proposal lies within its
//! red line. A package it accepts when its true utility gain over the package's status
//! quo is not negative. It always stays. It ignores tension and legitimacy: what it
//! states is what the scenario says it wants.
//!
//! Idea: the sincere actor of the spatial models used to replay position data
//! (compromise model, Nash bargaining, the expected-utility and exchange models), so a
//! replayed data set can be checked against those models' reference values: with every
//! seat truthful, the chair's first proposal under `compromise` mediation is the
//! compromise-model prediction on the data.

use crate::adapter::{Adapter, Decide};
use crate::common::{EPS, answer, within, yes_if};
use crate::memory::Seat;
use plenary_core::strategy::{Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, Vote};

/// Registry name.
pub const NAME: &str = "truthful";

/// The truthful strategy (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Truthful;

/// The truthful strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<Truthful> {
    Adapter::new(brief, Truthful)
}

impl Decide for Truthful {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, _me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        match seat.pref(ctx.item) {
            Some(p) => answer(p.ideal, p.salience, None, ctx.item, n),
            None => answer(seat.anchor(ctx), 0.0, None, ctx.item, n),
        }
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, _me: &SeatView) -> Vote {
        if ctx.phase == Phase::Package {
            return yes_if(seat.package_gain(&seat.package(ctx)) >= -EPS);
        }
        match (seat.pref(ctx.item), Seat::proposal(ctx)) {
            (Some(p), Some(x)) if seat.has_policy(ctx.item) => {
                yes_if(p.utility(x) >= p.utility(seat.sq(ctx.item)) - EPS)
            }
            (Some(p), Some(x)) => yes_if(within(&p, x, 1.0)),
            _ => Vote::Abstain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, CLIMATE, HUMAN};
    use plenary_core::strategy::Strategy;

    #[test]
    fn states_the_truth_and_votes_by_true_utility() {
        let prefs = testkit::prefs_west();
        let mut t = strategy(&testkit::brief(0, false, &prefs));
        // Even under tension, low legitimacy and a crisis it states the truth.
        let me = SeatView {
            tension: 0.95,
            crisis: true,
            red_line_scale: 0.2,
            security_salience: 1.9,
            ..testkit::view(0.05)
        };
        for round in 0..4 {
            let a = t.position(
                &testkit::ctx(HUMAN, round, Phase::Positions, Some(30.0)),
                &me,
            );
            assert_eq!((a.position, a.salience), (80.0, 0.8));
            assert_eq!((a.link, a.offer, a.invoke), (None, None, None));
        }
        // Human: ideal 80, sq 40. 60 is better than 40; 10 is worse; 0 and 80 tie-break
        // at equal utility (|0 - 80| = 80 > 40): no.
        let c = |x| testkit::ctx(HUMAN, 3, Phase::Decision, Some(x));
        assert_eq!(t.vote(&c(60.0), &me), Vote::Yes);
        assert_eq!(t.vote(&c(10.0), &me), Vote::No);
        assert_eq!(
            t.vote(&c(120.0 - 80.0), &me),
            Vote::Yes,
            "equal utility: accept"
        );
        // Climate: ideal 55, sq 20: 86 is 31 away, worse than 35 away? |86-55| = 31 < 35.
        let c = testkit::ctx(CLIMATE, 0, Phase::Decision, Some(86.0));
        assert_eq!(t.vote(&c, &me), Vote::Yes);
        assert_eq!(
            t.session_end(&testkit::summary(0, -5.0), &me),
            plenary_core::strategy::Stance::Stay
        );
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
