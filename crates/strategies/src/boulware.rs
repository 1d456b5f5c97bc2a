//! `boulware`: time-dependent concession that holds out until the deadline.
//!
//! Behaviour: the polynomial time-dependent tactic of Faratin, Sierra & Jennings (1998,
//! "Negotiation decision functions for autonomous agents") with `k = 0`. Within an item,
//! time runs `t = round / (max_rounds - 1)` (silence and package votes come at `t = 1`)
//! and the agent concedes the share `alpha(t) = t^(1/e)` of the way from its ideal to
//! its reservation point. The reservation point lies towards the last proposal on the
//! table (the status quo before the first one), at most its red line away from the
//! ideal. Both the stated position and the acceptance threshold follow the curve: it
//! states `ideal + alpha(t) * (reservation - ideal)` and accepts proposals within
//! `max(0.1, alpha(t)) * red_line` of its ideal. With `e = 0.2` (Boulware) it gives
//! almost nothing until the last round and then concedes fast; the `conceder` entry is
//! the same implementation with `e = 3` ([`crate::conceder`]). The package vote comes at
//! the deadline: yes when every item is within the red line or the package gains.
//!
//! Idea: the time-dependent concession strategies of the negotiation literature the
//! brief names ("conceder / boulware"); the deadline is the chair's last round, after
//! which the design's fallbacks (silence procedure, provisional budget, reversion) bite.

use crate::adapter::{Adapter, Decide};
use crate::common::{answer, concession, contest, reservation, within, yes_if};
use crate::memory::Seat;
use plenary_core::strategy::{
    Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, SessionSummary, Stance, Vote,
};

/// Registry name.
pub const NAME: &str = "boulware";

/// Concession exponent of the Boulware entry (`e < 1`).
pub const BOULWARE_E: f64 = 0.2;

/// Smallest acceptance band, as a share of the red line (at `t = 0`).
const FLOOR: f64 = 0.1;

/// A time-dependent negotiator (Faratin et al. 1998) with concession exponent `e`.
/// Plays both the `boulware` (`e < 1`) and the `conceder` (`e > 1`) registry entries.
#[derive(Debug, Clone)]
pub struct TimeDependent {
    e: f64,
    name: &'static str,
}

/// The Boulware strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<TimeDependent> {
    Adapter::new(brief, TimeDependent::boulware())
}

impl TimeDependent {
    /// A time-dependent negotiator with exponent `e` reporting `name`.
    pub fn new(e: f64, name: &'static str) -> TimeDependent {
        TimeDependent { e, name }
    }

    /// The Boulware entry (`e = 0.2`).
    pub fn boulware() -> TimeDependent {
        TimeDependent::new(BOULWARE_E, NAME)
    }

    /// The concession exponent.
    pub fn exponent(&self) -> f64 {
        self.e
    }

    fn alpha(&self, seat: &Seat, ctx: &RoundContext) -> f64 {
        concession(seat.time(ctx), self.e)
    }
}

