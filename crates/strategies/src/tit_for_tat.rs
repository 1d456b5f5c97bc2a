//! `tit-for-tat`: cooperates, reciprocates a block by another bloc once, then forgives.
//!
//! Behaviour: it states its ideal sincerely and cooperates, accepting every proposal
//! that does not cross its red line. When an item it cares about (salience at least 60%
//! of its highest) ends undecided and some *other* bloc's members objected in the final
//! round, it holds a grudge against that bloc (the one with most objections). Holding a
//! grudge, it objects to the next proposal that favours that bloc, i.e. that moves
//! policy from the status quo towards the bloc's mean stated position, and keeps
//! objecting for the rest of that item. Once that item is over it forgives: one
//! reciprocation per offence. A new offence starts a new grudge.
//!
//! Idea: reciprocity by bloc (Axelrod's tit-for-tat) as the paper's "mutual blockades":
//! one side's blocking is answered by the other's, which is how consensus bodies slide
//! into "muddling through". Forgiveness after one reciprocation keeps the echo short.

use crate::adapter::{Adapter, Decide};
use crate::common::{EPS, answer, contest, within, yes_if};
use crate::memory::Seat;
use plenary_core::strategy::{
    ItemOutcome, Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, SessionSummary, Stance,
    Vote,
};

/// Registry name.
pub const NAME: &str = "tit-for-tat";

/// A grudge against a bloc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Grudge {
    /// The bloc that blocked.
    bloc: usize,
    /// `(session, item)` on which the reciprocation is under way.
    on: Option<(u32, u32)>,
}

/// The tit-for-tat strategy (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct TitForTat {
    grudge: Option<Grudge>,
}

/// The tit-for-tat strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<TitForTat> {
    Adapter::new(brief, TitForTat::default())
}

impl TitForTat {
    /// The bloc it currently holds a grudge against, if any.
    pub fn grudge(&self) -> Option<usize> {
        self.grudge.map(|g| g.bloc)
    }

    /// Whether the proposal in `ctx` moves policy towards bloc `b`'s stated positions.
    fn favours(seat: &Seat, ctx: &RoundContext, b: usize) -> bool {
        let (Some(x), Some(m)) = (Seat::proposal(ctx), seat.bloc_mean(ctx, b)) else {
            return false;
        };
        let sq = seat.sq(ctx.item);
        (x - m).abs() + EPS < (sq - m).abs()
    }
}

impl Decide for TitForTat {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let n = seat.items();
        match seat.felt(ctx.item, me) {
            Some(p) => answer(
                seat.take_up(ctx, me, p.ideal),
                p.salience,
                None,
                ctx.item,
                n,
            ),
            None => answer(seat.anchor(ctx), 0.0, None, ctx.item, n),
        }
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        match ctx.phase {
            Phase::Package => seat.package_vote(ctx),
            _ => match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                (Some(p), Some(x)) => {
                    let here = (ctx.session, ctx.item);
                    let reciprocate = match self.grudge {
                        Some(g) if g.on == Some(here) => true,
                        Some(g) if g.on.is_none() && TitForTat::favours(seat, ctx, g.bloc) => {
                            self.grudge = Some(Grudge {
                                on: Some(here),
                                ..g
                            });
                            true
                        }
                        _ => false,
                    };
                    if reciprocate {
                        Vote::No
                    } else {
                        yes_if(within(&p, x, 1.0))
                    }
                }
                _ => Vote::Abstain,
            },
        }
    }

    fn session_end(&mut self, seat: &Seat, _summary: &SessionSummary, me: &SeatView) -> Stance {
        contest(me, seat.brief.rules.exit_allowed)
    }

    fn outcome(&mut self, seat: &Seat, o: &ItemOutcome) {
        if let Some(g) = self.grudge
            && g.on == Some((o.session, o.item))
        {
            // One reciprocation per offence: forgive.
            self.grudge = None;
        }
        let mine = seat.brief.bloc_index as usize;
        let blocked =
            !o.decision.decided() && o.decision != plenary_core::strategy::Decision::OutOfScope;
        if blocked && seat.cares(o.item) {
            let culprit = o
                .objections_by_bloc
                .iter()
                .enumerate()
                .filter(|&(b, &n)| b != mine && n > 0)
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
                .map(|(b, _)| b);
            if let Some(bloc) = culprit {
                self.grudge = Some(Grudge { bloc, on: None });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, CLIMATE, HUMAN, VIENNA};
    use plenary_core::strategy::{Decision, Strategy};

    #[test]
    fn reciprocates_after_being_blocked_and_forgives_after_one_item() {
        let prefs = testkit::prefs_west();
        let mut t = strategy(&testkit::brief(0, false, &prefs));
        let me = testkit::view(0.7);
        // Vienna: sq 40, ideal 75; bloc means west 75, csto 40, non-aligned 60. A
        // proposal of 62 favours non-aligned (and the West) and is within the red line.
        let decision = |item: u32, x: f64| {
            let mut c = testkit::ctx(item, 0, Phase::Decision, Some(x));
            testkit::set_means(&mut c, &[75.0, 30.0, 60.0]);
            c
        };
        assert_eq!(
            t.vote(&decision(VIENNA, 62.0), &me),
            Vote::Yes,
            "cooperates first"
        );

        // The human declaration (salience 0.8, cared about) is blocked by the CSTO.
        t.outcome(&testkit::outcome(
            0,
            HUMAN,
            Decision::Reverted,
            40.0,
            &[0, 2, 0],
        ));
        assert_eq!(t.inner().grudge(), Some(1));
        // A proposal that does not favour the CSTO: still cooperates.
        assert_eq!(t.vote(&decision(VIENNA, 62.0), &me), Vote::Yes);
        // Climate: sq 20, a proposal at 25 moves towards the CSTO mean (30): reciprocate,
        // and keep objecting for the rest of that item.
        let mut c = decision(CLIMATE, 25.0);
        assert_eq!(t.vote(&c, &me), Vote::No);
        c.round = 1;
        c.proposal = Some(50.0);
        assert_eq!(t.vote(&c, &me), Vote::No);
        t.outcome(&testkit::outcome(
            0,
            CLIMATE,
            Decision::Reverted,
            20.0,
            &[1, 0, 0],
        ));
        // Forgiven: the same kind of proposal is accepted again.
        assert_eq!(t.inner().grudge(), None);
        let mut c = decision(CLIMATE, 25.0);
        c.session = 1;
        assert_eq!(t.vote(&c, &me), Vote::Yes);
    }

    #[test]
    fn ignores_blocks_on_items_it_does_not_care_about_and_by_its_own_bloc() {
        let prefs = testkit::prefs_west();
        let mut t = strategy(&testkit::brief(0, false, &prefs));
        t.outcome(&testkit::outcome(
            0,
            CLIMATE,
            Decision::Reverted,
            20.0,
            &[0, 3, 0],
        ));
        assert_eq!(t.inner().grudge(), None, "climate has salience 0.2");
        t.outcome(&testkit::outcome(
            0,
            HUMAN,
            Decision::Reverted,
            40.0,
            &[2, 0, 0],
        ));
        assert_eq!(t.inner().grudge(), None, "its own bloc blocked");
        t.outcome(&testkit::outcome(
            0,
            HUMAN,
            Decision::Adopted,
            60.0,
            &[0, 1, 0],
        ));
        assert_eq!(t.inner().grudge(), None, "decided items are no offence");
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
