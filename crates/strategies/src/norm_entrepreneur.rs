//! `norm-entrepreneur`: pushes the human dimension by overstating its demands.
//!
//! Behaviour: on human-dimension items it states a position beyond its ideal, 60% of
//! its red line further away from the status quo (normally: higher, more commitments),
//! with full salience, to pull the salience-weighted compromise towards the norm. It
//! accepts a human-dimension proposal only when it moves policy from the status quo
//! towards its ideal (a strict gain), or sits within one point of the ideal: standing
//! still or backsliding on commitments is not acceptable. On the other dimensions it is
//! a moderate bargainer (linear concession up to half the way to its reservation point;
//! accepts gains or anything within a band widening to the red line at the deadline).
//! A package must not set back the human dimension and must leave it no worse off.
//! Where the design offers the Moscow Mechanism it invokes it, on human-dimension
//! items, against the State that objected most often to human-dimension proposals it
//! supported this session (the public record lists the objectors of each item); it
//! takes up others' trade offers on the other dimensions, to win support where it cares
//! most.
//!
//! Idea: the liberal "norm entrepreneur" of the post-1990 OSCE (Charter of Paris)
//! that the paper describes: the West insisting that the agreed norms remain "the
//! central point of reference", pushing the human dimension and its semi-autonomous
//! institutions (ODIHR, RFoM) that name and shame.

use crate::adapter::{Adapter, Decide};
use crate::common::{EPS, answer, distance, moderate_accepts, moderate_position, yes_if};
use crate::memory::Seat;
use plenary_core::model::{Dimension, Preference};
use plenary_core::strategy::{
    Decision, ItemOutcome, Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, Vote,
};

/// Registry name.
pub const NAME: &str = "norm-entrepreneur";

/// How far beyond its ideal it states its position on human items, as a share of its
/// red line.
pub const OVERSTATEMENT: f64 = 0.6;

/// The norm-entrepreneur strategy (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct NormEntrepreneur {
    /// Session the objection counts are for.
    session: u32,
    /// Per seat, objections this session to human-dimension items it supported.
    objected: Vec<u32>,
    /// The most frequent objector, if any.
    target: Option<u32>,
}

/// The norm-entrepreneur strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<NormEntrepreneur> {
    Adapter::new(brief, NormEntrepreneur::default())
}

impl NormEntrepreneur {
    fn human(seat: &Seat, item: u32) -> bool {
        seat.dimension(item) == Some(Dimension::Human)
    }

    /// The State it asks a Moscow Mechanism mission to examine: the one that objected
    /// most often this session to human-dimension proposals it supported and that then
    /// failed (ties: the lowest seat), if any.
    pub fn moscow_target(&self) -> Option<u32> {
        self.target
    }

    /// Counts the objectors of a human-dimension item it supported that failed (kept
    /// per session, with the most frequent one cached: positions questions only read
    /// it).
    fn note_objectors(&mut self, seat: &Seat, o: &ItemOutcome) {
        if self.session != o.session {
            self.session = o.session;
            self.objected.clear();
            self.target = None;
        }
        let supported = seat
            .my_vote(o.item as usize)
            .is_some_and(|v| v.vote == Vote::Yes);
        let failed = !o.decision.decided() && o.decision != Decision::OutOfScope;
        if !NormEntrepreneur::human(seat, o.item) || !failed || !supported {
            return;
        }
        let me = seat.brief.seat;
        let states = seat.brief.rules.states as usize;
        if self.objected.len() < states {
            self.objected.resize(states, 0);
        }
        // Counts only grow within a session: the leader changes only to a seat just
        // counted (O(objectors), not O(States), per notice).
        for &s in &o.objectors {
            if s == me || (s as usize) >= states {
                continue;
            }
            self.objected[s as usize] += 1;
            let c = self.objected[s as usize];
            let lead = self.target.map_or(0, |t| self.objected[t as usize]);
            if c > lead || (c == lead && self.target.is_some_and(|t| s < t)) {
                self.target = Some(s);
            }
        }
    }

    /// Whether `x` moves policy from `sq` towards the ideal (or sits at it).
    fn advances(p: &Preference, x: f64, sq: f64) -> bool {
        p.gain(x, sq) > EPS || distance(p, x) <= 1.0
    }
}

impl Decide for NormEntrepreneur {
    fn name(&self) -> &str {
        NAME
    }

