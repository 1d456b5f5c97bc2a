//! `learner`: adapts a per-dimension acceptance threshold across the sessions of a match.
//!
//! Behaviour: for each dimension it keeps a threshold `k` (a multiple of its red line,
//! starting at 1, kept within 0.25..=1.5). It accepts a proposal within `k * red_line`
//! of its ideal, and states its ideal conceding linearly over the rounds up to half the
//! way to a reservation point `k * red_line` towards the proposal on the table. At the
//! end of each session it reinforces from what that session taught it, item by item:
//!
//! * it accepted an item that was decided and left it worse off than the status quo:
//!   it tightens `k` for that dimension by `0.5 * min(1, loss / (salience * red_line))`;
//! * it objected to an item that then failed although the proposal it objected to
//!   would have served it better than the fallback: it loosens `k` by
//!   `0.5 * min(1, regret / (salience * red_line))`.
//!
//! So after a session of bad deals it demands more in that dimension, and after a
//! session of costly blockades it concedes more. Within a session its rule is fixed;
//! nothing carries over to another match (a new strategy value is made per match).
//! Package votes: yes when the package leaves it no worse off than the status quo.
//!
//! Idea: the delegation "learns from outcomes" of the domain brief, as reinforcement
//! learning of an aspiration level (Bush-Mosteller / aspiration adaptation): a simple
//! model of how States' readiness to compromise in one policy area is shaped by the
//! institution's record in that area.

use crate::adapter::{Adapter, Decide};
use crate::common::{EPS, answer, clamp_position, contest, reservation, within, yes_if};
use crate::memory::Seat;
use plenary_core::model::Dimension;
use plenary_core::strategy::{
    Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, SessionSummary, Stance, Vote,
};

/// Registry name.
pub const NAME: &str = "learner";

/// Learning rate.
pub const LEARNING_RATE: f64 = 0.5;
/// Lowest threshold (share of the red line).
pub const K_MIN: f64 = 0.25;
/// Highest threshold (share of the red line).
pub const K_MAX: f64 = 1.5;

/// The learning strategy (see the module docs).
#[derive(Debug, Clone)]
pub struct Learner {
    k: [f64; 4],
}

impl Default for Learner {
    fn default() -> Self {
        Learner { k: [1.0; 4] }
    }
}

/// The learner strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<Learner> {
    Adapter::new(brief, Learner::default())
}

impl Learner {
    /// The current acceptance threshold of a dimension, as a share of the red line.
    pub fn threshold(&self, d: Dimension) -> f64 {
        self.k[d.index()]
    }

    fn k_of(&self, seat: &Seat, item: u32) -> f64 {
        seat.dimension(item).map_or(1.0, |d| self.threshold(d))
    }

    /// Reinforcement from this session's outcomes.
    fn learn(&mut self, seat: &Seat) {
        let mut delta = [0.0f64; 4];
        for e in seat.log() {
            let Some(d) = seat.dimension(e.item as u32) else {
                continue;
            };
            let Some(mine) = seat.my_vote(e.item) else {
                continue;
            };
            let p = seat.brief.preferences[e.item];
            let scale = (p.salience * p.red_line).max(1e-6);
            let g = p.gain(clamp_position(e.outcome, e.sq), e.sq);
            if e.decision.decided() && mine.vote == Vote::Yes && g < -EPS {
                delta[d.index()] -= LEARNING_RATE * (-g / scale).min(1.0);
            } else if !e.decision.decided() && mine.vote == Vote::No {
                let regret = p.gain(mine.proposal, e.sq) - g;
                if regret > EPS {
                    delta[d.index()] += LEARNING_RATE * (regret / scale).min(1.0);
                }
            }
        }
        for (k, dk) in self.k.iter_mut().zip(delta) {
            *k = (*k + dk).clamp(K_MIN, K_MAX);
        }
    }
}

