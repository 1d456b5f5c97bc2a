//! `dissociator`: decides every item on its own merits and never links.
//!
//! Behaviour: it states its ideal and its true salience, never attaches a linkage, and
//! accepts a proposal when it improves on the status quo for it or lies within its red
//! line, whatever happened on other items. In a package vote it accepts when the
//! package leaves it no worse off than the status quo or every item is within its red
//! line. It always stays.
//!
//! Idea: the paper's "pluralistic peace" through dissociation (Werner Link): clearly
//! separated policy areas, cooperation in areas of common interest isolated from the
//! areas of confrontation so that the former "cannot be used for political gain".

use crate::common::{Seat, answer, on_merits, yes_if};
use plenary_core::strategy::{
    ItemOutcome, Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, Strategy, Vote,
};

/// Registry name.
pub const NAME: &str = "dissociator";

/// The dissociator strategy (see the module docs).
#[derive(Debug, Clone)]
pub struct Dissociator {
    seat: Seat,
}

impl Dissociator {
    /// A dissociator for the seat in `brief`.
    pub fn new(brief: &SeatBrief) -> Dissociator {
        Dissociator {
            seat: Seat::new(brief),
        }
    }
}

impl Strategy for Dissociator {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, ctx: &RoundContext, _me: &SeatView) -> PositionAnswer {
        self.seat.sync(ctx.session);
        let n = self.seat.items();
        match self.seat.pref(ctx.item) {
            Some(p) => answer(p.ideal, p.salience, None, ctx.item, n),
            None => answer(self.seat.anchor(ctx), 0.0, None, ctx.item, n),
        }
    }

    fn vote(&mut self, ctx: &RoundContext, _me: &SeatView) -> Vote {
        self.seat.sync(ctx.session);
        let v = if ctx.phase == Phase::Package {
            self.seat.package_vote()
        } else {
            match (self.seat.pref(ctx.item), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => yes_if(on_merits(&p, x, self.seat.sq(ctx.item))),
                _ => Vote::Abstain,
            }
        };
        self.seat.record_vote(ctx, v);
        v
    }

    fn outcome(&mut self, outcome: &ItemOutcome) {
        self.seat.observe(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, BUDGET, CLIMATE, HUMAN};
    use plenary_core::strategy::Decision;

    #[test]
    fn never_links_and_judges_each_item_on_its_merits() {
        let prefs = testkit::prefs_west();
        let mut d = Dissociator::new(&testkit::brief(0, false, &prefs));
        let me = testkit::view(0.7);
        for item in 0..testkit::ITEMS.len() as u32 {
            for round in 0..4 {
                let a = d.position(
                    &testkit::ctx(item, round, Phase::Positions, Some(50.0)),
                    &me,
                );
                assert_eq!(a.link, None);
                assert_eq!(a.position, prefs[item as usize].ideal);
            }
        }
        // Climate: ideal 55, red line 40, sq 20. 14 is beyond the red line and worse than
        // the status quo; 30 improves on it.
        let c = |x| testkit::ctx(CLIMATE, 0, Phase::Decision, Some(x));
        assert_eq!(d.vote(&c(14.0), &me), Vote::No);
        assert_eq!(d.vote(&c(30.0), &me), Vote::Yes);
        // A blocked item elsewhere changes nothing.
        d.outcome(&testkit::outcome(
            0,
            HUMAN,
            Decision::Reverted,
            40.0,
            &[0, 3, 0],
        ));
        assert_eq!(d.vote(&c(30.0), &me), Vote::Yes);
        // Budget: ideal 65, red line 30, sq 50. 40 is worse than the status quo but
        // within the red line: still acceptable.
        let v = testkit::ctx(BUDGET, 0, Phase::Decision, Some(40.0));
        assert_eq!(d.vote(&v, &me), Vote::Yes);
    }

    #[test]
    fn never_links_in_a_real_match() {
        for (label, design) in testkit::designs() {
            let mut make = |b: &SeatBrief| -> Box<dyn Strategy> { Box::new(Dissociator::new(b)) };
            let r = testkit::run_with(&design, 3, &mut make);
            for i in r.sessions.iter().flat_map(|s| s.items.iter()) {
                assert_eq!((i.links, i.refused_links), (0, 0), "{label}: {}", i.id);
            }
        }
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
