//! `linker`: ties its consent on low-salience items to the item it cares most about,
//! with a stick and a carrot.
//!
//! Behaviour: on an item whose salience is below a share of the salience of the
//! in-scope item of *another* dimension it cares most about (its "top" item), it
//! attaches in the first positions round a linkage: its consent is conditional on the
//! top item ending no worse than its status quo (the chair turns its yes into an
//! objection otherwise). Blocking the budget over a human-dimension dispute is the
//! textbook case. In every positions round on such an item it also offers a trade:
//! its support here if the top item stands within half its red line of its ideal (the
//! chair counts its objections as consent while that holds, and publishes the offer to
//! those negotiating the top item). The share grows with tension, `0.5 + 0.3 *
//! tension`: under polarization more items get linked ("boundaries between policy
//! fields erode"). It links only as far as the design lets it: across dimensions when
//! linkage is `any`, within the item's own dimension when it is `same-dimension`, not
//! at all when it is `none`. Otherwise it is a moderate bargainer: it states its ideal
//! and concedes linearly up to half the way to its reservation point (taking up others'
//! trade offers where they serve it), and accepts improvements on the status quo or
//! anything inside a band widening from half its red line to the full red line at the
//! deadline. At session ends it contests like any alienated member (withholds at low
//! legitimacy, leaves in a crisis).
//!
//! Idea: issue linkage, the opposite of the paper's dissociation: "blurring the
//! boundaries between policy areas" is one of the steps to war, and the chair raises
//! tension between blocs whenever a cross-dimension link is accepted; the offer is the
//! positive side of linkage, the vote trade of the exchange model (Stokman & Van
//! Oosten 1994, after Coleman).

use crate::adapter::{Adapter, Decide};
use crate::common::{answer, contest, moderate_accepts, moderate_position, yes_if};
use crate::memory::Seat;
use plenary_core::design::Linkage;
use plenary_core::strategy::{
    Offer, Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, SessionSummary, Stance, Vote,
};

/// Registry name.
pub const NAME: &str = "linker";

/// An item counts as low-salience when its salience is below this share of the
/// salience of the item it would be linked to (at tension 0).
pub const LOW_SALIENCE_RATIO: f64 = 0.5;
/// How much tension (per unit) raises that share.
pub const TENSION_RATIO: f64 = 0.3;

/// The linker strategy (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Linker;

/// The linker strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<Linker> {
    Adapter::new(brief, Linker)
}

