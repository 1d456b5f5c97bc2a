//! `hardliner`: blocks unless the proposal is near its ideal; never concedes.
//!
//! Behaviour: in every positions round it states its true ideal with the highest
//! salience (maximal resolve, which pulls a salience-weighted compromise towards it). It
//! accepts a proposal only inside a narrow band around its ideal, a fraction of its red
//! line that shrinks with salience: `band = red_line * (0.5 - 0.35 * salience)` (at
//! least one scale point), so on the items it cares most about it tolerates almost no
//! deviation. The band does not widen over the rounds or sessions. A package passes its
//! vote only when every item in it is inside the band or the package as a whole leaves
//! it better off than the status quo.
//!
//! Idea: the "resistance from within" of the paper's contestation strategies and the
//! mutual blockades of the OSCE's "muddling through": under consensus as the absence of
//! objection one hardliner suffices to block, which is exactly the capacity-to-act side
//! of the dilemma the designs are meant to solve.

use crate::adapter::{Adapter, Decide};
use crate::common::{answer, contest, distance, yes_if};
use crate::memory::Seat;
use plenary_core::model::Preference;
use plenary_core::strategy::{
    Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, SessionSummary, Stance, Vote,
};

/// Registry name.
pub const NAME: &str = "hardliner";

/// The hardliner strategy (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Hardliner;

/// The hardliner strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<Hardliner> {
    Adapter::new(brief, Hardliner)
}

impl Hardliner {
    /// The band around the ideal the hardliner accepts: a salience-weighted fraction of
    /// its red line, at least one scale point.
    pub fn band(p: &Preference) -> f64 {
        (p.red_line * (0.5 - 0.35 * p.salience.clamp(0.0, 1.0))).max(1.0)
    }

    fn accepts(p: &Preference, x: f64) -> bool {
        distance(p, x) <= Hardliner::band(p) + crate::common::EPS
    }
}

impl Decide for Hardliner {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        match seat.felt(ctx.item, me) {
            Some(p) => answer(p.ideal, 1.0, None, ctx.item, n),
            None => answer(seat.anchor(ctx), 0.0, None, ctx.item, n),
        }
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        if ctx.phase == Phase::Package {
            let package = seat.package(ctx);
            let all_in = package
                .iter()
                .all(|e| Hardliner::accepts(&seat.brief.preferences[e.item], e.outcome));
            yes_if(all_in || seat.package_gain(&package) > crate::common::EPS)
        } else {
            match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => yes_if(Hardliner::accepts(&p, x)),
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
    use crate::testkit::{self, VIENNA};
    use plenary_core::strategy::{Phase, Strategy};

    #[test]
    fn objects_to_a_proposal_a_boulware_accepts_at_the_deadline() {
        let prefs = testkit::prefs_west();
        let b = testkit::brief(0, false, &prefs);
        let mut h = strategy(&b);
        let mut bw = crate::boulware::strategy(&b);
        // Vienna: ideal 75, red line 30, salience 0.9 -> band 30 * 0.185 = 5.55.
        let p = prefs[VIENNA as usize];
        let x = p.ideal - 0.8 * p.red_line;
        let c = testkit::ctx(VIENNA, 3, Phase::Decision, Some(x));
        let me = testkit::view(0.7);
        assert_eq!(h.vote(&c, &me), Vote::No);
        assert_eq!(bw.vote(&c, &me), Vote::Yes);
        // Inside the band the hardliner accepts.
        let c = testkit::ctx(VIENNA, 0, Phase::Decision, Some(p.ideal - 5.0));
        assert_eq!(h.vote(&c, &me), Vote::Yes);
    }

    #[test]
    fn states_its_ideal_in_every_round_and_never_widens() {
        let prefs = testkit::prefs_west();
        let mut h = strategy(&testkit::brief(0, false, &prefs));
        let me = testkit::view(0.7);
        let p = prefs[VIENNA as usize];
        for round in 0..4 {
            let a = h.position(
                &testkit::ctx(VIENNA, round, Phase::Positions, Some(40.0)),
                &me,
            );
            assert_eq!(a.position, p.ideal);
            assert_eq!(a.salience, 1.0);
            assert_eq!(a.link, None);
            let v = h.vote(
                &testkit::ctx(VIENNA, round, Phase::Decision, Some(p.ideal - 10.0)),
                &me,
            );
            assert_eq!(v, Vote::No, "round {round}");
        }
        assert_eq!(
            h.vote(
                &testkit::ctx(VIENNA, 3, Phase::Silence, Some(p.ideal - 10.0)),
                &me
            ),
            Vote::No
        );
    }

    #[test]
    fn band_narrows_with_salience() {
        let lo = Preference {
            ideal: 50.0,
            salience: 0.1,
            red_line: 30.0,
            capability: 1.0,
        };
        let hi = Preference {
            salience: 1.0,
            ..lo
        };
        assert!(Hardliner::band(&hi) < Hardliner::band(&lo));
        assert!(Hardliner::band(&lo) <= 0.5 * lo.red_line);
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
