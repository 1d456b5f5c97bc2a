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

use crate::adapter::{Adapter, Decide};
use crate::common::{answer, on_merits, yes_if};
use crate::memory::Seat;
use plenary_core::strategy::{Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, Vote};

/// Registry name.
pub const NAME: &str = "dissociator";

/// The dissociator strategy (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Dissociator;

/// The dissociator strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<Dissociator> {
    Adapter::new(brief, Dissociator)
}

impl Decide for Dissociator {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        match seat.felt(ctx.item, me) {
            Some(p) => answer(p.ideal, p.salience, None, ctx.item, n),
            None => answer(seat.anchor(ctx), 0.0, None, ctx.item, n),
        }
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        if ctx.phase == Phase::Package {
            seat.package_vote(ctx)
        } else {
            match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => yes_if(on_merits(&p, x, seat.sq(ctx.item))),
                _ => Vote::Abstain,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, BUDGET, CLIMATE, HUMAN};
    use plenary_core::strategy::{Decision, Strategy};

    #[test]
    fn never_links_and_judges_each_item_on_its_merits() {
        let prefs = testkit::prefs_west();
        let mut d = strategy(&testkit::brief(0, false, &prefs));
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
            let mut make = |b: &SeatBrief| -> Box<dyn Strategy> { Box::new(strategy(b)) };
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