impl Linker {
    /// The item it links `item` to, if any: the in-scope item it cares most about among
    /// those the design lets it link to, provided `item` is of low salience next to it
    /// (a threshold that rises with `tension`).
    pub fn link_target(seat: &Seat, item: u32, tension: f64) -> Option<u32> {
        let b = &seat.brief;
        let here = seat.pref(item)?;
        let dim = seat.dimension(item)?;
        let eligible = |j: usize| -> bool {
            let info = &b.items[j];
            j != item as usize
                && info.in_scope
                && seat.has_position(j as u32)
                && match b.rules.linkage {
                    Linkage::None => false,
                    Linkage::SameDimension => info.dimension == dim,
                    Linkage::Any => info.dimension != dim,
                }
        };
        let best = (0..seat.items())
            .filter(|&j| eligible(j))
            .max_by(|&a, &c| {
                b.preferences[a]
                    .salience
                    .total_cmp(&b.preferences[c].salience)
                    .then(c.cmp(&a))
            })?;
        let t = if tension.is_finite() {
            tension.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let ratio = LOW_SALIENCE_RATIO + TENSION_RATIO * t;
        (here.salience < ratio * b.preferences[best].salience).then_some(best as u32)
    }
}

impl Decide for Linker {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        let Some(p) = seat.felt(ctx.item, me) else {
            return answer(seat.anchor(ctx), 0.0, None, ctx.item, n);
        };
        let x = moderate_position(&p, seat.anchor(ctx), seat.time(ctx));
        let x = seat.take_up(ctx, me, x);
        let top = Linker::link_target(seat, ctx.item, me.tension);
        let link = top.filter(|_| ctx.round == 0);
        let mut a = answer(x, p.salience, link, ctx.item, n);
        a.offer = top.and_then(|t| {
            let q = seat.felt(t, me)?;
            Some(Offer {
                item: t,
                target: q.ideal,
                tolerance: (0.5 * q.red_line).max(1.0),
            })
        });
        a
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        if ctx.phase == Phase::Package {
            seat.package_vote(ctx)
        } else {
            match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => {
                    yes_if(moderate_accepts(&p, x, seat.sq(ctx.item), seat.time(ctx)))
                }
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
    use crate::testkit::{self, CLIMATE, HUMAN, SMM, VIENNA};
    use plenary_core::strategy::Strategy;

    #[test]
    fn links_a_low_salience_item_to_its_top_item_of_another_dimension() {
        let prefs = testkit::prefs_west();
        let b = testkit::brief(0, false, &prefs);
        let mut l = strategy(&b);
        let me = testkit::view(0.7);
        // Climate (economic, salience 0.2) -> Vienna (politico-military, 0.9; the first of
        // the two items at 0.9).
        let a = l.position(&testkit::ctx(CLIMATE, 0, Phase::Positions, None), &me);
        assert_eq!(a.link, Some(VIENNA));
        assert_ne!(
            b.items[VIENNA as usize].dimension,
            b.items[CLIMATE as usize].dimension
        );
        // Not on items it cares about.
        let a = l.position(&testkit::ctx(SMM, 0, Phase::Positions, None), &me);
        assert_eq!(a.link, None);
        let a = l.position(&testkit::ctx(HUMAN, 0, Phase::Positions, None), &me);
        assert_eq!(a.link, None);
        // Only in the first round (the only one the chair reads links in).
        let a = l.position(&testkit::ctx(CLIMATE, 1, Phase::Positions, Some(30.0)), &me);
        assert_eq!(a.link, None);
    }

    #[test]
    fn respects_the_design_linkage_policy() {
        let prefs = testkit::prefs_west();
        let mut b = testkit::brief(0, false, &prefs);
        b.rules.linkage = Linkage::None;
        assert_eq!(Linker::link_target(strategy(&b).seat(), CLIMATE, 0.0), None);
        b.rules.linkage = Linkage::SameDimension;
        // The only other economic item does not exist: nothing to link to.
        assert_eq!(Linker::link_target(strategy(&b).seat(), CLIMATE, 0.0), None);
        // Low-salience human item? The human items are 0.8 and 0.7: not low.
        assert_eq!(Linker::link_target(strategy(&b).seat(), HUMAN, 0.0), None);
    }

    #[test]
    fn offers_a_trade_with_its_link_and_links_more_under_tension() {
        let prefs = testkit::prefs_west();
        let b = testkit::brief(0, false, &prefs);
        let mut l = strategy(&b);
        let me = testkit::view(0.7);
        // Climate -> Vienna: the carrot is support on climate for Vienna within half its
        // red line of its ideal (75 +- 15).
        let a = l.position(&testkit::ctx(CLIMATE, 1, Phase::Positions, None), &me);
        assert_eq!(a.link, None, "links only in round 0");
        let o = a.offer.expect("an offer in every round");
        assert_eq!((o.item, o.target, o.tolerance), (VIENNA, 75.0, 15.0));
        // The budget (0.5) is not low-salience next to Vienna (0.9) at tension 0
        // (0.5 < 0.45 fails), but it is at tension 0.5 (0.5 < 0.65 * 0.9 = 0.585).
        let seat = l.seat();
        assert_eq!(Linker::link_target(seat, testkit::BUDGET, 0.0), None);
        assert_eq!(
            Linker::link_target(seat, testkit::BUDGET, 0.5),
            Some(VIENNA)
        );
    }

    #[test]
    fn links_in_a_real_match_only_where_the_design_allows() {
        for (label, design) in testkit::designs() {
            let mut make = |b: &SeatBrief| -> Box<dyn Strategy> { Box::new(strategy(b)) };
            let r = testkit::run_with(&design, 3, &mut make);
            let items = r.sessions.iter().flat_map(|s| s.items.iter());
            let (links, refused) =
                items.fold((0, 0), |a, i| (a.0 + i.links, a.1 + i.refused_links));
            assert_eq!(
                refused, 0,
                "{label}: it never offers a link the design refuses"
            );
            if label == "osce-like" {
                assert!(links > 0, "{label}: no link accepted");
            }
            if label == "conference" {
                assert_eq!(links, 0, "{label}: linkage is off");
            }
        }
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
