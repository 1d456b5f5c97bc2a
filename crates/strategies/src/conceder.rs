//! `conceder`: time-dependent concession that gives ground early.
//!
//! Behaviour: the same Faratin et al. (1998) polynomial tactic as [`crate::boulware`]
//! ([`TimeDependent`]) with concession exponent `e = 3`: the share conceded at time `t`
//! is `t^(1/3)`, so after the first round it has already moved about two thirds of the
//! way towards its reservation point (at most its red line away, towards the proposal on
//! the table) and accepts proposals within the same share of its red line.
//!
//! Idea: the "conceder" of the time-dependent family the brief names. Against Boulware
//! opponents a conceder secures agreement (capacity to act) at the price of outcomes
//! further from its ideal, which is the trade the paper's path 1 makes for its members.

use crate::adapter::Adapter;
use crate::boulware::TimeDependent;
use plenary_core::strategy::SeatBrief;

/// Registry name.
pub const NAME: &str = "conceder";

/// Concession exponent of the conceder entry (`e > 1`).
pub const CONCEDER_E: f64 = 3.0;

/// The conceder's decisions.
pub fn new() -> TimeDependent {
    TimeDependent::new(CONCEDER_E, NAME)
}

/// The conceder strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<TimeDependent> {
    Adapter::new(brief, new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, HUMAN};
    use plenary_core::strategy::{Phase, Strategy, Vote};

    #[test]
    fn concedes_most_of_the_way_after_one_round() {
        let prefs = testkit::prefs_west();
        let p = prefs[HUMAN as usize];
        let mut co = strategy(&testkit::brief(0, false, &prefs));
        assert_eq!(co.name(), NAME);
        assert!(co.inner().exponent() > 1.0);
        let me = testkit::view(0.7);
        // Votes of round 0 of 4 come at t = 1/4 (alpha = 0.63), of round 1 at t = 1/2
        // (alpha = 0.79).
        let x = p.ideal - 0.7 * p.red_line;
        assert_eq!(
            co.vote(&testkit::ctx(HUMAN, 0, Phase::Decision, Some(x)), &me),
            Vote::No
        );
        assert_eq!(
            co.vote(&testkit::ctx(HUMAN, 1, Phase::Decision, Some(x)), &me),
            Vote::Yes
        );
        // Positions of round 1 are stated at t = 3/8: alpha = 0.72.
        let a = co.position(&testkit::ctx(HUMAN, 1, Phase::Positions, Some(40.0)), &me);
        let full = p.red_line; // the reservation point is the red line towards 40
        assert!((p.ideal - a.position) > 0.7 * full, "{}", a.position);
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
