//! `sovereigntist`: non-intervention first; withholds and exits as legitimacy falls.
//!
//! Behaviour: on *intrusive* items (the human dimension, field missions, election
//! observation and responses to alleged violations) it states its ideal but never more
//! than the status quo, with full salience, and objects to any proposal above the status
//! quo that lies beyond half its red line from its ideal: on internal affairs its red
//! line is drawn tighter. Proposals at or below the status quo it accepts. On other
//! items it decides on the merits like [`crate::dissociator`]. A package containing an
//! intrusive item it would have objected to gets a no. At the end of each session it
//! turns to the contestation strategies of an alienated member: it withholds its budget
//! contribution while the institution's legitimacy in its eyes is below 0.4, and leaves
//! when it falls below 0.15, if the design allows exit (otherwise it keeps withholding).
//!
//! Idea: the Helsinki Decalogue's "non-intervention in internal affairs", insisted on by
//! the East next to human rights; and the paper's contestation strategies of States
//! that find the institution alien: "resistance from within, the withholding of
//! resources (such as membership fees), or even withdrawal".

use crate::adapter::{Adapter, Decide};
use crate::common::{EPS, answer, on_merits, within, yes_if};
use crate::memory::Seat;
use plenary_core::model::{Dimension, ItemKind, Preference};
use plenary_core::strategy::{
    Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, SessionSummary, Stance, Vote,
};

/// Registry name.
pub const NAME: &str = "sovereigntist";

/// Below this legitimacy it withholds its budget contribution.
pub const WITHHOLD_BELOW: f64 = 0.4;
/// Below this legitimacy it leaves (if the design allows exit).
pub const EXIT_BELOW: f64 = 0.15;
/// How much tension (per unit) raises the withholding threshold.
pub const WITHHOLD_TENSION: f64 = 0.1;
/// How much a crisis of its bloc raises the exit threshold.
pub const EXIT_CRISIS: f64 = 0.1;
/// Share of its red line it tolerates above the status quo on intrusive items.
pub const SOVEREIGN_RED_LINE: f64 = 0.5;

/// The sovereigntist strategy (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Sovereigntist;

/// The sovereigntist strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<Sovereigntist> {
    Adapter::new(brief, Sovereigntist)
}

impl Sovereigntist {
    /// Whether an item touches internal affairs.
    pub fn intrusive(seat: &Seat, item: u32) -> bool {
        seat.dimension(item) == Some(Dimension::Human)
            || matches!(
                seat.kind(item),
                Some(
                    ItemKind::FieldMission
                        | ItemKind::ElectionObservation
                        | ItemKind::ViolationResponse
                )
            )
    }

    fn accepts_intrusive(p: &Preference, x: f64, sq: f64) -> bool {
        x <= sq + EPS || within(p, x, SOVEREIGN_RED_LINE)
    }

    /// The stance for a legitimacy level at tension 0, outside a crisis.
    pub fn stance_for(legitimacy: f64, exit_allowed: bool) -> Stance {
        Sovereigntist::stance_in(legitimacy, 0.0, false, exit_allowed)
    }

