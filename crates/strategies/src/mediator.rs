//! `mediator`: the neutral go-between that states a bridging position.
//!
//! Behaviour: once the blocs have spoken on an item it states the point halfway between
//! the middle of the bloc means and the proposal on the table, kept within the range of
//! the bloc means, so its position always lies between the camps and near the current
//! compromise. Before the blocs have spoken on the item it states the bloc midpoint it
//! remembers for the item from an earlier session, or else the status quo. It states a
//! low salience (0.15): it offers a bridge rather than pulling the compromise to its
//! own ideal. It accepts any proposal that does not cross its red line, and a package
//! unless some item in it crosses its red line. It always stays.
//!
//! Idea: the neutral and non-aligned (N+N) States of the CSCE, which acted as mediators
//! between the NATO and Warsaw Pact blocs and drafted the compromise texts.

use crate::adapter::{Adapter, Decide};
use crate::common::{answer, within, yes_if};
use crate::memory::Seat;
use plenary_core::strategy::{Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, Vote};

/// Registry name.
pub const NAME: &str = "mediator";

/// The salience a mediator states.
pub const STATED_SALIENCE: f64 = 0.15;

/// The neutral mediator strategy (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Mediator;

/// The mediator strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<Mediator> {
    Adapter::new(brief, Mediator)
}

impl Mediator {
    /// The bridging position for the round in `ctx`.
    pub fn bridge(seat: &Seat, ctx: &RoundContext) -> f64 {
        let anchor = seat.anchor(ctx);
        match seat.bloc_range(ctx) {
            Some((lo, hi)) => {
                let mid = (lo + hi) / 2.0;
                let x = if seat.signals_current(ctx) {
                    0.5 * mid + 0.5 * anchor
                } else {
                    mid
                };
                x.clamp(lo, hi)
            }
            None => seat.sq(ctx.item),
        }
    }
}

impl Decide for Mediator {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        if seat.felt(ctx.item, me).is_none() {
            return answer(seat.anchor(ctx), 0.0, None, ctx.item, n);
        }
        answer(
            Mediator::bridge(seat, ctx),
            STATED_SALIENCE,
            None,
            ctx.item,
            n,
        )
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        if ctx.phase == Phase::Package {
            let prefs = &seat.brief.preferences;
            yes_if(
                seat.package(ctx)
                    .iter()
                    .all(|e| within(&prefs[e.item], e.outcome, 1.0)),
            )
        } else {
            match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => yes_if(within(&p, x, 1.0)),
                _ => Vote::Abstain,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, HUMAN};
    use plenary_core::strategy::Strategy;

    #[test]
    fn states_a_position_between_the_bloc_means() {
        let mut prefs = testkit::prefs_west();
        prefs[HUMAN as usize].ideal = 95.0; // its own ideal does not matter
        let mut m = strategy(&testkit::brief(2, false, &prefs));
        let me = testkit::view(0.7);
        for (means, proposal) in [
            ([30.0, 80.0, 55.0], 70.0),
            ([85.0, 20.0, 40.0], 95.0),
            ([40.0, 42.0, 90.0], 10.0),
        ] {
            let mut c = testkit::ctx(HUMAN, 1, Phase::Positions, Some(proposal));
            testkit::set_means(&mut c, &means);
            let a = m.position(&c, &me);
            let lo = means.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert!(
                a.position >= lo && a.position <= hi,
                "{} not in {lo}..{hi}",
                a.position
            );
            assert!(a.salience <= 0.2);
        }
        // First round: the (stale) signals are ignored; it states the status quo.
        let mut c = testkit::ctx(HUMAN, 0, Phase::Positions, None);
        testkit::set_means(&mut c, &[0.0, 0.0, 0.0]);
        assert_eq!(
            m.position(&c, &me).position,
            testkit::ITEMS[HUMAN as usize].3
        );
    }

    #[test]
    fn accepts_anything_within_its_red_line() {
        let prefs = testkit::prefs_west();
        let mut m = strategy(&testkit::brief(2, false, &prefs));
        let me = testkit::view(0.7);
        // Human: ideal 80, red line 25.
        let c = |x| testkit::ctx(HUMAN, 0, Phase::Decision, Some(x));
        assert_eq!(m.vote(&c(56.0), &me), Vote::Yes);
        assert_eq!(m.vote(&c(54.0), &me), Vote::No);
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