    fn outcome(&mut self, seat: &Seat, o: &ItemOutcome) {
        self.note_objectors(seat, o);
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        let Some(p) = seat.felt(ctx.item, me) else {
            return answer(seat.anchor(ctx), 0.0, None, ctx.item, n);
        };
        if NormEntrepreneur::human(seat, ctx.item) {
            let sq = seat.sq(ctx.item);
            let dir = if p.ideal < sq { -1.0 } else { 1.0 };
            let push = (OVERSTATEMENT * p.red_line).max(5.0);
            let mut a = answer(p.ideal + dir * push, 1.0, None, ctx.item, n);
            if seat.brief.rules.moscow_mechanism > 0 {
                a.invoke = self.target;
            }
            a
        } else {
            let x = moderate_position(&p, seat.anchor(ctx), seat.time(ctx));
            answer(seat.take_up(ctx, me, x), p.salience, None, ctx.item, n)
        }
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        if ctx.phase == Phase::Package {
            let prefs = &seat.brief.preferences;
            let human_ok = seat
                .package(ctx)
                .iter()
                .filter(|e| NormEntrepreneur::human(seat, e.item as u32))
                .all(|e| NormEntrepreneur::advances(&prefs[e.item], e.outcome, e.sq));
            if human_ok {
                seat.package_vote(ctx)
            } else {
                Vote::No
            }
        } else {
            match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => {
                    let sq = seat.sq(ctx.item);
                    if NormEntrepreneur::human(seat, ctx.item) {
                        yes_if(NormEntrepreneur::advances(&p, x, sq))
                    } else {
                        yes_if(moderate_accepts(&p, x, sq, seat.time(ctx)))
                    }
                }
                _ => Vote::Abstain,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, BUDGET, EOM, HUMAN};
    use plenary_core::strategy::Strategy;

    #[test]
    fn overstates_on_human_items_only() {
        let prefs = testkit::prefs_west();
        let mut ne = strategy(&testkit::brief(0, false, &prefs));
        let me = testkit::view(0.7);
        for item in [HUMAN, EOM] {
            let a = ne.position(&testkit::ctx(item, 0, Phase::Positions, None), &me);
            assert!(
                a.position > prefs[item as usize].ideal,
                "item {item}: {}",
                a.position
            );
            assert_eq!(a.salience, 1.0);
        }
        // Budget (general): ideal 65, sq 50 -> moderate, never beyond the ideal; round 0
        // is stated at t = 1/8: 65 - 0.5 * 1/8 * 15.
        let a = ne.position(&testkit::ctx(BUDGET, 0, Phase::Positions, None), &me);
        assert_eq!(a.position, 65.0 - 0.5 / 8.0 * 15.0);
        let a = ne.position(&testkit::ctx(BUDGET, 3, Phase::Positions, Some(45.0)), &me);
        assert!(a.position < 65.0 && a.position > 45.0);
    }

    #[test]
    fn accepts_only_progress_on_human_items() {
        let mut prefs = testkit::prefs_west();
        // Election observation: ideal 80, red line 25, sq 50 -> make the sq 60 by an
        // outcome, then 58 is within the red line (22) but backsliding.
        prefs[EOM as usize].red_line = 25.0;
        let b = testkit::brief(0, false, &prefs);
        let mut ne = strategy(&b);
        let mut d = crate::dissociator::strategy(&b);
        let o = testkit::outcome(
            0,
            EOM,
            plenary_core::strategy::Decision::Adopted,
            60.0,
            &[0, 0, 0],
        );
        ne.outcome(&o);
        d.outcome(&o);
        let me = testkit::view(0.7);
        let mut c = testkit::ctx(EOM, 0, Phase::Decision, Some(58.0));
        c.session = 1;
        assert_eq!(ne.vote(&c, &me), Vote::No);
        assert_eq!(d.vote(&c, &me), Vote::Yes);
        c.proposal = Some(65.0);
        assert_eq!(ne.vote(&c, &me), Vote::Yes);
    }

    #[test]
    fn invokes_the_moscow_mechanism_against_who_blocked_what_it_supported() {
        let prefs = testkit::prefs_west();
        let mut b = testkit::brief(0, false, &prefs);
        b.rules.moscow_mechanism = 2;
        let mut ne = strategy(&b);
        let me = testkit::view(0.7);
        let c = testkit::ctx(EOM, 0, Phase::Positions, None);
        assert_eq!(
            ne.position(&c, &me).invoke,
            None,
            "nobody blocked anything yet"
        );
        // It supported the human declaration; seats 3 and 4 objected; it failed.
        ne.vote(&testkit::ctx(HUMAN, 0, Phase::Decision, Some(70.0)), &me);
        let mut o = testkit::outcome(
            0,
            HUMAN,
            plenary_core::strategy::Decision::Reverted,
            40.0,
            &[0, 2, 0],
        );
        o.objectors = vec![3, 4];
        ne.outcome(&o);
        assert_eq!(ne.position(&c, &me).invoke, Some(3));
        // Never on other dimensions, never without the mechanism.
        assert_eq!(
            ne.position(&testkit::ctx(BUDGET, 0, Phase::Positions, None), &me)
                .invoke,
            None
        );
        b.rules.moscow_mechanism = 0;
        let mut off = strategy(&b);
        off.vote(&testkit::ctx(HUMAN, 0, Phase::Decision, Some(70.0)), &me);
        off.outcome(&o);
        assert_eq!(off.position(&c, &me).invoke, None);
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