    /// The stance for a legitimacy level under `tension`: tension raises the
    /// withholding threshold by [`WITHHOLD_TENSION`] per unit, a crisis the exit
    /// threshold by [`EXIT_CRISIS`].
    pub fn stance_in(legitimacy: f64, tension: f64, crisis: bool, exit_allowed: bool) -> Stance {
        if !legitimacy.is_finite() {
            return Stance::Stay;
        }
        let t = if tension.is_finite() {
            tension.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let exit_below = EXIT_BELOW + if crisis { EXIT_CRISIS } else { 0.0 };
        if legitimacy < exit_below && exit_allowed {
            Stance::Exit
        } else if legitimacy < WITHHOLD_BELOW + WITHHOLD_TENSION * t {
            Stance::Withhold
        } else {
            Stance::Stay
        }
    }
}

impl Decide for Sovereigntist {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        let Some(p) = seat.felt(ctx.item, me) else {
            return answer(seat.anchor(ctx), 0.0, None, ctx.item, n);
        };
        if Sovereigntist::intrusive(seat, ctx.item) {
            answer(p.ideal.min(seat.sq(ctx.item)), 1.0, None, ctx.item, n)
        } else {
            answer(p.ideal, p.salience, None, ctx.item, n)
        }
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        if ctx.phase == Phase::Package {
            let prefs = &seat.brief.preferences;
            let sovereign = seat
                .package(ctx)
                .iter()
                .filter(|e| Sovereigntist::intrusive(seat, e.item as u32))
                .all(|e| Sovereigntist::accepts_intrusive(&prefs[e.item], e.outcome, e.sq));
            if sovereign {
                seat.package_vote(ctx)
            } else {
                Vote::No
            }
        } else {
            match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => {
                    let sq = seat.sq(ctx.item);
                    if Sovereigntist::intrusive(seat, ctx.item) {
                        yes_if(Sovereigntist::accepts_intrusive(&p, x, sq))
                    } else {
                        yes_if(on_merits(&p, x, sq))
                    }
                }
                _ => Vote::Abstain,
            }
        }
    }

    fn session_end(&mut self, seat: &Seat, _summary: &SessionSummary, me: &SeatView) -> Stance {
        Sovereigntist::stance_in(
            me.legitimacy,
            me.tension,
            me.crisis,
            seat.brief.rules.exit_allowed,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, BUDGET, EOM, HUMAN, SMM};
    use plenary_core::strategy::Strategy;

    #[test]
    fn objects_to_intervention_above_the_status_quo() {
        let prefs = testkit::prefs_csto();
        let b = testkit::brief(1, false, &prefs);
        let mut s = strategy(&b);
        let mut d = crate::dissociator::strategy(&b);
        let me = testkit::view(0.5);
        // Human declaration: ideal 25, red line 20, sq 40. 42 is within its red line
        // (17) and the dissociator accepts it, but it is above the status quo.
        let c = |item, x| testkit::ctx(item, 0, Phase::Decision, Some(x));
        assert_eq!(d.vote(&c(HUMAN, 42.0), &me), Vote::Yes);
        assert_eq!(s.vote(&c(HUMAN, 42.0), &me), Vote::No);
        assert_eq!(s.vote(&c(HUMAN, 35.0), &me), Vote::Yes);
        // Field mission (politico-military but intrusive): ideal 40, red line 30, sq 50.
        assert_eq!(s.vote(&c(SMM, 60.0), &me), Vote::No);
        assert_eq!(d.vote(&c(SMM, 60.0), &me), Vote::Yes);
        // Budget is not intrusive: on the merits.
        assert_eq!(s.vote(&c(BUDGET, 45.0), &me), Vote::Yes);
        // It states at most the status quo on intrusive items, with full salience.
        let a = s.position(&testkit::ctx(EOM, 0, Phase::Positions, None), &me);
        assert_eq!(a.position, 30.0);
        assert_eq!(a.salience, 1.0);
    }

    #[test]
    fn withholds_then_exits_as_legitimacy_falls_and_only_exits_when_allowed() {
        let prefs = testkit::prefs_csto();
        let mut b = testkit::brief(1, false, &prefs);
        let mut s = strategy(&b);
        let sum = testkit::summary(0, -3.0);
        assert_eq!(s.session_end(&sum, &testkit::view(0.6)), Stance::Stay);
        assert_eq!(s.session_end(&sum, &testkit::view(0.3)), Stance::Withhold);
        assert_eq!(s.session_end(&sum, &testkit::view(0.1)), Stance::Exit);
        // Tension raises the withholding threshold, a crisis the exit threshold.
        assert_eq!(
            Sovereigntist::stance_in(0.45, 0.0, false, true),
            Stance::Stay
        );
        assert_eq!(
            Sovereigntist::stance_in(0.45, 0.9, false, true),
            Stance::Withhold
        );
        assert_eq!(
            Sovereigntist::stance_in(0.2, 0.9, false, true),
            Stance::Withhold
        );
        assert_eq!(Sovereigntist::stance_in(0.2, 0.9, true, true), Stance::Exit);
        b.rules.exit_allowed = false;
        let mut s = strategy(&b);
        assert_eq!(s.session_end(&sum, &testkit::view(0.1)), Stance::Withhold);
        assert_eq!(s.session_end(&sum, &testkit::view(0.0)), Stance::Withhold);
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
