//! The bookkeeping adapter: a strategy implements only its decisions ([`Decide`]); the
//! [`Adapter`] wraps it into a [`plenary_core::Strategy`] and keeps the seat's memory
//! ([`Seat`]) up to date once, in one place.
//!
//! Before every question the adapter syncs the memory with the chair's session (a new
//! session clears the session log); after every vote it records what the question
//! showed (the blocs' stated positions on the item) and the vote cast; on every outcome
//! notice it updates the policy in force and the session log *before* the strategy sees
//! the notice. A strategy therefore reads an up-to-date [`Seat`] in each decision and
//! cannot forget a step (a forgotten `observe` used to break package votes silently,
//! because the package is the log of provisionally agreed items).
//!
//! ```
//! use plenary_core::strategy::{PositionAnswer, RoundContext, SeatView, Vote};
//! use plenary_strategies::adapter::{Adapter, Decide};
//! use plenary_strategies::memory::Seat;
//!
//! /// States its ideal and accepts whatever improves on the policy in force.
//! struct Sincere;
//! impl Decide for Sincere {
//!     fn name(&self) -> &str {
//!         "sincere"
//!     }
//!     fn position(&mut self, seat: &Seat, ctx: &RoundContext, _: &SeatView) -> PositionAnswer {
//!         let p = seat.pref(ctx.item).expect("an agenda item");
//!         PositionAnswer { position: p.ideal, salience: p.salience, ..Default::default() }
//!     }
//!     fn vote(&mut self, seat: &Seat, ctx: &RoundContext, _: &SeatView) -> Vote {
//!         match (seat.pref(ctx.item), ctx.proposal) {
//!             (Some(p), Some(x)) if p.gain(x, seat.sq(ctx.item)) > 0.0 => Vote::Yes,
//!             _ => Vote::No,
//!         }
//!     }
//! }
//! # fn make(brief: &plenary_core::strategy::SeatBrief) -> Box<dyn plenary_core::Strategy> {
//! Box::new(Adapter::new(brief, Sincere))
//! # }
//! ```

use crate::memory::Seat;
use plenary_core::strategy::{
    ItemOutcome, PositionAnswer, RoundContext, SeatBrief, SeatView, SessionSummary, Stance,
    Strategy, Vote,
};

/// The decisions of a strategy. Every method gets the seat's memory read-only; the
/// [`Adapter`] keeps it current.
pub trait Decide: Send {
    /// Registry name of the strategy.
    fn name(&self) -> &str;

    /// States a position on the item in `ctx`.
    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer;

    /// Votes on the proposal in `ctx` (decision, silence or package phase).
    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote;

    /// Learns an item's outcome; `seat` already reflects it. Default: nothing more.
    fn outcome(&mut self, _seat: &Seat, _outcome: &ItemOutcome) {}

    /// Chooses a stance at the end of a session. Default: stay.
    fn session_end(&mut self, _seat: &Seat, _summary: &SessionSummary, _me: &SeatView) -> Stance {
        Stance::Stay
    }
}

/// A [`Decide`] strategy with its seat memory: implements [`Strategy`].
#[derive(Debug, Clone)]
pub struct Adapter<D> {
    seat: Seat,
    inner: D,
}

impl<D: Decide> Adapter<D> {
    /// Wraps `inner` to play the seat in `brief`.
    pub fn new(brief: &SeatBrief, inner: D) -> Adapter<D> {
        Adapter {
            seat: Seat::new(brief),
            inner,
        }
    }

    /// The seat memory.
    pub fn seat(&self) -> &Seat {
        &self.seat
    }

    /// The wrapped decisions.
    pub fn inner(&self) -> &D {
        &self.inner
    }
}

impl<D: Decide> Strategy for Adapter<D> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        self.seat.sync(ctx.session);
        self.inner.position(&self.seat, ctx, me)
    }

    fn vote(&mut self, ctx: &RoundContext, me: &SeatView) -> Vote {
        self.seat.sync(ctx.session);
        let v = self.inner.vote(&self.seat, ctx, me);
        self.seat.record_vote(ctx, v);
        v
    }

    fn outcome(&mut self, outcome: &ItemOutcome) {
        self.seat.observe(outcome);
        self.inner.outcome(&self.seat, outcome);
    }

    fn session_end(&mut self, summary: &SessionSummary, me: &SeatView) -> Stance {
        self.seat.sync(summary.session);
        self.inner.session_end(&self.seat, summary, me)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;
    use plenary_core::strategy::{Phase, SeatBrief};
    use std::sync::{Arc, Mutex};

    /// Accepts everything and records, at each package vote, how many provisionally
    /// agreed items its (read-only) memory shows: it does no bookkeeping of its own.
    struct Bare(Arc<Mutex<Vec<usize>>>);
    impl Decide for Bare {
        fn name(&self) -> &str {
            "bare"
        }
        fn position(&mut self, seat: &Seat, ctx: &RoundContext, _: &SeatView) -> PositionAnswer {
            let p = seat.pref(ctx.item).expect("agenda item");
            PositionAnswer {
                position: p.ideal,
                salience: p.salience,
                ..Default::default()
            }
        }
        fn vote(&mut self, seat: &Seat, ctx: &RoundContext, _: &SeatView) -> Vote {
            if ctx.phase == Phase::Package {
                self.0.lock().unwrap().push(seat.package(ctx).len());
            }
            Vote::Yes
        }
    }

    #[test]
    fn a_strategy_without_bookkeeping_still_sees_its_package() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (_, design) = testkit::designs()
            .into_iter()
            .find(|(l, _)| *l == "package")
            .unwrap();
        let mut make = |b: &SeatBrief| -> Box<dyn Strategy> {
            Box::new(Adapter::new(b, Bare(Arc::clone(&seen))))
        };
        let r = testkit::run_with(&design, 1, &mut make);
        let seen = seen.lock().unwrap();
        assert!(!seen.is_empty(), "package votes were asked");
        // Everyone accepts everything: every in-scope item is in every package.
        let agreed = r.sessions[0].items.len();
        assert!(seen.iter().all(|&n| n == agreed), "{seen:?} vs {agreed}");
    }
}