impl Decide for Learner {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        let Some(p) = seat.felt(ctx.item, me) else {
            return answer(seat.anchor(ctx), 0.0, None, ctx.item, n);
        };
        let target = reservation(&p, seat.anchor(ctx), self.k_of(seat, ctx.item) * p.red_line);
        let x = p.ideal + 0.5 * seat.time(ctx) * (target - p.ideal);
        answer(seat.take_up(ctx, me, x), p.salience, None, ctx.item, n)
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        if ctx.phase == Phase::Package {
            yes_if(seat.package_gain(&seat.package(ctx)) >= -EPS)
        } else {
            match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => yes_if(within(&p, x, self.k_of(seat, ctx.item))),
                _ => Vote::Abstain,
            }
        }
    }

    fn session_end(&mut self, seat: &Seat, _summary: &SessionSummary, me: &SeatView) -> Stance {
        self.learn(seat);
        contest(me, seat.brief.rules.exit_allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, EOM, HUMAN};
    use plenary_core::strategy::{Decision, ItemOutcome, Strategy};

    fn decide(l: &mut Adapter<Learner>, session: u32, item: u32, x: f64) -> Vote {
        let mut c = testkit::ctx(item, 3, Phase::Decision, Some(x));
        c.session = session;
        l.vote(&c, &testkit::view(0.6))
    }

    #[test]
    fn tightens_after_a_session_of_bad_deals() {
        let mut prefs = testkit::prefs_west();
        // Election observation: ideal 60, red line 25, salience 0.7, sq 50.
        prefs[EOM as usize].ideal = 60.0;
        let b = testkit::brief(0, false, &prefs);
        // Human declaration: ideal 80, red line 25, sq 40; 57.5 is 0.9 red lines away.
        let mut fresh = strategy(&b);
        assert_eq!(decide(&mut fresh, 0, HUMAN, 57.5), Vote::Yes);

        let mut l = strategy(&b);
        // Session 0: it accepts 36 on election observation (24 from its ideal, within
        // the red line, but worse than the status quo) and the deal is adopted.
        assert_eq!(decide(&mut l, 0, EOM, 36.0), Vote::Yes);
        l.outcome(&testkit::outcome(
            0,
            EOM,
            Decision::Adopted,
            36.0,
            &[0, 0, 0],
        ));
        assert_eq!(
            l.session_end(&testkit::summary(0, -9.8), &testkit::view(0.5)),
            Stance::Stay
        );
        assert!(
            l.inner().threshold(Dimension::Human) < 0.9,
            "{}",
            l.inner().threshold(Dimension::Human)
        );
        assert_eq!(
            l.inner().threshold(Dimension::General),
            1.0,
            "other dimensions untouched"
        );
        // Session 1: the proposal it accepted in session 0 on the human declaration is
        // now refused.
        assert_eq!(decide(&mut l, 1, HUMAN, 57.5), Vote::No);
        assert_eq!(decide(&mut fresh, 1, HUMAN, 57.5), Vote::Yes);
    }

    #[test]
    fn loosens_after_a_costly_blockade() {
        let prefs = testkit::prefs_west();
        let mut l = strategy(&testkit::brief(0, false, &prefs));
        // Human declaration: sq 40; 52 is 28 from the ideal, beyond the red line (25),
        // but better than the status quo. It objects; the item fails.
        assert_eq!(decide(&mut l, 0, HUMAN, 52.0), Vote::No);
        l.outcome(&testkit::outcome(
            0,
            HUMAN,
            Decision::Reverted,
            40.0,
            &[1, 0, 0],
        ));
        l.session_end(&testkit::summary(0, 0.0), &testkit::view(0.5));
        assert!(l.inner().threshold(Dimension::Human) > 1.0);
        assert_eq!(decide(&mut l, 1, HUMAN, 52.0), Vote::Yes);
    }

    #[test]
    fn good_sessions_change_nothing() {
        let prefs = testkit::prefs_west();
        let mut l = strategy(&testkit::brief(0, false, &prefs));
        assert_eq!(decide(&mut l, 0, HUMAN, 70.0), Vote::Yes);
        l.outcome(&testkit::outcome(
            0,
            HUMAN,
            Decision::Adopted,
            70.0,
            &[0, 0, 0],
        ));
        l.session_end(&testkit::summary(0, 5.0), &testkit::view(0.8));
        assert_eq!(l.inner().threshold(Dimension::Human), 1.0);
    }

    /// `(seat, session, thresholds)` at each session end.
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<(u32, u32, [f64; 4])>>>;

    /// Records a learner's thresholds at every session end of a real match.
    struct Spy {
        inner: Adapter<Learner>,
        seen: Seen,
    }

    impl Strategy for Spy {
        fn name(&self) -> &str {
            self.inner.name()
        }
        fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
            self.inner.position(ctx, me)
        }
        fn vote(&mut self, ctx: &RoundContext, me: &SeatView) -> Vote {
            self.inner.vote(ctx, me)
        }
        fn outcome(&mut self, o: &ItemOutcome) {
            self.inner.outcome(o)
        }
        fn session_end(&mut self, s: &SessionSummary, me: &SeatView) -> Stance {
            let st = self.inner.session_end(s, me);
            self.seen.lock().unwrap().push((
                self.inner.seat().brief.seat,
                s.session,
                self.inner.inner().k,
            ));
            st
        }
    }

    #[test]
    fn learns_from_experience_in_a_real_match() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (_, design) = testkit::designs().remove(0);
        let mut make = |b: &SeatBrief| -> Box<dyn Strategy> {
            Box::new(Spy {
                inner: strategy(b),
                seen: seen.clone(),
            })
        };
        let r = testkit::run_with(&design, 7, &mut make);
        assert!(r.violations.is_empty());
        let seen = seen.lock().unwrap();
        let after_first: Vec<[f64; 4]> = seen.iter().filter(|e| e.1 == 0).map(|e| e.2).collect();
        assert!(!after_first.is_empty());
        // Someone changed its thresholds after session 0, and seats with different
        // experiences ended up with different thresholds.
        assert!(
            after_first.iter().any(|k| *k != [1.0; 4]),
            "{after_first:?}"
        );
        assert!(
            after_first.iter().any(|k| *k != after_first[0]),
            "{after_first:?}"
        );
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