impl Decide for TimeDependent {
    fn name(&self) -> &str {
        self.name
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        let Some(p) = seat.felt(ctx.item, me) else {
            return answer(seat.anchor(ctx), 0.0, None, ctx.item, n);
        };
        let target = reservation(&p, seat.anchor(ctx), p.red_line);
        let x = p.ideal + self.alpha(seat, ctx) * (target - p.ideal);
        answer(seat.take_up(ctx, me, x), p.salience, None, ctx.item, n)
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        if ctx.phase == Phase::Package {
            seat.package_vote(ctx)
        } else {
            match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => yes_if(within(&p, x, self.alpha(seat, ctx).max(FLOOR))),
                _ => Vote::Abstain,
            }
        }
    }

    fn session_end(&mut self, seat: &Seat, _summary: &SessionSummary, me: &SeatView) -> Stance {
        contest(me, seat.brief.rules.exit_allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, HUMAN};
    use plenary_core::strategy::Strategy;

    fn conceded(s: &mut dyn Strategy, round: u32) -> f64 {
        let prefs = testkit::prefs_west();
        let p = prefs[HUMAN as usize];
        let c = testkit::ctx(HUMAN, round, Phase::Positions, Some(40.0));
        (s.position(&c, &testkit::view(0.7)).position - p.ideal).abs()
    }

    #[test]
    fn concedes_little_early_and_fast_at_the_deadline() {
        let b = testkit::brief(0, false, &testkit::prefs_west());
        let mut bw = strategy(&b);
        let mut co = crate::conceder::strategy(&b);
        let first = conceded(&mut bw, 0);
        let second = conceded(&mut bw, 1);
        let last = conceded(&mut bw, 3);
        // Round 0 is stated at t = 1/8: (1/8)^5 of the way, nearly nothing.
        assert!(first < 0.001, "{first}");
        assert!(last > first);
        // The last step is the big one.
        assert!(last - conceded(&mut bw, 2) > second - first);
        // Early on the Boulware concedes less than the conceder.
        assert!(second < conceded(&mut co, 1), "{second} vs conceder");
        assert!(conceded(&mut bw, 2) < conceded(&mut co, 2));
    }

    #[test]
    fn acceptance_threshold_widens_with_time() {
        let prefs = testkit::prefs_west();
        let p = prefs[HUMAN as usize];
        let mut bw = strategy(&testkit::brief(0, false, &prefs));
        let x = p.ideal - 0.6 * p.red_line;
        let me = testkit::view(0.7);
        assert_eq!(
            bw.vote(&testkit::ctx(HUMAN, 0, Phase::Decision, Some(x)), &me),
            Vote::No
        );
        assert_eq!(
            bw.vote(&testkit::ctx(HUMAN, 2, Phase::Decision, Some(x)), &me),
            Vote::No
        );
        assert_eq!(
            bw.vote(&testkit::ctx(HUMAN, 3, Phase::Decision, Some(x)), &me),
            Vote::Yes
        );
        assert_eq!(
            bw.vote(&testkit::ctx(HUMAN, 3, Phase::Silence, Some(x)), &me),
            Vote::Yes
        );
        // Never beyond the red line.
        let far = p.ideal - 1.2 * p.red_line;
        assert_eq!(
            bw.vote(&testkit::ctx(HUMAN, 3, Phase::Decision, Some(far)), &me),
            Vote::No
        );
    }

    /// With a single round the time-dependent tactics do not jump to their reservation
    /// point: the position is one considered offer at t = 1/2 (Boulware nearly at its
    /// ideal, the conceder most of the way), the vote comes at the deadline.
    #[test]
    fn one_round_is_a_considered_offer_not_a_jump_to_the_reservation_point() {
        let prefs = testkit::prefs_west();
        let p = prefs[HUMAN as usize];
        let mut b = testkit::brief(0, false, &prefs);
        b.rules.max_rounds = 1;
        let me = testkit::view(0.7);
        let c = testkit::ctx(HUMAN, 0, Phase::Positions, Some(40.0));
        let reservation = p.ideal - p.red_line; // 40 is beyond the red line (25)
        let bw = strategy(&b).position(&c, &me).position;
        let co = crate::conceder::strategy(&b).position(&c, &me).position;
        // Boulware: 0.5^5 = 3.1% of the way; conceder: 0.5^(1/3) = 79.4%.
        assert!(
            (bw - (p.ideal - 0.5f64.powi(5) * p.red_line)).abs() < 1e-9,
            "{bw}"
        );
        assert!(
            (co - (p.ideal - 0.5f64.powf(1.0 / 3.0) * p.red_line)).abs() < 1e-9,
            "{co}"
        );
        assert!(bw > co && co > reservation, "{bw} {co} {reservation}");
        // At the deadline both accept what lies within their red line.
        let v = testkit::ctx(HUMAN, 0, Phase::Decision, Some(p.ideal - 0.9 * p.red_line));
        assert_eq!(strategy(&b).vote(&v, &me), Vote::Yes);
        assert_eq!(crate::conceder::strategy(&b).vote(&v, &me), Vote::Yes);
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
